import type { TonearmApi } from '$lib/api/graphql';
import type { AlbumOrder, AlbumSummary, ArtistSummary, Page } from '$lib/api/types';
import { PagedList } from './paged-list.svelte';

/** Albums per page of the grid (several rows of tiles; the API allows 100). */
export const ALBUM_PAGE_SIZE = 60;
export const ARTIST_PAGE_SIZE = 60;

/**
 * One browsing view's current query and its pages (the albums grid, the artists index). It
 * lives in the workspace, so coming back to the view (the back button) shows the pages
 * already loaded, where the browser restores the scroll position, instead of starting over.
 */
export class Browse<Q, T> {
	query = $state.raw<Q>() as Q;
	list = $state.raw<PagedList<T>>() as PagedList<T>;

	readonly #fetch: (query: Q, after: string | null) => Promise<Page<T>>;
	readonly #key: (query: Q) => string;

	constructor(fetch: (query: Q, after: string | null) => Promise<Page<T>>, initial: Q, key: (query: Q) => string) {
		this.#fetch = fetch;
		this.#key = key;
		this.query = initial;
		this.list = this.#listFor(initial);
	}

	/** Show `query`: the pages loaded for it already, else a new list from its first page. */
	show(query: Q): Promise<void> {
		if (this.#key(query) !== this.#key(this.query)) {
			this.query = query;
			this.list = this.#listFor(query);
		}
		return this.list.start();
	}

	/** Forget the pages loaded (the library changed: an upload): the next `show` starts over. */
	invalidate(): void {
		this.list = this.#listFor(this.query);
	}

	/** Load again what failed (after signing in again, say); nothing when nothing failed. */
	retryFailed(): Promise<void> {
		return this.list.status === 'error' ? this.list.retry() : Promise.resolve();
	}

	#listFor(query: Q): PagedList<T> {
		return new PagedList((after) => this.#fetch(query, after));
	}
}

export interface AlbumQuery {
	search: string;
	orderBy: AlbumOrder;
}

export interface ArtistQuery {
	search: string;
}

export type AlbumBrowse = Browse<AlbumQuery, AlbumSummary>;
export type ArtistBrowse = Browse<ArtistQuery, ArtistSummary>;

export function albumBrowse(api: TonearmApi, pageSize = ALBUM_PAGE_SIZE): AlbumBrowse {
	return new Browse(
		(query: AlbumQuery, after) =>
			api.albums({ first: pageSize, after, search: query.search || null, orderBy: query.orderBy }),
		{ search: '', orderBy: 'ARTIST' },
		(query) => `${query.orderBy}\n${query.search.trim()}`
	);
}

export function artistBrowse(api: TonearmApi, pageSize = ARTIST_PAGE_SIZE): ArtistBrowse {
	return new Browse(
		(query: ArtistQuery, after) => api.artists({ first: pageSize, after, search: query.search || null }),
		{ search: '' },
		(query) => query.search.trim()
	);
}
