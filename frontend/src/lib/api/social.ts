/**
 * Likes, plays and comments: the operations behind the heart buttons and the Liked page
 * (`setLiked`, `liked`), the play reports and the History and Most played pages
 * (`recordPlay`, `history`, `topTracks`), and the comments under albums and tracks
 * (`comments`, `addComment`, `editComment`, `deleteComment`), their unions flattened.
 */
import { ALBUM_CARD_FIELDS, ARTIST_CARD_FIELDS, COVER_SELECTION, TRACK_FIELDS } from './fragments';
import type { TonearmApi } from './graphql';
import type { PublicUser } from './playlists';
import type { AlbumSummary, ArtistSummary, Cover, Page, Track } from './types';

export type LikeKind = 'TRACK' | 'ALBUM' | 'ARTIST' | 'PLAYLIST';
export type PlayPeriod = 'WEEK' | 'MONTH' | 'YEAR' | 'ALL';

/** A target's like state after `setLiked` (id: the target's global id). */
export interface LikeState {
	id: string;
	liked: boolean;
	likeCount: number;
}

export type SetLikedResult = ({ kind: 'ok' } & LikeState) | { kind: 'not-found'; message: string };

/** A liked playlist as the Liked page lists it. */
export interface LikedPlaylist {
	id: string;
	name: string;
	trackCount: number;
	coverArt: Cover | null;
	likeCount: number;
	viewerHasLiked: boolean;
}

export type LikedItem =
	| { kind: 'TRACK'; likedAt: string; track: Track }
	| { kind: 'ALBUM'; likedAt: string; album: AlbumSummary & { likeCount: number; viewerHasLiked: boolean } }
	| { kind: 'ARTIST'; likedAt: string; artist: ArtistSummary & { likeCount: number; viewerHasLiked: boolean } }
	| { kind: 'PLAYLIST'; likedAt: string; playlist: LikedPlaylist };

export interface Play {
	id: string;
	startedAt: string;
	playedSeconds: number;
	track: Track;
}

export interface TopTrack {
	track: Track;
	playCount: number;
}

export type RecordPlayResult =
	| { kind: 'recorded'; counted: boolean; playCount: number }
	| { kind: 'not-found'; message: string }
	| { kind: 'implausible'; message: string; reason: string };

export interface Comment {
	id: string;
	body: string;
	author: PublicUser;
	createdAt: string;
	editedAt: string | null;
	viewerCanEdit: boolean;
	viewerCanDelete: boolean;
}

/** Why the server refused a comment change. */
export type CommentRefusal =
	| { kind: 'invalid'; message: string }
	| { kind: 'rate-limited'; message: string; retryAfterSeconds: number }
	| { kind: 'not-found'; message: string }
	| { kind: 'not-allowed'; message: string };

export type CommentResult = { kind: 'ok'; comment: Comment } | CommentRefusal;

export const SET_LIKED_MUTATION = /* GraphQL */ `
	mutation PlayerSetLiked($id: ID!, $liked: Boolean!) {
		setLiked(id: $id, liked: $liked) {
			__typename
			... on LikeState {
				id
				liked
				likeCount
			}
			... on LikeTargetNotFoundError {
				message
			}
		}
	}
`;

export const LIKED_QUERY = /* GraphQL */ `
	query PlayerLiked($first: Int!, $after: String, $kind: LikeKind) {
		liked(first: $first, after: $after, kind: $kind) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					likedAt
					item {
						__typename
						... on Track {
							...PlayerTrack
						}
						... on Album {
							...PlayerAlbumCard
							likeCount
							viewerHasLiked
						}
						... on Artist {
							...PlayerArtistCard
							likeCount
							viewerHasLiked
						}
						... on Playlist {
							id
							name
							trackCount
							likeCount
							viewerHasLiked
							${COVER_SELECTION}
						}
					}
				}
			}
		}
	}
	${TRACK_FIELDS}
	${ALBUM_CARD_FIELDS}
	${ARTIST_CARD_FIELDS}
`;

export const HISTORY_QUERY = /* GraphQL */ `
	query PlayerHistory($first: Int!, $after: String) {
		history(first: $first, after: $after) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					id
					startedAt
					playedSeconds
					track {
						...PlayerTrack
					}
				}
			}
		}
	}
	${TRACK_FIELDS}
`;

export const TOP_TRACKS_QUERY = /* GraphQL */ `
	query PlayerTopTracks($period: PlayPeriod!, $first: Int!) {
		topTracks(period: $period, first: $first) {
			playCount
			track {
				...PlayerTrack
			}
		}
	}
	${TRACK_FIELDS}
`;

export const RECORD_PLAY_MUTATION = /* GraphQL */ `
	mutation PlayerRecordPlay($trackId: ID!, $playedSeconds: Float!, $startedAt: DateTime) {
		recordPlay(trackId: $trackId, playedSeconds: $playedSeconds, startedAt: $startedAt) {
			__typename
			... on RecordedPlay {
				counted
				track {
					id
					playCount
				}
			}
			... on TrackNotFoundError {
				message
			}
			... on ImplausiblePlayError {
				message
				reason
			}
		}
	}
`;

