/** Shapes of the tonearm GraphQL API that the player uses (see docs/API-CONTRACT.md). */

export type TrackOrder = 'ARTIST' | 'TITLE' | 'RECENTLY_ADDED' | 'DURATION';

export const TRACK_ORDERS: readonly { value: TrackOrder; label: string }[] = [
	{ value: 'ARTIST', label: 'Artist' },
	{ value: 'TITLE', label: 'Title' },
	{ value: 'RECENTLY_ADDED', label: 'Recently added' },
	{ value: 'DURATION', label: 'Duration' }
];

export interface Track {
	/** Relay global ID, the one ID used everywhere. */
	id: string;
	title: string;
	artist: string | null;
	album: string | null;
	albumArtist: string | null;
	trackNumber: number | null;
	durationSeconds: number;
	mimeType: string;
	/** A signed stream URL the server minted for the viewer with this track (`Track.streamUrl`). */
	streamUrl?: StreamUrl | null;
}

/** A signed, expiring stream URL (server-relative) and when it stops working (ISO 8601). */
export interface StreamUrl {
	url: string;
	expiresAt: string;
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

export type StreamUrlResult = { kind: 'url'; url: string; expiresAt: string } | { kind: 'not-found'; message: string };

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
}
