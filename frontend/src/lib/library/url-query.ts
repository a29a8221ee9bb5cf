/**
 * What a view's URL says about its query: `/?q=rain`, `/albums?sort=year&q=rain`,
 * `/artists?q=rain`. Pure; see url-query.test.ts.
 */
import type { AlbumOrder } from '$lib/api/types';
import type { AlbumQuery, ArtistQuery } from './browse.svelte';

const DEFAULT_ALBUM_ORDER: AlbumOrder = 'ARTIST';

const SORT_NAMES: Record<AlbumOrder, string> = {
	ARTIST: 'artist',
	TITLE: 'title',
	YEAR: 'year',
	RECENTLY_ADDED: 'recent'
};

const ORDERS_BY_NAME = new Map(Object.entries(SORT_NAMES).map(([order, name]) => [name, order as AlbumOrder]));

/** The search text in `?q=` (trimmed; empty without one). */
export function searchFrom(params: URLSearchParams): string {
	return (params.get('q') ?? '').trim();
}

/** The albums grid's query; an unknown `sort` is the default order. */
export function albumQueryFrom(params: URLSearchParams): AlbumQuery {
	return { search: searchFrom(params), orderBy: ORDERS_BY_NAME.get(params.get('sort') ?? '') ?? DEFAULT_ALBUM_ORDER };
}

export function artistQueryFrom(params: URLSearchParams): ArtistQuery {
	return { search: searchFrom(params) };
}

/** A URL's query string: `''`, or `?` and the parameters. */
export type QuerySuffix = '' | `?${string}`;

/** `?q=…` for a search, `''` for none. */
export function searchSuffix(search: string): QuerySuffix {
	const text = search.trim();
	return text ? `?${new URLSearchParams({ q: text })}` : '';
}

/** The query string of the albums grid showing `query` (`''` for the default view). */
export function albumQuerySuffix(query: AlbumQuery): QuerySuffix {
	const params = new URLSearchParams();
	if (query.orderBy !== DEFAULT_ALBUM_ORDER) params.set('sort', SORT_NAMES[query.orderBy]);
	if (query.search.trim()) params.set('q', query.search.trim());
	const text = params.toString();
	return text ? `?${text}` : '';
}