const COMMENT_FIELDS = /* GraphQL */ `
	fragment PlayerComment on Comment {
		id
		body
		author {
			id
			username
		}
		createdAt
		editedAt
		viewerCanEdit
		viewerCanDelete
	}
`;

const COMMENTS_SELECTION = /* GraphQL */ `
	comments(first: $first, after: $after) {
		totalCount
		pageInfo {
			hasNextPage
			endCursor
		}
		edges {
			node {
				...PlayerComment
			}
		}
	}
`;

/** The comments of a track or an album, newest first (`node` answers both kinds). */
export const COMMENTS_QUERY = /* GraphQL */ `
	query PlayerComments($id: ID!, $first: Int!, $after: String) {
		node(id: $id) {
			__typename
			... on Track {
				${COMMENTS_SELECTION}
			}
			... on Album {
				${COMMENTS_SELECTION}
			}
		}
	}
	${COMMENT_FIELDS}
`;

export const ADD_COMMENT_MUTATION = /* GraphQL */ `
	mutation PlayerAddComment($targetId: ID!, $body: String!) {
		addComment(targetId: $targetId, body: $body) {
			__typename
			... on Comment {
				...PlayerComment
			}
			... on CommentTargetNotFoundError {
				message
			}
			... on InvalidCommentError {
				message
			}
			... on CommentRateLimited {
				message
				retryAfterSeconds
			}
		}
	}
	${COMMENT_FIELDS}
`;

export const EDIT_COMMENT_MUTATION = /* GraphQL */ `
	mutation PlayerEditComment($id: ID!, $body: String!) {
		editComment(id: $id, body: $body) {
			__typename
			... on Comment {
				...PlayerComment
			}
			... on CommentNotFoundError {
				message
			}
			... on InvalidCommentError {
				message
			}
			... on EditNotAllowedError {
				message
			}
		}
	}
	${COMMENT_FIELDS}
`;

export const DELETE_COMMENT_MUTATION = /* GraphQL */ `
	mutation PlayerDeleteComment($id: ID!) {
		deleteComment(id: $id) {
			__typename
			... on DeletedComment {
				id
			}
			... on CommentNotFoundError {
				message
			}
			... on EditNotAllowedError {
				message
			}
		}
	}
`;

/** The longest comment the server takes (characters, as the server counts them). */
export const MAX_COMMENT_LENGTH = 2000;

/** A comment's length as the server counts it (Python `len`: code points, not UTF-16 units). */
export function commentLength(body: string): number {
	let n = 0;
	for (const _ of body) n++;
	return n;
}

interface Connection<N> {
	totalCount: number;
	pageInfo: { hasNextPage: boolean; endCursor: string | null };
	edges: { node: N }[];
}

function page<N, T>(connection: Connection<N>, map: (node: N) => T): Page<T> {
	return {
		items: connection.edges.map((edge) => map(edge.node)),
		pageInfo: connection.pageInfo,
		totalCount: connection.totalCount
	};
}

type Refusal = { __typename: string; message: string; retryAfterSeconds?: number; reason?: string };

function commentResult(result: ({ __typename: 'Comment' } & Comment) | Refusal): CommentResult {
	switch (result.__typename) {
		case 'Comment':
			return { kind: 'ok', comment: result as Comment };
		case 'InvalidCommentError':
			return { kind: 'invalid', message: result.message };
		case 'CommentRateLimited':
			return {
				kind: 'rate-limited',
				message: result.message,
				retryAfterSeconds: (result as Refusal).retryAfterSeconds ?? 0
			};
		case 'EditNotAllowedError':
			return { kind: 'not-allowed', message: result.message };
		default:
			return { kind: 'not-found', message: (result as Refusal).message };
	}
}

type LikedNode = { likedAt: string; item: { __typename: string } & Record<string, unknown> };

function likedItem(node: LikedNode): LikedItem {
	const { __typename, ...item } = node.item;
	switch (__typename) {
		case 'Album':
			return { kind: 'ALBUM', likedAt: node.likedAt, album: item as unknown as LikedItemOf<'ALBUM'>['album'] };
		case 'Artist':
			return { kind: 'ARTIST', likedAt: node.likedAt, artist: item as unknown as LikedItemOf<'ARTIST'>['artist'] };
		case 'Playlist':
			return { kind: 'PLAYLIST', likedAt: node.likedAt, playlist: item as unknown as LikedPlaylist };
		default:
			return { kind: 'TRACK', likedAt: node.likedAt, track: item as unknown as Track };
	}
}

type LikedItemOf<K extends LikeKind> = Extract<LikedItem, { kind: K }>;

/** A track with its play counts, for its page. */
export interface TrackDetails extends Track {
	playCount: number;
	viewerPlayCount: number;
	lastPlayedAt: string | null;
	likeCount: number;
	viewerHasLiked: boolean;
}

