/**
 * Shares: the owner's operations (`createShare`, `revokeShare`, `shares`) through the
 * signed-in API, and the two public ones (`sharedItem`, `createShareStreamUrl`) that the
 * page at /s/<key> sends without an account (its unlock cookie rides along).
 */
import { GraphQLClient, type TonearmApi } from './graphql';

export type ShareQuality = 'ORIGINAL' | 'OPUS_96' | 'OPUS_160' | 'OPUS_320' | 'MP3_320';

export const SHARE_QUALITIES: readonly { value: ShareQuality; label: string }[] = [
	{ value: 'ORIGINAL', label: 'Original files' },
	{ value: 'OPUS_96', label: 'Opus 96 kbps (phones)' },
	{ value: 'OPUS_160', label: 'Opus 160 kbps' },
	{ value: 'OPUS_320', label: 'Opus 320 kbps' },
	{ value: 'MP3_320', label: 'MP3 up to 320 kbps' }
];

export interface Share {
	id: string;
	key: string;
	url: string;
	description: string | null;
	expiresAt: string;
	hasPassword: boolean;
	maxPlays: number | null;
	allowDownload: boolean;
	quality: ShareQuality | null;
	visitCount: number;
	playCount: number;
	lastVisitedAt: string | null;
	isRevoked: boolean;
	createdAt: string;
	/** What it points at as you see it (null: you no longer can). */
	target: { __typename: 'Track' | 'Album'; title: string } | { __typename: 'Playlist'; name: string } | null;
}

export interface ShareInput {
	targetId: string;
	expiresAt?: string | null;
	password?: string | null;
	maxPlays?: number | null;
	allowDownload?: boolean;
	quality?: ShareQuality;
	description?: string | null;
}

export type CreateShareResult = { ok: true; share: Share } | { ok: false; message: string; field: string | null };

const SHARE_FIELDS = `id key url description expiresAt hasPassword maxPlays allowDownload quality
  visitCount playCount lastVisitedAt isRevoked createdAt
  target { __typename ... on Track { title } ... on Album { title } ... on Playlist { name } }`;

const CREATE_SHARE = `mutation CreateShare($input: CreateShareInput!) { createShare(input: $input) {
  __typename
  ... on Share { ${SHARE_FIELDS} }
  ... on ShareTargetNotFoundError { message }
  ... on InvalidShareInputError { message field } } }`;

const REVOKE_SHARE = `mutation RevokeShare($id: ID!) { revokeShare(id: $id) {
  __typename ... on Share { ${SHARE_FIELDS} } ... on ShareNotFound { message } } }`;

const SHARES = `query Shares($first: Int!, $after: String) { shares(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { ${SHARE_FIELDS} } } } }`;

type CreateData = {
	createShare: ({ __typename: 'Share' } & Share) | { __typename: string; message: string; field?: string };
};

/** The owner's side, through the signed-in API. */
export function sharesApi(api: TonearmApi) {
	return {
		async create(input: ShareInput): Promise<CreateShareResult> {
			const data = await api.run<CreateData>(CREATE_SHARE, { input });
			const result = data.createShare;
			if (result.__typename === 'Share') return { ok: true, share: result as Share };
			const refusal = result as { message: string; field?: string };
			return { ok: false, message: refusal.message, field: refusal.field ?? null };
		},

		async revoke(id: string): Promise<Share | null> {
			const data = await api.run<{ revokeShare: ({ __typename: 'Share' } & Share) | { __typename: 'ShareNotFound' } }>(
				REVOKE_SHARE,
				{ id }
			);
			return data.revokeShare.__typename === 'Share' ? (data.revokeShare as Share) : null;
		},

		async list(first = 100, after: string | null = null) {
			const data = await api.run<{
				shares: {
					totalCount: number;
					pageInfo: { hasNextPage: boolean; endCursor: string | null };
					edges: { node: Share }[];
				};
			}>(SHARES, { first, after });
			return {
				shares: data.shares.edges.map((edge) => edge.node),
				totalCount: data.shares.totalCount,
				pageInfo: data.shares.pageInfo
			};
		}
	};
}

export type SharesApi = ReturnType<typeof sharesApi>;

/** A track as a share's page shows it. */
export interface SharedTrack {
	id: string;
	title: string;
	artist: string | null;
	album: string | null;
	durationSeconds: number;
	coverUrl: string | null;
}

/** What a share's page shows, flattened. */
export interface SharedPage {
	kind: 'track' | 'album' | 'playlist';
	title: string;
	subtitle: string | null;
	coverUrl: string | null;
	description: string | null;
	expiresAt: string;
	allowDownload: boolean;
	tracks: SharedTrack[];
}

