/**
 * The trash: `trash` (your deleted tracks, albums and playlists; admins: everyone's),
 * `deleteTrack`/`deleteAlbum` (which move things to the trash), `restore`, `purge` and
 * `emptyTrash`, their unions flattened. `deletePlaylist` lives in `playlists.ts`.
 */
import type { TonearmApi } from './graphql';
import type { Page } from './types';

export type TrashKind = 'TRACK' | 'ALBUM' | 'PLAYLIST';

export interface TrashEntry {
	/** The deleted object's own global ID (what restore and purge take). */
	id: string;
	kind: TrashKind;
	name: string;
	deletedBy: { id: string; username: string } | null;
	deletedAt: string;
	purgeAt: string | null;
	trackCount: number;
}

export type DeleteResult =
	{ kind: 'ok'; entry: TrashEntry } | { kind: 'not-found'; message: string } | { kind: 'not-allowed'; message: string };

export type RestoreResult = { kind: 'ok'; entry: TrashEntry } | { kind: 'not-in-trash'; message: string };

export type PurgeResult = { kind: 'ok'; id: string } | { kind: 'not-in-trash'; message: string };

const ENTRY_FIELDS = /* GraphQL */ `
	fragment PlayerTrashEntry on TrashEntry {
		id
		kind
		name
		deletedBy {
			id
			username
		}
		deletedAt
		purgeAt
		trackCount
	}
`;

export const TRASH_QUERY = /* GraphQL */ `
	query PlayerTrash($first: Int!, $after: String) {
		trash(first: $first, after: $after) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					...PlayerTrashEntry
				}
			}
		}
	}
	${ENTRY_FIELDS}
`;

const DELETE_SELECTION = /* GraphQL */ `
	__typename
	...PlayerTrashEntry
	... on TrackNotFoundError {
		message
	}
	... on AlbumNotFoundError {
		message
	}
	... on EditNotAllowedError {
		message
	}
`;

export const DELETE_TRACK_MUTATION = /* GraphQL */ `
	mutation PlayerDeleteTrack($id: ID!) {
		deleteTrack(id: $id) {
			${DELETE_SELECTION}
		}
	}
	${ENTRY_FIELDS}
`;

export const DELETE_ALBUM_MUTATION = /* GraphQL */ `
	mutation PlayerDeleteAlbum($id: ID!) {
		deleteAlbum(id: $id) {
			${DELETE_SELECTION}
		}
	}
	${ENTRY_FIELDS}
`;

export const RESTORE_MUTATION = /* GraphQL */ `
	mutation PlayerRestore($id: ID!) {
		restore(id: $id) {
			__typename
			...PlayerTrashEntry
			... on NotInTrashError {
				message
			}
		}
	}
	${ENTRY_FIELDS}
`;

export const PURGE_MUTATION = /* GraphQL */ `
	mutation PlayerPurge($id: ID!) {
		purge(id: $id) {
			__typename
			... on Purged {
				id
			}
			... on NotInTrashError {
				message
			}
		}
	}
`;

export const EMPTY_TRASH_MUTATION = /* GraphQL */ `
	mutation PlayerEmptyTrash {
		emptyTrash {
			purgedCount
		}
	}
`;

type Typed<T> = { __typename: string; message?: string } & Partial<T>;

function deleteResult(result: Typed<TrashEntry>): DeleteResult {
	if (result.__typename === 'TrashEntry') return { kind: 'ok', entry: result as TrashEntry };
	if (result.__typename === 'EditNotAllowedError') return { kind: 'not-allowed', message: result.message ?? '' };
	return { kind: 'not-found', message: result.message ?? '' };
}

export interface TrashApi {
	trash(first: number, after: string | null): Promise<Page<TrashEntry>>;
	deleteTrack(id: string): Promise<DeleteResult>;
	deleteAlbum(id: string): Promise<DeleteResult>;
	restore(id: string): Promise<RestoreResult>;
	purge(id: string): Promise<PurgeResult>;
	emptyTrash(): Promise<number>;
}

export function trashApi(api: TonearmApi): TrashApi {
	return {
		async trash(first, after) {
			const data = await api.run<{
				trash: {
					totalCount: number;
					pageInfo: { hasNextPage: boolean; endCursor: string | null };
					edges: { node: TrashEntry }[];
				};
			}>(TRASH_QUERY, { first, after });
			return {
				items: data.trash.edges.map((edge) => edge.node),
				pageInfo: data.trash.pageInfo,
				totalCount: data.trash.totalCount
			};
		},
		async deleteTrack(id) {
			const data = await api.run<{ deleteTrack: Typed<TrashEntry> }>(DELETE_TRACK_MUTATION, { id });
			return deleteResult(data.deleteTrack);
		},
		async deleteAlbum(id) {
			const data = await api.run<{ deleteAlbum: Typed<TrashEntry> }>(DELETE_ALBUM_MUTATION, { id });
			return deleteResult(data.deleteAlbum);
		},
		async restore(id) {
			const data = await api.run<{ restore: Typed<TrashEntry> }>(RESTORE_MUTATION, { id });
			const result = data.restore;
			if (result.__typename === 'TrashEntry') return { kind: 'ok', entry: result as TrashEntry };
			return { kind: 'not-in-trash', message: result.message ?? '' };
		},
		async purge(id) {
			const data = await api.run<{ purge: Typed<{ id: string }> }>(PURGE_MUTATION, { id });
			const result = data.purge;
			if (result.__typename === 'Purged') return { kind: 'ok', id: result.id ?? id };
			return { kind: 'not-in-trash', message: result.message ?? '' };
		},
		async emptyTrash() {
			const data = await api.run<{ emptyTrash: { purgedCount: number } }>(EMPTY_TRASH_MUTATION);
			return data.emptyTrash.purgedCount;
		}
	};
}
