/**
 * The library's albums and artists: the operations behind the albums grid, the album and
 * artist pages, the artists index and the search, and how their connections become `Page`s.
 * `TonearmApi` (graphql.ts) runs them.
 */
import { ALBUM_CARD_FIELDS, ARTIST_CARD_FIELDS, TRACK_FIELDS } from './fragments';
import type {
	Album,
	AlbumOrder,
	AlbumSummary,
	ArtistAlbum,
	ArtistSummary,
	Page,
	PageInfo,
	Track,
	TrackOrder,
	TrackPage
} from './types';

const PAGE_INFO = /* GraphQL */ `
	totalCount
	pageInfo {
		hasNextPage
		endCursor
	}
`;

export const ALBUMS_QUERY = /* GraphQL */ `
	query PlayerAlbums($first: Int!, $after: String, $search: String, $orderBy: AlbumOrder!) {
		albums(first: $first, after: $after, search: $search, orderBy: $orderBy) {
			${PAGE_INFO}
			edges {
				node {
					...PlayerAlbumCard
				}
			}
		}
	}
	${ALBUM_CARD_FIELDS}
`;

export const ALBUM_QUERY = /* GraphQL */ `
	query PlayerAlbum($id: ID!) {
		album(id: $id) {
			...PlayerAlbumCard
			discCount
			trackCount
			durationSeconds
			genres
			canEdit
			viewerRole
			likeCount
			viewerHasLiked
			tracks {
				...PlayerTrack
			}
		}
	}
	${ALBUM_CARD_FIELDS}
	${TRACK_FIELDS}
`;

export const ARTISTS_QUERY = /* GraphQL */ `
	query PlayerArtists($first: Int!, $after: String, $search: String) {
		artists(first: $first, after: $after, search: $search) {
			${PAGE_INFO}
			edges {
				node {
					...PlayerArtistCard
				}
			}
		}
	}
	${ARTIST_CARD_FIELDS}
`;

/** The artist and a page of their albums (theirs first, then the ones they appear on). */
export const ARTIST_QUERY = /* GraphQL */ `
	query PlayerArtist($id: ID!, $first: Int!, $after: String) {
		artist(id: $id) {
			...PlayerArtistCard
			likeCount
			viewerHasLiked
			albums(first: $first, after: $after) {
				${PAGE_INFO}
				edges {
					isAppearance
					node {
						...PlayerAlbumCard
					}
				}
			}
		}
	}
	${ARTIST_CARD_FIELDS}
	${ALBUM_CARD_FIELDS}
`;

/** Every track on a page of the artist's albums, for "Play all". */
export const ARTIST_TRACKS_QUERY = /* GraphQL */ `
	query PlayerArtistTracks($id: ID!, $first: Int!, $after: String) {
		artist(id: $id) {
			albums(first: $first, after: $after) {
				pageInfo {
					hasNextPage
					endCursor
				}
				edges {
					isAppearance
					node {
						tracks {
							...PlayerTrack
						}
					}
				}
			}
		}
	}
	${TRACK_FIELDS}
`;

/** Artists, albums and tracks matching one search, in one request. */
export const SEARCH_QUERY = /* GraphQL */ `
	query PlayerSearch($search: String!, $artists: Int!, $albums: Int!, $tracks: Int!, $orderBy: TrackOrder!) {
		artistMatches: artists(first: $artists, search: $search) {
			${PAGE_INFO}
			edges {
				node {
					...PlayerArtistCard
				}
			}
		}
		albumMatches: albums(first: $albums, search: $search) {
			${PAGE_INFO}
			edges {
				node {
					...PlayerAlbumCard
				}
			}
		}
		trackMatches: tracks(first: $tracks, search: $search, orderBy: $orderBy) {
			${PAGE_INFO}
			edges {
				node {
					...PlayerTrack
				}
			}
		}
	}
	${ARTIST_CARD_FIELDS}
	${ALBUM_CARD_FIELDS}
	${TRACK_FIELDS}
`;

/** A connection as the server sends it. */
export interface Connection<N, E = object> {
	totalCount: number;
	pageInfo: PageInfo;
	edges: ({ node: N } & E)[];
}

export function toPage<N>(connection: Connection<N>): Page<N> {
	return {
		items: connection.edges.map((edge) => edge.node),
		pageInfo: connection.pageInfo,
		totalCount: connection.totalCount
	};
}

export function toTrackPage(connection: Connection<Track>): TrackPage {
	return {
		tracks: connection.edges.map((edge) => edge.node),
		pageInfo: connection.pageInfo,
		totalCount: connection.totalCount
	};
}

export interface AlbumsArgs {
	first: number;
	after?: string | null;
	search?: string | null;
	orderBy: AlbumOrder;
}

export interface ArtistsArgs {
	first: number;
	after?: string | null;
	search?: string | null;
}

export interface SearchArgs {
	search: string;
	artists: number;
	albums: number;
	tracks: number;
	orderBy: TrackOrder;
}

export interface AlbumsData {
	albums: Connection<AlbumSummary>;
}

export interface AlbumData {
	album: Album | null;
}

export interface ArtistsData {
	artists: Connection<ArtistSummary>;
}

type ArtistAlbums = Connection<AlbumSummary, { isAppearance: boolean }>;

export interface ArtistData {
	artist: (ArtistSummary & { albums: ArtistAlbums }) | null;
}

export interface ArtistTracksData {
	artist: {
		albums: {
			pageInfo: PageInfo;
			edges: { isAppearance: boolean; node: { tracks: Track[] } }[];
		};
	} | null;
}

export interface SearchData {
	artistMatches: Connection<ArtistSummary>;
	albumMatches: Connection<AlbumSummary>;
	trackMatches: Connection<Track>;
}

/** An artist with the first page of their albums. */
export interface ArtistWithAlbums {
	artist: ArtistSummary;
	albums: Page<ArtistAlbum>;
}

export function toArtistWithAlbums(artist: NonNullable<ArtistData['artist']>): ArtistWithAlbums {
	const { albums, ...summary } = artist;
	return {
		artist: summary,
		albums: {
			items: albums.edges.map((edge) => ({ album: edge.node, isAppearance: edge.isAppearance })),
			pageInfo: albums.pageInfo,
			totalCount: albums.totalCount
		}
	};
}
