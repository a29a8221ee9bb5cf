/** Shapes of the tonearm GraphQL API that the player uses (see docs/API-CONTRACT.md). */

export type TrackOrder = 'ARTIST' | 'TITLE' | 'RECENTLY_ADDED' | 'DURATION';

export const TRACK_ORDERS: readonly { value: TrackOrder; label: string }[] = [
	{ value: 'ARTIST', label: 'Artist' },
	{ value: 'TITLE', label: 'Title' },
	{ value: 'RECENTLY_ADDED', label: 'Recently added' },
	{ value: 'DURATION', label: 'Duration' }
];

export type AlbumOrder = 'TITLE' | 'ARTIST' | 'YEAR' | 'RECENTLY_ADDED';

export const ALBUM_ORDERS: readonly { value: AlbumOrder; label: string }[] = [
	{ value: 'ARTIST', label: 'Artist' },
	{ value: 'TITLE', label: 'Title' },
	{ value: 'YEAR', label: 'Year' },
	{ value: 'RECENTLY_ADDED', label: 'Recently added' }
];

/**
 * An album's or artist's cover at the sizes the player shows (`CoverArt.url(size:)`: 64, 300
 * and 600 px, or the nearest made size). The URLs are content-addressed and never change.
 */
export interface Cover {
	/** A CSS colour (`#rrggbb`) to paint while the image loads. */
	placeholder: string;
	small: string;
	medium: string;
	large: string;
}

/** An artist as a link: the name and where it goes. */
export interface ArtistRef {
	id: string;
	name: string;
}

/** A track's album, as far as a track row shows it. */
export interface AlbumRef {
	id: string;
	title: string;
}

export interface Track {
	/** Relay global ID, the one ID used everywhere. */
	id: string;
	title: string;
	/** The track artist credit as tagged, for display (`Kite Parade feat. Mirela`). */
	artist: string | null;
	/** The artists behind `artist`, main then featured, each with a page. */
	artists: ArtistRef[];
	album: AlbumRef | null;
	albumArtist: string | null;
	trackNumber: number | null;
	discNumber: number | null;
	discSubtitle: string | null;
	durationSeconds: number;
	mimeType: string;
	/** The album's cover; null when it has none. */
	coverArt: Cover | null;
	/** A signed stream URL the server minted for the viewer with this track (`Track.streamUrl`). */
	streamUrl?: StreamUrl | null;
	/** The viewer may edit its fields (owner, editor or admin); offers the edit dialog. */
	canEdit?: boolean;
	/** The viewer's role on it (admins: OWNER); owners may move it to the trash. */
	viewerRole?: 'OWNER' | 'EDITOR' | 'VIEWER' | null;
	/** How many users like it, and whether the viewer does (`setLiked`). */
	likeCount?: number;
	viewerHasLiked?: boolean;
	/** Counted plays by everyone (`recordPlay`). */
	playCount?: number;
}

/** An album as a grid tile shows it. */
export interface AlbumSummary {
	id: string;
	title: string;
	artistCredit: string;
	artists: ArtistRef[];
	year: number | null;
	isCompilation: boolean;
	coverArt: Cover | null;
}

/** An album with everything its page shows. */
export interface Album extends AlbumSummary {
	discCount: number;
	trackCount: number;
	durationSeconds: number;
	genres: string[];
	/** Disc, then track number, then title. */
	tracks: Track[];
	/** The viewer may edit the album's fields (bulk edit). */
	canEdit?: boolean;
	/** The viewer's role on the album (OWNER may manage its collaborators); null when none. */
	viewerRole?: 'OWNER' | 'EDITOR' | 'VIEWER' | null;
	likeCount?: number;
	viewerHasLiked?: boolean;
}

/** An album on an artist's page: theirs, or one they only appear on. */
export interface ArtistAlbum {
	album: AlbumSummary;
	/** The artist only appears on some of its tracks (a compilation, a guest spot). */
	isAppearance: boolean;
}

/** An artist as the artists index shows it. */
export interface ArtistSummary {
	id: string;
	name: string;
	albumCount: number;
	trackCount: number;
	coverArt: Cover | null;
	likeCount?: number;
	viewerHasLiked?: boolean;
}

/** One page of a connection, with the cursor to continue from. */
export interface Page<T> {
	items: T[];
	pageInfo: PageInfo;
	totalCount: number;
}

/** What one search finds: a few artists and albums, and the first page of tracks. */
export interface SearchResult {
	artists: Page<ArtistSummary>;
	albums: Page<AlbumSummary>;
	tracks: TrackPage;
}

/** The audio formats a track or one of its variants comes in (GraphQL `AudioFormat`). */
export type AudioFormat = 'MP3' | 'FLAC' | 'VORBIS' | 'OPUS' | 'AAC' | 'ALAC' | 'WAV';