export const TRACK_DETAILS_QUERY = /* GraphQL */ `
	query PlayerTrackDetails($id: ID!) {
		track(id: $id) {
			...PlayerTrack
			viewerPlayCount
			lastPlayedAt
		}
	}
	${TRACK_FIELDS}
`;

/** What the like, play and comment stores ask of the server. */
export interface SocialApi {
	setLiked(id: string, liked: boolean): Promise<SetLikedResult>;
	/** The track with its counts; null when there is no such track (or the id is not one). */
	trackDetails(id: string): Promise<TrackDetails | null>;
	liked(args: { first: number; after?: string | null; kind?: LikeKind | null }): Promise<Page<LikedItem>>;
	history(args: { first: number; after?: string | null }): Promise<Page<Play>>;
	topTracks(period: PlayPeriod, first: number): Promise<TopTrack[]>;
	recordPlay(trackId: string, playedSeconds: number, startedAt: Date | null): Promise<RecordPlayResult>;
	comments(targetId: string, first: number, after: string | null): Promise<Page<Comment>>;
	addComment(targetId: string, body: string): Promise<CommentResult>;
	editComment(id: string, body: string): Promise<CommentResult>;
	deleteComment(id: string): Promise<{ kind: 'deleted'; id: string } | CommentRefusal>;
}

export function socialApi(api: TonearmApi): SocialApi {
	return {
		async setLiked(id, liked) {
			const data = await api.run<{ setLiked: ({ __typename: 'LikeState' } & LikeState) | Refusal }>(
				SET_LIKED_MUTATION,
				{ id, liked }
			);
			const result = data.setLiked;
			if (result.__typename === 'LikeState') {
				const state = result as LikeState;
				return { kind: 'ok', id: state.id, liked: state.liked, likeCount: state.likeCount };
			}
			return { kind: 'not-found', message: (result as Refusal).message };
		},

		async trackDetails(id) {
			let data: { track: TrackDetails | null };
			try {
				data = await api.run<{ track: TrackDetails | null }>(TRACK_DETAILS_QUERY, { id });
			} catch (error) {
				if ((error as { code?: string }).code === 'INVALID_ID') return null;
				throw error;
			}
			return data.track;
		},

		async liked({ first, after = null, kind = null }) {
			const data = await api.run<{ liked: Connection<LikedNode> }>(LIKED_QUERY, { first, after, kind });
			return page(data.liked, likedItem);
		},

		async history({ first, after = null }) {
			const data = await api.run<{ history: Connection<Play> }>(HISTORY_QUERY, { first, after });
			return page(data.history, (play) => play);
		},

		async topTracks(period, first) {
			const data = await api.run<{ topTracks: TopTrack[] }>(TOP_TRACKS_QUERY, { period, first });
			return data.topTracks;
		},

		async recordPlay(trackId, playedSeconds, startedAt) {
			type Data = {
				recordPlay:
					{ __typename: 'RecordedPlay'; counted: boolean; track: { id: string; playCount: number } } | Refusal;
			};
			const data = await api.run<Data>(RECORD_PLAY_MUTATION, {
				trackId,
				playedSeconds,
				startedAt: startedAt ? startedAt.toISOString() : null
			});
			const result = data.recordPlay;
			if (result.__typename === 'RecordedPlay') {
				const recorded = result as { counted: boolean; track: { playCount: number } };
				return { kind: 'recorded', counted: recorded.counted, playCount: recorded.track.playCount };
			}
			const refusal = result as Refusal;
			if (refusal.__typename === 'ImplausiblePlayError') {
				return { kind: 'implausible', message: refusal.message, reason: refusal.reason ?? '' };
			}
			return { kind: 'not-found', message: refusal.message };
		},

		async comments(targetId, first, after) {
			const data = await api.run<{ node: { comments?: Connection<Comment> } | null }>(COMMENTS_QUERY, {
				id: targetId,
				first,
				after
			});
			const comments = data.node?.comments;
			if (!comments) return { items: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
			return page(comments, (comment) => comment);
		},

		async addComment(targetId, body) {
			const data = await api.run<{ addComment: ({ __typename: 'Comment' } & Comment) | Refusal }>(
				ADD_COMMENT_MUTATION,
				{ targetId, body }
			);
			return commentResult(data.addComment);
		},

		async editComment(id, body) {
			const data = await api.run<{ editComment: ({ __typename: 'Comment' } & Comment) | Refusal }>(
				EDIT_COMMENT_MUTATION,
				{ id, body }
			);
			return commentResult(data.editComment);
		},

		async deleteComment(id) {
			const data = await api.run<{ deleteComment: { __typename: 'DeletedComment'; id: string } | Refusal }>(
				DELETE_COMMENT_MUTATION,
				{ id }
			);
			const result = data.deleteComment;
			if (result.__typename === 'DeletedComment') return { kind: 'deleted', id: (result as { id: string }).id };
			const refusal = commentResult(result as Refusal);
			return refusal.kind === 'ok' ? { kind: 'not-found', message: '' } : refusal;
		}
	};
}
