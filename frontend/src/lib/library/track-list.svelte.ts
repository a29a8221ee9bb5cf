import type { TonearmApi } from '$lib/api/graphql';
import type { Track, TrackOrder, TrackPage } from '$lib/api/types';

export const PAGE_SIZE = 100; // the API's maximum page

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface TrackQuery {
	search: string;
	orderBy: TrackOrder;
}

/**
 * One query's paginated result (a search text and a sort order), loaded page by page with
 * cursors. The library makes a new one whenever the query changes; the player keeps the one
 * it is playing from, so the queue survives a new search and can still load further pages.
 */
export class TrackList {
	/** Raw state: pages are appended by replacing the array, never mutated in place. */
	tracks = $state.raw<Track[]>([]);
	totalCount = $state<number | null>(null);
	hasNextPage = $state(true);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);

	readonly query: TrackQuery;
	readonly #api: TonearmApi;
	readonly #pageSize: number;
	readonly #firstPage: (() => Promise<TrackPage>) | undefined;
	#endCursor: string | null = null;
	#inFlight: Promise<void> | null = null;

	/** Nothing loaded yet, or a first page that came back empty. */
	isEmpty = $derived(this.status === 'ready' && this.tracks.length === 0);
	/** The first page is loading (as opposed to a further page). */
	isFirstLoad = $derived(this.status === 'loading' && this.tracks.length === 0);

	/**
	 * `firstPage` fetches the first page instead of a plain `tracks` query (a search asks for
	 * artists and albums in the same request); later pages are `tracks` pages after its cursor.
	 */
	constructor(api: TonearmApi, query: TrackQuery, pageSize = PAGE_SIZE, firstPage?: () => Promise<TrackPage>) {
		this.#api = api;
		this.query = { search: query.search.trim(), orderBy: query.orderBy };
		this.#pageSize = pageSize;
		this.#firstPage = firstPage;
	}

	/** Load the next page; concurrent calls share one request. */
	loadMore(): Promise<void> {
		if (this.#inFlight) return this.#inFlight;
		if (!this.hasNextPage || this.status === 'error') return Promise.resolve();
		this.#inFlight = this.#fetchPage().finally(() => {
			this.#inFlight = null;
		});
		return this.#inFlight;
	}

	/** Try again after an error, from where it failed. */
	retry(): Promise<void> {
		if (this.status !== 'error') return this.loadMore();
		this.status = 'idle';
		this.error = null;
		return this.loadMore();
	}

	/**
	 * Take a first page fetched elsewhere (the boot request, for this list's query) as if
	 * `loadMore()` had loaded it. Ignored once this list has loaded or is loading anything.
	 */
	adopt(page: TrackPage): void {
		if (this.status !== 'idle' || this.tracks.length > 0) return;
		this.#apply(page);
	}

	/** Show a track as it is now (after an edit) where it is in the list. */
	replace(track: Track): void {
		if (this.indexOf(track.id) < 0) return;
		this.tracks = this.tracks.map((t) => (t.id === track.id ? track : t));
	}

	indexOf(trackId: string): number {
		return this.tracks.findIndex((t) => t.id === trackId);
	}

	async #fetchPage(): Promise<void> {
		this.status = 'loading';
		try {
			const page =
				this.#endCursor === null && this.#firstPage
					? await this.#firstPage()
					: await this.#api.tracks({
							first: this.#pageSize,
							after: this.#endCursor,
							search: this.query.search || null,
							orderBy: this.query.orderBy
						});
			this.#apply(page);
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	#apply(page: TrackPage): void {
		this.tracks = this.tracks.length === 0 ? page.tracks : [...this.tracks, ...page.tracks];
		this.totalCount = page.totalCount;
		this.#endCursor = page.pageInfo.endCursor;
		this.hasNextPage = page.pageInfo.hasNextPage && page.tracks.length > 0;
		this.status = 'ready';
	}
}