export type SharedItemResult =
	| { kind: 'item'; page: SharedPage }
	| { kind: 'password'; message: string; wrongPassword: boolean; retryAfterSeconds: number | null }
	| { kind: 'not-found' };

export type ShareStreamResult =
	| { kind: 'url'; url: string; mimeType: string }
	| { kind: 'not-found' }
	| { kind: 'password' }
	| { kind: 'no-track' }
	| { kind: 'exhausted'; message: string };

const TRACK = 'id title artist album durationSeconds coverUrl(size: 300)';
const SHARED_ITEM = `query SharedItem($key: String!, $password: String) {
 sharedItem(key: $key, password: $password) {
  __typename
  ... on SharedItem { description expiresAt allowDownload target {
      __typename
      ... on SharedTrack { ${TRACK} }
      ... on SharedAlbum { title artistCredit year coverUrl(size: 600) tracks { ${TRACK} } }
      ... on SharedPlaylist { name coverUrl(size: 600) tracks { ${TRACK} } } } }
  ... on SharePasswordRequired { message wrongPassword retryAfterSeconds } } }`;

const SHARE_STREAM_URL = `mutation ShareStreamUrl($key: String!, $trackId: ID!) {
 createShareStreamUrl(key: $key, trackId: $trackId) {
  __typename ... on StreamUrl { url mimeType } ... on SharePlaysExhausted { message } } }`;

type SharedTarget =
	| ({ __typename: 'SharedTrack' } & SharedTrack)
	| {
			__typename: 'SharedAlbum';
			title: string;
			artistCredit: string;
			year: number | null;
			coverUrl: string | null;
			tracks: SharedTrack[];
	  }
	| { __typename: 'SharedPlaylist'; name: string; coverUrl: string | null; tracks: SharedTrack[] };

type SharedItemData = {
	sharedItem:
		| {
				__typename: 'SharedItem';
				description: string | null;
				expiresAt: string;
				allowDownload: boolean;
				target: SharedTarget;
		  }
		| { __typename: 'SharePasswordRequired'; message: string; wrongPassword: boolean; retryAfterSeconds: number | null }
		| { __typename: 'ShareNotFound' };
};

function flatten(item: Extract<SharedItemData['sharedItem'], { __typename: 'SharedItem' }>): SharedPage {
	const base = { description: item.description, expiresAt: item.expiresAt, allowDownload: item.allowDownload };
	const target = item.target;
	switch (target.__typename) {
		case 'SharedTrack':
			return {
				...base,
				kind: 'track',
				title: target.title,
				subtitle: target.artist,
				coverUrl: target.coverUrl,
				tracks: [target]
			};
		case 'SharedAlbum':
			return {
				...base,
				kind: 'album',
				title: target.title,
				subtitle: [target.artistCredit, target.year].filter(Boolean).join(' · ') || null,
				coverUrl: target.coverUrl,
				tracks: target.tracks
			};
		default:
			return {
				...base,
				kind: 'playlist',
				title: target.name,
				subtitle: null,
				coverUrl: target.coverUrl,
				tracks: target.tracks
			};
	}
}

/** The public side: no session needed (and none asked for). */
export function publicShares(client: GraphQLClient = new GraphQLClient()) {
	return {
		async open(key: string, password: string | null = null): Promise<SharedItemResult> {
			const data = await client.request<SharedItemData>(SHARED_ITEM, { key, password });
			const result = data.sharedItem;
			if (result.__typename === 'SharedItem') return { kind: 'item', page: flatten(result) };
			if (result.__typename === 'SharePasswordRequired') {
				return {
					kind: 'password',
					message: result.message,
					wrongPassword: result.wrongPassword,
					retryAfterSeconds: result.retryAfterSeconds
				};
			}
			return { kind: 'not-found' };
		},

		async streamUrl(key: string, trackId: string): Promise<ShareStreamResult> {
			const data = await client.request<{
				createShareStreamUrl: { __typename: string; url?: string; mimeType?: string; message?: string };
			}>(SHARE_STREAM_URL, { key, trackId });
			const result = data.createShareStreamUrl;
			switch (result.__typename) {
				case 'StreamUrl':
					return { kind: 'url', url: result.url ?? '', mimeType: result.mimeType ?? '' };
				case 'SharePasswordRequired':
					return { kind: 'password' };
				case 'TrackNotFoundError':
					return { kind: 'no-track' };
				case 'SharePlaysExhausted':
					return { kind: 'exhausted', message: result.message ?? 'This share’s plays are used up.' };
				default:
					return { kind: 'not-found' };
			}
		}
	};
}

export type PublicShares = ReturnType<typeof publicShares>;
