import type { Page } from '$lib/api/types';
import type { LoadStatus } from './track-list.svelte';

/** Fetches the page after `after` (null: the first page). */
export type PageFetcher<T> = (after: string | null) => Promise<Page<T>>;

/**
 * A connection loaded page by page with cursors (albums, artists, an artist's albums), as
 * `TrackList` loads tracks: one request at a time, what it has kept after an error, retried
 * from the same cursor.
 */
export class PagedList<T> {
	/** Raw state: pages are appended by replacing the array, never mutated in place. */
	items = $state.raw<T[]>([]);
	totalCount = $state<number | null>(null);
	hasNextPage = $state(true);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);

	/** Loaded, and there is nothing. */
	isEmpty = $derived(this.status === 'ready' && this.items.length === 0);
	/** The first page is loading (as opposed to a further page). */
	isFirstLoad = $derived(this.status === 'loading' && this.items.length === 0);

	readonly #fetch: PageFetcher<T>;
	#endCursor: string | null = null;
	#inFlight: Promise<void> | null = null;

	constructor(fetch: PageFetcher<T>) {
		this.#fetch = fetch;
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

	/** Load the first page unless something is loaded or loading already. */
	start(): Promise<void> {
		if (this.status !== 'idle' || this.items.length > 0) return this.#inFlight ?? Promise.resolve();
		return this.loadMore();
	}

	/** Try again after an error, from where it failed. */
	retry(): Promise<void> {
		if (this.status !== 'error') return this.loadMore();
		this.status = 'idle';
		this.error = null;
		return this.loadMore();
	}

	/** Take a first page fetched elsewhere, as if `loadMore()` had loaded it (only when idle). */
	adopt(page: Page<T>): void {
		if (this.status !== 'idle' || this.items.length > 0) return;
		this.#apply(page);
	}

	async #fetchPage(): Promise<void> {
		this.status = 'loading';
		try {
			this.#apply(await this.#fetch(this.#endCursor));
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	#apply(page: Page<T>): void {
		this.items = this.items.length === 0 ? page.items : [...this.items, ...page.items];
		this.totalCount = page.totalCount;
		this.#endCursor = page.pageInfo.endCursor;
		this.hasNextPage = page.pageInfo.hasNextPage && page.items.length > 0;
		this.status = 'ready';
	}
}