/**
 * A signed, expiring stream URL (server-relative) and when it stops working (ISO 8601), with
 * the version of the track it streams: the original or a variant (`format`, `bitrateKbps`).
 * URLs that came with a track list may lack the format (an older server).
 */
export interface StreamUrl {
	url: string;
	expiresAt: string;
	format?: AudioFormat;
	bitrateKbps?: number | null;
	mimeType?: string;
}

export interface PageInfo {
	hasNextPage: boolean;
	endCursor: string | null;
}

export interface TrackPage {
	tracks: Track[];
	pageInfo: PageInfo;
	totalCount: number;
}

export interface LibraryStats {
	trackCount: number;
	artistCount: number;
	albumCount: number;
	totalDurationSeconds: number;
}

/** `createStreamUrl`'s result union, flattened. */
export type StreamUrlResult =
	| ({ kind: 'url' } & StreamUrl)
	| { kind: 'not-found'; message: string }
	| { kind: 'format-not-offered'; message: string; format: AudioFormat }
	| { kind: 'bitrate-too-low'; message: string; lowestBitrateKbps: number | null };

/** What the player asks `createStreamUrl` for instead of the original. */
export interface StreamRequest {
	format: AudioFormat;
	maxBitrateKbps: number;
}

// --- transcoding (admins) ----------------------------------------------------------------

/** A variant whose encoding failed, as the admin page lists it. */
export interface FailedVariant {
	track: { id: string; title: string; artist: string | null };
	format: AudioFormat;
	bitrateKbps: number;
	reason: string;
	attempts: number;
	failedAt: string;
}

/** `retryVariant`'s result union, flattened. */
export type RetryVariantResult = { kind: 'retried' } | { kind: 'refused'; message: string };

/** `transcodeQueue`: how many variants are in each state, and the failed ones. */
export interface TranscodeQueue {
	pending: number;
	running: number;
	ready: number;
	failed: number;
	failedVariants: FailedVariant[];
}

// --- accounts ----------------------------------------------------------------------------

export type Role = 'ADMIN' | 'LISTENER';

/** Whether the server wants a signed-in user (`REQUIRED`) or runs as a single-user box (`NONE`). */
export type AuthMode = 'REQUIRED' | 'NONE';

/** The signed-in user, as far as the player needs to know. */
export interface Viewer {
	id: string;
	username: string;
	role: Role;
	/** Signed in with a one-time password: ask for a new one before anything else. */
	mustChangePassword: boolean;
	/** May upload music (admins always may; the server checks again on every upload). */
	canUpload: boolean;
}

/** Who is signed in (null: nobody) and how the server handles accounts. */
export interface ViewerInfo {
	viewer: Viewer | null;
	authMode: AuthMode;
}

/** The `login` mutation's result union, flattened. */
export type LoginResult =
	| { kind: 'signed-in'; viewer: Viewer }
	| { kind: 'failed'; message: string }
	| { kind: 'rate-limited'; message: string; retryAfterSeconds: number };

/** An account as the admin page lists it. */
export interface AccountUser {
	id: string;
	username: string;
	role: Role;
	disabled: boolean;
	mustChangePassword: boolean;
	/** May upload music (always true for admins). */
	canUpload: boolean;
	createdAt: string | null;
	lastLoginAt: string | null;
}

/** One of the viewer's signed-in browsers. */
export interface BrowserSession {
	id: string;
	createdAt: string;
	expiresAt: string;
	/** The browser asking (this one). */
	current: boolean;
}

/** A personal API token's metadata (its secret is only ever in `CreatedApiToken`). */
export interface ApiToken {
	id: string;
	name: string;
	createdAt: string;
	lastUsedAt: string | null;
}

export interface CreatedApiToken {
	token: string;
	apiToken: ApiToken;
}

/** `createUser`'s result union, flattened. */
export type CreateUserResult =
	| { kind: 'created'; user: AccountUser; oneTimePassword: string }
	| { kind: 'username-taken'; message: string }
	| { kind: 'invalid-username'; message: string };

/** `updateUser`'s result union, flattened. */
export type UpdateUserResult =
	| { kind: 'updated'; user: AccountUser }
	| { kind: 'not-found'; message: string }
	| { kind: 'last-admin'; message: string };

/** `resetUserPassword`'s result union, flattened. */
export type ResetPasswordResult =
	{ kind: 'reset'; user: AccountUser; oneTimePassword: string } | { kind: 'not-found'; message: string };

/** `changePassword`'s result union, flattened. */
export type ChangePasswordResult =
	| { kind: 'changed'; viewer: Viewer }
	| { kind: 'wrong-password'; message: string }
	| { kind: 'rejected'; message: string }
	| { kind: 'rate-limited'; message: string; retryAfterSeconds: number };

/** The fields `updateUser` may change; omitted ones stay as they are. */
export interface UserChanges {
	role?: Role;
	disabled?: boolean;
	canUpload?: boolean;
}
