/**
 * Playlists: the operations behind the sidebar, the playlist page, "Add to playlist" and the
 * smart playlist editor (`playlists`, `playlist`, `create/update/deletePlaylist`,
 * `add/removeFromPlaylist`, `movePlaylistItem`, `createSmartPlaylist`,
 * `smartPlaylistPreview`), with their result unions flattened into `kind`s.
 */
import { COVER_SELECTION, TRACK_FIELDS } from './fragments';
import type { TonearmApi } from './graphql';
import type { Cover, Page, Track } from './types';

/** Someone as the playlists and comments name them (`PublicUser`). */
export interface PublicUser {
	id: string;
	username: string;
}

export type PlaylistScope = 'MINE' | 'PUBLIC' | 'ALL';
export type SmartMatch = 'ALL' | 'ANY';
export type SmartOrder = 'ARTIST' | 'TITLE' | 'RECENTLY_ADDED' | 'YEAR' | 'MOST_PLAYED' | 'RECENTLY_PLAYED' | 'POPULAR';

export interface SmartRule {
	field: string;
	operator: string;
	value: unknown;
}

export interface SmartRules {
	match: SmartMatch;
	rules: SmartRule[];
	orderBy: SmartOrder;
	orderPeriodDays: number | null;
	limit: number | null;
}

/** A playlist as the sidebar and the playlist page's header show it. */
export interface Playlist {
	id: string;
	name: string;
	description: string | null;
	/** Null: the server's playlist (an M3U file in the media root). */
	owner: PublicUser | null;
	isPublic: boolean;
	isCollaborative: boolean;
	isSmart: boolean;
	isReadOnly: boolean;
	/** Rename, delete, settings. */
	viewerCanEdit: boolean;
	/** Add, remove, reorder. */
	viewerCanAddTracks: boolean;
	trackCount: number;
	durationSeconds: number;
	coverArt: Cover | null;
	likeCount: number;
	viewerHasLiked: boolean;
	/** Smart playlists only (the page asks for them; the sidebar does not). */
	rules?: SmartRules | null;
}

export interface PlaylistItem {
	id: string;
	/** 0-based index in the whole playlist (items the viewer cannot see are skipped). */
	position: number;
	addedAt: string;
	addedBy: PublicUser | null;
	track: Track;
}

export interface PlaylistInput {
	name: string;
	description?: string | null;
	isPublic?: boolean;
	isCollaborative?: boolean;
}

/** `updatePlaylist`'s input: absent fields stay as they are. */
export interface PlaylistUpdateInput {
	name?: string;
	description?: string;
	isPublic?: boolean;
	isCollaborative?: boolean;
	rules?: SmartRules;
}

export interface SmartPlaylistInput {
	name: string;
	description?: string | null;
	isPublic?: boolean;
	rules: SmartRules;
}

/** Why the server refused a playlist change, with what it names. */
export type PlaylistRefusal =
	| { kind: 'not-found'; message: string }
	| { kind: 'not-allowed'; message: string }
	| { kind: 'invalid'; message: string; field: string }
	| { kind: 'invalid-rules'; message: string; ruleIndex: number | null; field: string | null }
	| { kind: 'too-long'; message: string; limit: number }
	| { kind: 'refused'; message: string };

export type PlaylistResult = { kind: 'ok'; playlist: Playlist } | PlaylistRefusal;

/** What an item change leaves: the playlist's new totals. */
export interface PlaylistTotals {
	id: string;
	name: string;
	trackCount: number;
	durationSeconds: number;
}

export type PlaylistItemsResult = { kind: 'ok'; playlist: PlaylistTotals } | PlaylistRefusal;

export type SmartPreviewResult =
	| { kind: 'preview'; trackCount: number; durationSeconds: number; tracks: Track[] }
	| { kind: 'invalid-rules'; message: string; ruleIndex: number | null; field: string | null };

export const PLAYLIST_FIELDS = /* GraphQL */ `
	fragment PlayerPlaylist on Playlist {
		id
		name
		description
		owner {
			id
			username
		}
		isPublic
		isCollaborative
		isSmart
		isReadOnly
		viewerCanEdit
		viewerCanAddTracks
		trackCount
		durationSeconds
		likeCount
		viewerHasLiked
		${COVER_SELECTION}
	}
`;

const RULES_SELECTION = /* GraphQL */ `
	rules {
		match
		rules {
			field
			operator
			value
		}
		orderBy
		orderPeriodDays
		limit
	}
`;

