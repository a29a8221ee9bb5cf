/**
 * Missing files, for admins: the tracks whose files were gone at a rescan
 * (`missingTracks`), and purging one at once (`purge`, the trash's mutation: a missing track
 * needs no trash entry to be purged by an admin). Nothing here carries a file path: the
 * server never sends one.
 */
import { toPage, type Connection } from './catalog';
import type { TonearmApi } from './graphql';
import { trashApi, type PurgeResult } from './trash';
import type { AlbumRef, Page } from './types';

/** `Track.state`: null for viewers who are neither admins nor owners of the track. */
export type TrackState = 'AVAILABLE' | 'MISSING' | 'TRASHED';

/** A missing track as the admins' list shows it. */
export interface MissingTrack {
	id: string;
	title: string;
	artist: string | null;
	/** The album title as tagged; `album` is null when the whole album is gone too. */
	albumTitle: string | null;
	album: AlbumRef | null;
	state: TrackState | null;
	/** When its file was found gone (ISO 8601). */
	missingSince: string | null;
}

export type { PurgeResult } from './trash';

export const MISSING_TRACKS_QUERY = /* GraphQL */ `
	query PlayerMissingTracks($first: Int, $after: String) {
		missingTracks(first: $first, after: $after) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					id
					title
					artist
					albumTitle
					album {
						id
						title
					}
					state
					missingSince
				}
			}
		}
	}
`;

export interface MissingApi {
	missingTracks(first: number, after: string | null): Promise<Page<MissingTrack>>;
	purge(id: string): Promise<PurgeResult>;
}

export function missingApi(api: TonearmApi): MissingApi {
	return {
		async missingTracks(first, after) {
			const data = await api.run<{ missingTracks: Connection<MissingTrack> }>(MISSING_TRACKS_QUERY, {
				first,
				after
			});
			return toPage(data.missingTracks);
		},

		purge: (id) => trashApi(api).purge(id)
	};
}