const ITEMS_SELECTION = /* GraphQL */ `
	items(first: $first, after: $after) {
		totalCount
		pageInfo {
			hasNextPage
			endCursor
		}
		edges {
			node {
				id
				position
				addedAt
				addedBy {
					id
					username
				}
				track {
					...PlayerTrack
				}
			}
		}
	}
`;

/** The refusals every playlist mutation may answer, with the fields they carry. */
const REFUSALS = /* GraphQL */ `
	... on PlaylistNotFoundError {
		message
	}
	... on EditNotAllowedError {
		message
	}
	... on InvalidPlaylistInputError {
		message
		field
	}
	... on InvalidSmartRulesError {
		message
		ruleIndex
		smartField: field
	}
`;

/** The sidebar's list (`playlists(scope: ALL)`), also asked by the boot request (boot.ts). */
export const SIDEBAR_PLAYLISTS_SELECTION = /* GraphQL */ `
	playlists(first: 100, scope: ALL) {
		totalCount
		pageInfo {
			hasNextPage
			endCursor
		}
		edges {
			node {
				...PlayerPlaylist
			}
		}
	}
`;

export const PLAYLISTS_QUERY = /* GraphQL */ `
	query PlayerPlaylists($first: Int!, $after: String, $scope: PlaylistScope!) {
		playlists(first: $first, after: $after, scope: $scope) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					...PlayerPlaylist
				}
			}
		}
	}
	${PLAYLIST_FIELDS}
`;

export const PLAYLIST_QUERY = /* GraphQL */ `
	query PlayerPlaylist($id: ID!, $first: Int!, $after: String) {
		playlist(id: $id) {
			...PlayerPlaylist
			${RULES_SELECTION}
			${ITEMS_SELECTION}
		}
	}
	${PLAYLIST_FIELDS}
	${TRACK_FIELDS}
`;

export const PLAYLIST_ITEMS_QUERY = /* GraphQL */ `
	query PlayerPlaylistItems($id: ID!, $first: Int!, $after: String) {
		playlist(id: $id) {
			id
			${ITEMS_SELECTION}
		}
	}
	${TRACK_FIELDS}
`;

export const CREATE_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerCreatePlaylist($input: PlaylistInput!) {
		createPlaylist(input: $input) {
			__typename
			... on Playlist {
				...PlayerPlaylist
			}
			... on InvalidPlaylistInputError {
				message
				field
			}
		}
	}
	${PLAYLIST_FIELDS}
`;

export const CREATE_SMART_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerCreateSmartPlaylist($input: SmartPlaylistInput!) {
		createSmartPlaylist(input: $input) {
			__typename
			... on Playlist {
				...PlayerPlaylist
				${RULES_SELECTION}
			}
			... on InvalidPlaylistInputError {
				message
				field
			}
			... on InvalidSmartRulesError {
				message
				ruleIndex
				smartField: field
			}
		}
	}
	${PLAYLIST_FIELDS}
`;

export const UPDATE_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerUpdatePlaylist($id: ID!, $input: PlaylistUpdateInput!) {
		updatePlaylist(id: $id, input: $input) {
			__typename
			... on Playlist {
				...PlayerPlaylist
				${RULES_SELECTION}
			}
			${REFUSALS}
		}
	}
	${PLAYLIST_FIELDS}
`;

export const DELETE_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerDeletePlaylist($id: ID!) {
		deletePlaylist(id: $id) {
			__typename
			... on DeletedPlaylist {
				id
			}
			... on PlaylistNotFoundError {
				message
			}
			... on EditNotAllowedError {
				message
			}
		}
	}
`;

const ITEMS_RESULT = /* GraphQL */ `
	__typename
	... on Playlist {
		id
		name
		trackCount
		durationSeconds
	}
	... on PlaylistNotFoundError {
		message
	}
	... on EditNotAllowedError {
		message
	}
	... on TrackNotFoundError {
		message
	}
	... on PlaylistItemNotFoundError {
		message
	}
	... on InvalidPlaylistPositionError {
		message
	}
	... on PlaylistTooLongError {
		message
		limit
	}
`;

export const ADD_TO_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerAddToPlaylist($playlistId: ID!, $trackIds: [ID!]!, $position: Int) {
		addToPlaylist(playlistId: $playlistId, trackIds: $trackIds, position: $position) {
			${ITEMS_RESULT}
		}
	}
`;

export const REMOVE_FROM_PLAYLIST_MUTATION = /* GraphQL */ `
	mutation PlayerRemoveFromPlaylist($playlistId: ID!, $itemIds: [ID!]!) {
		removeFromPlaylist(playlistId: $playlistId, itemIds: $itemIds) {
			${ITEMS_RESULT}
		}
	}
`;

export const MOVE_PLAYLIST_ITEM_MUTATION = /* GraphQL */ `
	mutation PlayerMovePlaylistItem($playlistId: ID!, $itemId: ID!, $toPosition: Int!) {
		movePlaylistItem(playlistId: $playlistId, itemId: $itemId, toPosition: $toPosition) {
			${ITEMS_RESULT}
		}
	}
`;

export const SMART_PLAYLIST_PREVIEW_QUERY = /* GraphQL */ `
	query PlayerSmartPlaylistPreview($rules: SmartRulesInput!) {
		smartPlaylistPreview(rules: $rules) {
			__typename
			... on SmartPlaylistPreview {
				trackCount
				durationSeconds
				tracks(first: 5) {
					...PlayerTrack
				}
			}
			... on InvalidSmartRulesError {
				message
				ruleIndex
				smartField: field
			}
		}
	}
	${TRACK_FIELDS}
`;

/** At most this many track ids go into one `addToPlaylist` (the server's limit per call). */
export const MAX_TRACKS_PER_ADD = 1000;

interface Connection<N> {
	totalCount: number;
	pageInfo: { hasNextPage: boolean; endCursor: string | null };
	edges: { node: N }[];
}

type Refusal = {
	__typename: string;
	message: string;
	field?: string;
	ruleIndex?: number | null;
	smartField?: string | null;
	limit?: number;
};

function page<N>(connection: Connection<N>): Page<N> {
	return {
		items: connection.edges.map((edge) => edge.node),
		pageInfo: connection.pageInfo,
		totalCount: connection.totalCount
	};
}

/** A refusal's union member as a `PlaylistRefusal`. */
export function toRefusal(result: Refusal): PlaylistRefusal {
	switch (result.__typename) {
		case 'PlaylistNotFoundError':
		case 'PlaylistItemNotFoundError':
		case 'TrackNotFoundError':
			return { kind: 'not-found', message: result.message };
		case 'EditNotAllowedError':
			return { kind: 'not-allowed', message: result.message };
		case 'InvalidPlaylistInputError':
			return { kind: 'invalid', message: result.message, field: result.field ?? '' };
		case 'InvalidSmartRulesError':
			return {
				kind: 'invalid-rules',
				message: result.message,
				ruleIndex: result.ruleIndex ?? null,
				field: result.smartField ?? null
			};
		case 'PlaylistTooLongError':
			return { kind: 'too-long', message: result.message, limit: result.limit ?? 0 };
		default:
			return { kind: 'refused', message: result.message };
	}
}

function playlistResult(result: ({ __typename: 'Playlist' } & Playlist) | Refusal): PlaylistResult {
	if (result.__typename === 'Playlist') return { kind: 'ok', playlist: result as Playlist };
	return toRefusal(result as Refusal);
}

function itemsResult(result: ({ __typename: 'Playlist' } & PlaylistTotals) | Refusal): PlaylistItemsResult {
	if (result.__typename === 'Playlist') {
		const { id, name, trackCount, durationSeconds } = result as PlaylistTotals;
		return { kind: 'ok', playlist: { id, name, trackCount, durationSeconds } };
	}
	return toRefusal(result as Refusal);
}

/** A playlist with the first page of its items. */
export interface PlaylistWithItems {
	playlist: Playlist;
	items: Page<PlaylistItem>;
}

/** What the playlist stores ask of the server (tests run them against a fake fetch). */
export interface PlaylistsApi {
	playlists(args: { first: number; after?: string | null; scope?: PlaylistScope }): Promise<Page<Playlist>>;
	playlist(id: string, first: number): Promise<PlaylistWithItems | null>;
	items(id: string, first: number, after: string | null): Promise<Page<PlaylistItem>>;
	create(input: PlaylistInput): Promise<PlaylistResult>;
	createSmart(input: SmartPlaylistInput): Promise<PlaylistResult>;
	update(id: string, input: PlaylistUpdateInput): Promise<PlaylistResult>;
	delete(id: string): Promise<{ kind: 'deleted'; id: string } | PlaylistRefusal>;
	add(playlistId: string, trackIds: readonly string[], position?: number | null): Promise<PlaylistItemsResult>;
	remove(playlistId: string, itemIds: readonly string[]): Promise<PlaylistItemsResult>;
	move(playlistId: string, itemId: string, toPosition: number): Promise<PlaylistItemsResult>;
	preview(rules: SmartRules): Promise<SmartPreviewResult>;
}

type PlaylistData = { playlist: (Playlist & { items: Connection<PlaylistItem> }) | null };

export function playlistsApi(api: TonearmApi): PlaylistsApi {
	return {
		async playlists({ first, after = null, scope = 'ALL' }) {
			const data = await api.run<{ playlists: Connection<Playlist> }>(PLAYLISTS_QUERY, { first, after, scope });
			return page(data.playlists);
		},

		async playlist(id, first) {
			let data: PlaylistData;
			try {
				data = await api.run<PlaylistData>(PLAYLIST_QUERY, { id, first, after: null });
			} catch (error) {
				// A malformed id in the URL is "no such playlist", as for albums.
				if ((error as { code?: string }).code === 'INVALID_ID') return null;
				throw error;
			}
			if (!data.playlist) return null;
			const { items, ...playlist } = data.playlist;
			return { playlist, items: page(items) };
		},

		async items(id, first, after) {
			const data = await api.run<{ playlist: { items: Connection<PlaylistItem> } | null }>(PLAYLIST_ITEMS_QUERY, {
				id,
				first,
				after
			});
			if (!data.playlist) return { items: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
			return page(data.playlist.items);
		},

		async create(input) {
			const data = await api.run<{ createPlaylist: ({ __typename: 'Playlist' } & Playlist) | Refusal }>(
				CREATE_PLAYLIST_MUTATION,
				{ input }
			);
			return playlistResult(data.createPlaylist);
		},

		async createSmart(input) {
			const data = await api.run<{ createSmartPlaylist: ({ __typename: 'Playlist' } & Playlist) | Refusal }>(
				CREATE_SMART_PLAYLIST_MUTATION,
				{ input }
			);
			return playlistResult(data.createSmartPlaylist);
		},

		async update(id, input) {
			const data = await api.run<{ updatePlaylist: ({ __typename: 'Playlist' } & Playlist) | Refusal }>(
				UPDATE_PLAYLIST_MUTATION,
				{ id, input }
			);
			return playlistResult(data.updatePlaylist);
		},

		async delete(id) {
			const data = await api.run<{ deletePlaylist: { __typename: 'DeletedPlaylist'; id: string } | Refusal }>(
				DELETE_PLAYLIST_MUTATION,
				{ id }
			);
			const result = data.deletePlaylist;
			if (result.__typename === 'DeletedPlaylist') return { kind: 'deleted', id: (result as { id: string }).id };
			return toRefusal(result as Refusal);
		},

		async add(playlistId, trackIds, position = null) {
			const data = await api.run<{ addToPlaylist: ({ __typename: 'Playlist' } & PlaylistTotals) | Refusal }>(
				ADD_TO_PLAYLIST_MUTATION,
				{ playlistId, trackIds: [...trackIds], position }
			);
			return itemsResult(data.addToPlaylist);
		},

		async remove(playlistId, itemIds) {
			const data = await api.run<{ removeFromPlaylist: ({ __typename: 'Playlist' } & PlaylistTotals) | Refusal }>(
				REMOVE_FROM_PLAYLIST_MUTATION,
				{ playlistId, itemIds: [...itemIds] }
			);
			return itemsResult(data.removeFromPlaylist);
		},

		async move(playlistId, itemId, toPosition) {
			const data = await api.run<{ movePlaylistItem: ({ __typename: 'Playlist' } & PlaylistTotals) | Refusal }>(
				MOVE_PLAYLIST_ITEM_MUTATION,
				{ playlistId, itemId, toPosition }
			);
			return itemsResult(data.movePlaylistItem);
		},

		async preview(rules) {
			type PreviewData = {
				smartPlaylistPreview:
					| { __typename: 'SmartPlaylistPreview'; trackCount: number; durationSeconds: number; tracks: Track[] }
					| Refusal;
			};
			const data = await api.run<PreviewData>(SMART_PLAYLIST_PREVIEW_QUERY, { rules });
			const result = data.smartPlaylistPreview;
			if (result.__typename === 'SmartPlaylistPreview') {
				const preview = result as { trackCount: number; durationSeconds: number; tracks: Track[] };
				return {
					kind: 'preview',
					trackCount: preview.trackCount,
					durationSeconds: preview.durationSeconds,
					tracks: preview.tracks
				};
			}
			const refusal = result as Refusal;
			return {
				kind: 'invalid-rules',
				message: refusal.message,
				ruleIndex: refusal.ruleIndex ?? null,
				field: refusal.smartField ?? null
			};
		}
	};
}
