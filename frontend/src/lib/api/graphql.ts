/**
 * The one place the player talks GraphQL: a small typed `fetch` wrapper plus the few
 * operations the player needs. Every failure surfaces as an `ApiError` subclass, so the UI
 * can tell "server unreachable" from "the server said no".
 *
 * Authentication is the server's httpOnly session cookie, set by `login` and sent by the
 * browser on every same-origin request; this module never sees it.
 */
import {
	ALBUMS_QUERY,
	ALBUM_QUERY,
	ARTISTS_QUERY,
	ARTIST_QUERY,
	ARTIST_TRACKS_QUERY,
	SEARCH_QUERY,
	toArtistWithAlbums,
	toPage,
	toTrackPage,
	type AlbumData,
	type AlbumsArgs,
	type AlbumsData,
	type ArtistData,
	type ArtistTracksData,
	type ArtistWithAlbums,
	type ArtistsArgs,
	type ArtistsData,
	type SearchArgs,
	type SearchData
} from './catalog';
import { TRACK_FIELDS } from './fragments';
import type {
	AccountUser,
	Album,
	AudioFormat,
	AlbumSummary,
	ApiToken,
	ArtistSummary,
	BrowserSession,
	ChangePasswordResult,
	CreateUserResult,
	CreatedApiToken,
	LibraryStats,
	LoginResult,
	Page,
	ResetPasswordResult,
	RetryVariantResult,
	Role,
	SearchResult,
	StreamRequest,
	StreamUrl,
	StreamUrlResult,
	Track,
	TrackOrder,
	TrackPage,
	TranscodeQueue,
	UpdateUserResult,
	UserChanges,
	Viewer,
	ViewerInfo
} from './types';

export { TRACK_FIELDS };

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Base class of everything the client throws. */
export class ApiError extends Error {
	override name = 'ApiError';
}

/** The request never got an HTTP answer (server down, connection refused, offline, aborted). */
export class NetworkError extends ApiError {
	override name = 'NetworkError';
	constructor(
		message: string,
		readonly cause?: unknown
	) {
		super(message);
	}
}

/** An HTTP answer that is not a GraphQL response (e.g. 502 from a proxy, HTML error page). */
export class HttpError extends ApiError {
	override name = 'HttpError';
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

/** The server answered with GraphQL `errors`; the first one is surfaced. */
export class GraphQLError extends ApiError {
	override name = 'GraphQLError';
	constructor(
		message: string,
		/** `errors[0].extensions.code`, e.g. `INVALID_CURSOR`, if the server gave one. */
		readonly code: string | null,
		/** HTTP status of the response (200 or a 4xx under application/graphql-response+json). */
		readonly status: number,
		readonly errors: readonly GraphQLErrorEntry[]
	) {
		super(message);
	}
}

export interface GraphQLErrorEntry {
	message: string;
	path?: readonly (string | number)[];
	extensions?: { code?: string; [key: string]: unknown };
}

interface GraphQLResponse<T> {
	data?: T | null;
	errors?: GraphQLErrorEntry[];
}

export interface ClientOptions {
	endpoint?: string;
	fetch?: FetchLike;
	/** Sent with every request (an anonymous guest's `Authorization: Bearer tgs_…`). */
	headers?: Record<string, string>;
}

export type Variables = Record<string, unknown>;

export class GraphQLClient {
	readonly endpoint: string;
	readonly #fetch: FetchLike;
	readonly #headers: Record<string, string>;

	constructor({ endpoint = '/graphql', fetch: fetchImpl, headers = {} }: ClientOptions = {}) {
		this.endpoint = endpoint;
		this.#headers = headers;
		// Bind lazily so tests and SSR-free builds never touch a missing global at import time.
		this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
	}

	/** POST one operation; resolve with `data` or throw an `ApiError`. */
	async request<T>(query: string, variables: Variables = {}, signal?: AbortSignal): Promise<T> {
		let response: Response;
		try {
			response = await this.#fetch(this.endpoint, {
				method: 'POST',
				headers: {
					...this.#headers,
					'Content-Type': 'application/json',
					Accept: 'application/graphql-response+json, application/json'
				},
				body: JSON.stringify({ query, variables }),
				// The session cookie; explicit, so a cross-origin endpoint never gets it.
				credentials: 'same-origin',
				signal
			});
		} catch (cause) {
			if (isAbort(cause)) throw cause;
			throw new NetworkError('Could not reach the tonearm server.', cause);
		}

		const body = await readJson<GraphQLResponse<T>>(response);
		const first = body?.errors?.[0];
		if (first) {
			const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
			throw new GraphQLError(first.message || 'Unknown GraphQL error', code, response.status, body.errors ?? []);
		}
		if (!response.ok) {
			throw new HttpError(response.status, `The server answered ${response.status} ${response.statusText}`.trim());
		}
		if (!body || body.data == null) {
			throw new HttpError(response.status, 'The server sent a response that is not GraphQL.');
		}
		return body.data;
	}
}

async function readJson<T>(response: Response): Promise<T | null> {
	let text: string;
	try {
		text = await response.text();
	} catch (cause) {
		throw new NetworkError('The connection to the tonearm server was interrupted.', cause);
	}
	try {
		return JSON.parse(text) as T;
	} catch {
		return null;
	}
}

function isAbort(error: unknown): boolean {
	return error instanceof DOMException && error.name === 'AbortError';
}

/** `extensions.code` of an argument that is not a global ID of the right type. */
export const INVALID_ID = 'INVALID_ID';

/** `extensions.code` of a request made without a valid session. */
export const UNAUTHENTICATED = 'UNAUTHENTICATED';

/** Shown when a request finds that the session is gone (signed out elsewhere, expired, disabled). */
export const SESSION_ENDED_MESSAGE = 'Your session has ended — please sign in again.';

/**
 * The server refused the request because nobody is signed in. tonearm says so with a
 * field error coded `UNAUTHENTICATED`, answered with HTTP 200 under both media types (it is
 * not a request error, so application/graphql-response+json does not make it a 4xx); the
 * code is the only signal. An HTTP 401 would come from something in front of tonearm.
 */
export function isUnauthenticated(error: unknown): boolean {
	if (!(error instanceof GraphQLError)) return false;
	return error.errors.some((e) => e.extensions?.code === UNAUTHENTICATED);
}

/** A sentence that tells the user what happened and what to do about it. */
export function describeError(error: unknown): string {
	if (error instanceof NetworkError) {
		return 'Cannot reach the tonearm server. Check that `tonearm serve` is running, then retry.';
	}
	if (isUnauthenticated(error)) return SESSION_ENDED_MESSAGE;
	if (error instanceof GraphQLError && error.code === 'FORBIDDEN') {
		return 'Your account is not allowed to do that (FORBIDDEN). Ask an admin of this server.';
	}
	if (error instanceof GraphQLError && error.code === 'CSRF_REJECTED') {
		return 'The server refused the request as possibly cross-site (CSRF_REJECTED). Reload the page, then retry.';
	}
	if (error instanceof GraphQLError) {
		return error.code
			? `The server reported an error (${error.code}): ${error.message}`
			: `The server reported an error: ${error.message}`;
	}
	if (error instanceof HttpError) {
		return `The server answered with HTTP ${error.status}. Check the tonearm server's log, then retry.`;
	}
	return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------
// Operations

export const TRACKS_QUERY = /* GraphQL */ `
	query PlayerTracks($first: Int!, $after: String, $search: String, $orderBy: TrackOrder!) {
		tracks(first: $first, after: $after, search: $search, orderBy: $orderBy) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					...PlayerTrack
				}
			}
		}
	}
	${TRACK_FIELDS}
`;

export const LIBRARY_QUERY = /* GraphQL */ `
	query PlayerLibrary {
		library {
			trackCount
			artistCount
			albumCount
			totalDurationSeconds
		}
	}
`;

export const CREATE_STREAM_URL_MUTATION = /* GraphQL */ `
	mutation PlayerCreateStreamUrl($trackId: ID!, $format: AudioFormat, $maxBitrateKbps: Int) {
		createStreamUrl(trackId: $trackId, format: $format, maxBitrateKbps: $maxBitrateKbps) {
			__typename
			... on StreamUrl {
				url
				expiresAt
				format
				bitrateKbps
				mimeType
			}
			... on TrackNotFoundError {
				message
			}
			... on FormatNotOfferedError {
				message
				format
			}
			... on BitrateTooLowError {
				message
				lowestBitrateKbps
			}
		}
	}
`;

export const TRANSCODE_QUEUE_QUERY = /* GraphQL */ `
	query PlayerTranscodeQueue($first: Int!) {
		transcodeQueue {
			pending
			running
			ready
			failed
			failedVariants(first: $first) {
				track {
					id
					title
					artist
				}
				format
				bitrateKbps
				reason
				attempts
				failedAt
			}
		}
	}
`;

export const RETRY_VARIANT_MUTATION = /* GraphQL */ `
	mutation PlayerRetryVariant($trackId: ID!, $format: AudioFormat!, $bitrateKbps: Int!) {
		retryVariant(trackId: $trackId, format: $format, bitrateKbps: $bitrateKbps) {
			__typename
			... on VariantNotFailedError {
				message
			}
			... on VariantNotOfferedError {
				message
			}
			... on TrackNotFoundError {
				message
			}
		}
	}
`;

export const VIEWER_QUERY = /* GraphQL */ `
	query PlayerViewer {
		viewer {
			id
			username
			role
			mustChangePassword
			canUpload
		}
		authMode
	}
`;

export const LOGIN_MUTATION = /* GraphQL */ `
	mutation PlayerLogin($username: String!, $password: String!) {
		login(username: $username, password: $password) {
			__typename
			... on User {
				id
				username
				role
				mustChangePassword
				canUpload
			}
			... on LoginFailed {
				message
			}
			... on LoginRateLimited {
				message
				retryAfterSeconds
			}
		}
	}
`;

export const LOGOUT_MUTATION = /* GraphQL */ `
	mutation PlayerLogout {
		logout
	}
`;

const ACCOUNT_USER_FIELDS = /* GraphQL */ `
	fragment PlayerAccountUser on User {
		id
		username
		role
		disabled
		mustChangePassword
		canUpload
		createdAt
		lastLoginAt
	}
`;

export const USERS_QUERY = /* GraphQL */ `
	query PlayerUsers {
		users {
			...PlayerAccountUser
		}
	}
	${ACCOUNT_USER_FIELDS}
`;

export const CREATE_USER_MUTATION = /* GraphQL */ `
	mutation PlayerCreateUser($input: CreateUserInput!) {
		createUser(input: $input) {
			__typename
			... on CreatedUser {
				oneTimePassword
				user {
					...PlayerAccountUser
				}
			}
			... on UsernameTakenError {
				message
			}
			... on InvalidUsernameError {
				message
			}
		}
	}
	${ACCOUNT_USER_FIELDS}
`;

export const UPDATE_USER_MUTATION = /* GraphQL */ `
	mutation PlayerUpdateUser($id: ID!, $input: UpdateUserInput!) {
		updateUser(id: $id, input: $input) {
			__typename
			... on User {
				...PlayerAccountUser
			}
			... on UserNotFoundError {
				message
			}
			... on LastActiveAdminError {
				message
			}
		}
	}
	${ACCOUNT_USER_FIELDS}
`;

export const RESET_USER_PASSWORD_MUTATION = /* GraphQL */ `
	mutation PlayerResetUserPassword($id: ID!) {
		resetUserPassword(id: $id) {
			__typename
			... on PasswordReset {
				oneTimePassword
				user {
					...PlayerAccountUser
				}
			}
			... on UserNotFoundError {
				message
			}
		}
	}
	${ACCOUNT_USER_FIELDS}
`;

export const CHANGE_PASSWORD_MUTATION = /* GraphQL */ `
	mutation PlayerChangePassword($currentPassword: String!, $newPassword: String!) {
		changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
			__typename
			... on User {
				id
				username
				role
				mustChangePassword
				canUpload
			}
			... on WrongPasswordError {
				message
			}
			... on PasswordRejectedError {
				message
			}
			... on LoginRateLimited {
				message
				retryAfterSeconds
			}
		}
	}
`;

export const SESSIONS_QUERY = /* GraphQL */ `
	query PlayerSessions {
		sessions {
			id
			createdAt
			expiresAt
			current
		}
	}
`;

export const END_SESSION_MUTATION = /* GraphQL */ `
	mutation PlayerEndSession($id: ID!) {
		endSession(id: $id)
	}
`;

const API_TOKEN_FIELDS = /* GraphQL */ `
	fragment PlayerApiToken on ApiToken {
		id
		name
		createdAt
		lastUsedAt
	}
`;

export const API_TOKENS_QUERY = /* GraphQL */ `
	query PlayerApiTokens {
		apiTokens {
			...PlayerApiToken
		}
	}
	${API_TOKEN_FIELDS}
`;

export const CREATE_API_TOKEN_MUTATION = /* GraphQL */ `
	mutation PlayerCreateApiToken($name: String!) {
		createApiToken(name: $name) {
			token
			apiToken {
				...PlayerApiToken
			}
		}
	}
	${API_TOKEN_FIELDS}
`;

export const REVOKE_API_TOKEN_MUTATION = /* GraphQL */ `
	mutation PlayerRevokeApiToken($id: ID!) {
		revokeApiToken(id: $id)
	}
`;

export interface TracksArgs {
	first: number;
	after?: string | null;
	search?: string | null;
	orderBy: TrackOrder;
}

interface TracksData {
	tracks: {
		totalCount: number;
		pageInfo: { hasNextPage: boolean; endCursor: string | null };
		edges: { node: Track }[];
	};
}

type CreateStreamUrlData = {
	createStreamUrl:
		| ({ __typename: 'StreamUrl' } & Required<Pick<StreamUrl, 'url' | 'expiresAt' | 'format' | 'mimeType'>> & {
					bitrateKbps: number | null;
				})
		| { __typename: 'TrackNotFoundError'; message: string }
		| { __typename: 'FormatNotOfferedError'; message: string; format: AudioFormat }
		| { __typename: 'BitrateTooLowError'; message: string; lowestBitrateKbps: number | null };
};

type LoginData = {
	login:
		| { __typename: 'User'; id: string; username: string; role: Role; mustChangePassword: boolean }
		| { __typename: 'LoginFailed'; message: string }
		| { __typename: 'LoginRateLimited'; message: string; retryAfterSeconds: number };
};

type CreateUserData = {
	createUser:
		| { __typename: 'CreatedUser'; oneTimePassword: string; user: AccountUser }
		| { __typename: 'UsernameTakenError'; message: string }
		| { __typename: 'InvalidUsernameError'; message: string };
};

type UpdateUserData = {
	updateUser:
		| ({ __typename: 'User' } & AccountUser)
		| { __typename: 'UserNotFoundError'; message: string }
		| { __typename: 'LastActiveAdminError'; message: string };
};

type ResetUserPasswordData = {
	resetUserPassword:
		| { __typename: 'PasswordReset'; oneTimePassword: string; user: AccountUser }
		| { __typename: 'UserNotFoundError'; message: string };
};

type ChangePasswordData = {
	changePassword:
		| ({ __typename: 'User' } & Viewer)
		| { __typename: 'WrongPasswordError'; message: string }
		| { __typename: 'PasswordRejectedError'; message: string }
		| { __typename: 'LoginRateLimited'; message: string; retryAfterSeconds: number };
};

type RetryVariantData = {
	retryVariant:
		| { __typename: 'RetriedVariant' }
		| { __typename: 'VariantNotFailedError' | 'VariantNotOfferedError' | 'TrackNotFoundError'; message: string };
};

export type UnauthenticatedListener = (error: GraphQLError) => void;

/** The operations the player uses, typed. */
export class TonearmApi {
	readonly #unauthenticated = new Set<UnauthenticatedListener>();

	constructor(readonly client: GraphQLClient = new GraphQLClient()) {}

	/**
	 * Be told whenever an operation that needs a session fails with `UNAUTHENTICATED`
	 * (the error is still thrown to the caller). Returns an unsubscribe function.
	 */
	onUnauthenticated(listener: UnauthenticatedListener): () => void {
		this.#unauthenticated.add(listener);
		return () => this.#unauthenticated.delete(listener);
	}

	/** Who is signed in (null when nobody is) and the server's auth mode. Never UNAUTHENTICATED. */
	async viewer(signal?: AbortSignal): Promise<ViewerInfo> {
		const data = await this.client.request<{ viewer: Viewer | null; authMode: ViewerInfo['authMode'] }>(
			VIEWER_QUERY,
			{},
			signal
		);
		return { viewer: data.viewer ? pickViewer(data.viewer) : null, authMode: data.authMode };
	}

	/** Sign in; on success the server sets the session cookie. The password is only sent, never kept. */
	async login(username: string, password: string): Promise<LoginResult> {
		const data = await this.client.request<LoginData>(LOGIN_MUTATION, { username, password });
		const result = data.login;
		switch (result.__typename) {
			case 'User':
				return { kind: 'signed-in', viewer: pickViewer(result) };
			case 'LoginRateLimited':
				return { kind: 'rate-limited', message: result.message, retryAfterSeconds: result.retryAfterSeconds };
			default:
				return { kind: 'failed', message: result.message };
		}
	}

	/**
	 * End the session (the server clears the cookie). Resolves `false` when there was no
	 * session left to end (`UNAUTHENTICATED`), which is just as signed out.
	 */
	async logout(): Promise<boolean> {
		try {
			const data = await this.client.request<{ logout: boolean }>(LOGOUT_MUTATION);
			return data.logout;
		} catch (error) {
			if (isUnauthenticated(error)) return false;
			throw error;
		}
	}

	/**
	 * Run an operation that needs a session (for the operations defined beside their state,
	 * e.g. uploads.ts and editing.ts): like the methods here, an ended session is reported.
	 */
	run<T>(query: string, variables: Variables = {}, signal?: AbortSignal): Promise<T> {
		return this.#authed<T>(query, variables, signal);
	}

	/** Tell the listeners that a request found the session gone (uploads sent outside `run`). */
	reportUnauthenticated(error: unknown): void {
		if (!isUnauthenticated(error)) return;
		for (const listener of [...this.#unauthenticated]) listener(error as GraphQLError);
	}

	/** A request that needs a session: tell the listeners when it has none. */
	async #authed<T>(query: string, variables: Variables, signal?: AbortSignal): Promise<T> {
		try {
			return await this.client.request<T>(query, variables, signal);
		} catch (error) {
			if (isUnauthenticated(error)) {
				for (const listener of [...this.#unauthenticated]) listener(error as GraphQLError);
			}
			throw error;
		}
	}

	async tracks(args: TracksArgs, signal?: AbortSignal): Promise<TrackPage> {
		const search = args.search?.trim() || null;
		const data = await this.#authed<TracksData>(
			TRACKS_QUERY,
			{ first: args.first, after: args.after ?? null, search, orderBy: args.orderBy },
			signal
		);
		return {
			tracks: data.tracks.edges.map((edge) => edge.node),
			pageInfo: data.tracks.pageInfo,
			totalCount: data.tracks.totalCount
		};
	}

	// --- albums and artists ----------------------------------------------------------------

	async albums(args: AlbumsArgs, signal?: AbortSignal): Promise<Page<AlbumSummary>> {
		const data = await this.#authed<AlbumsData>(
			ALBUMS_QUERY,
			{ first: args.first, after: args.after ?? null, search: args.search?.trim() || null, orderBy: args.orderBy },
			signal
		);
		return toPage(data.albums);
	}

	/** The album with its tracks; null when there is no such album (or the id is not one). */
	async album(id: string, signal?: AbortSignal): Promise<Album | null> {
		const data = await this.#authedOrNotFound<AlbumData>(ALBUM_QUERY, { id }, signal);
		return data?.album ?? null;
	}

	async artists(args: ArtistsArgs, signal?: AbortSignal): Promise<Page<ArtistSummary>> {
		const data = await this.#authed<ArtistsData>(
			ARTISTS_QUERY,
			{ first: args.first, after: args.after ?? null, search: args.search?.trim() || null },
			signal
		);
		return toPage(data.artists);
	}

	/** The artist and a page of their albums; null when there is no such artist. */
	async artist(
		id: string,
		albums: { first: number; after?: string | null },
		signal?: AbortSignal
	): Promise<ArtistWithAlbums | null> {
		const data = await this.#authedOrNotFound<ArtistData>(
			ARTIST_QUERY,
			{ id, first: albums.first, after: albums.after ?? null },
			signal
		);
		return data?.artist ? toArtistWithAlbums(data.artist) : null;
	}

	/**
	 * Every track of the artist's albums, album by album, and of the albums they only appear
	 * on just the tracks that credit them (page after page of albums, `pageSize` at a time).
	 */
	async artistTracks(id: string, pageSize = 100, signal?: AbortSignal): Promise<Track[]> {
		const tracks: Track[] = [];
		let after: string | null = null;
		for (;;) {
			const data: ArtistTracksData | null = await this.#authedOrNotFound<ArtistTracksData>(
				ARTIST_TRACKS_QUERY,
				{ id, first: pageSize, after },
				signal
			);
			const albums: NonNullable<ArtistTracksData['artist']>['albums'] | undefined = data?.artist?.albums;
			if (!albums) return tracks;
			for (const edge of albums.edges) {
				const own = edge.node.tracks;
				tracks.push(...(edge.isAppearance ? own.filter((t) => t.artists.some((a) => a.id === id)) : own));
			}
			if (!albums.pageInfo.hasNextPage || !albums.pageInfo.endCursor || albums.edges.length === 0) return tracks;
			after = albums.pageInfo.endCursor;
		}
	}

	/** Artists, albums and the first page of tracks matching `search`, in one request. */
	async search(args: SearchArgs, signal?: AbortSignal): Promise<SearchResult> {
		const data = await this.#authed<SearchData>(SEARCH_QUERY, { ...args, search: args.search.trim() }, signal);
		return {
			artists: toPage(data.artistMatches),
			albums: toPage(data.albumMatches),
			tracks: toTrackPage(data.trackMatches)
		};
	}

	/** `#authed`, except that a malformed id (`INVALID_ID`) means "no such thing": null. */
	async #authedOrNotFound<T>(query: string, variables: Variables, signal?: AbortSignal): Promise<T | null> {
		try {
			return await this.#authed<T>(query, variables, signal);
		} catch (error) {
			if (error instanceof GraphQLError && error.code === INVALID_ID) return null;
			throw error;
		}
	}

	async library(signal?: AbortSignal): Promise<LibraryStats> {
		const data = await this.#authed<{ library: LibraryStats }>(LIBRARY_QUERY, {}, signal);
		return data.library;
	}

	/**
	 * A signed URL for the track's original, or (with `request`) for the best variant of that
	 * format at or under the bitrate. A format the track does not offer, or a ceiling below
	 * every variant of it, is a typed refusal (the player then asks for something else).
	 */
	async createStreamUrl(trackId: string, request?: StreamRequest): Promise<StreamUrlResult> {
		const data = await this.#authed<CreateStreamUrlData>(CREATE_STREAM_URL_MUTATION, {
			trackId,
			format: request?.format ?? null,
			maxBitrateKbps: request?.maxBitrateKbps ?? null
		});
		const result = data.createStreamUrl;
		switch (result.__typename) {
			case 'StreamUrl':
				return {
					kind: 'url',
					url: result.url,
					expiresAt: result.expiresAt,
					format: result.format,
					bitrateKbps: result.bitrateKbps,
					mimeType: result.mimeType
				};
			case 'FormatNotOfferedError':
				return { kind: 'format-not-offered', message: result.message, format: result.format };
			case 'BitrateTooLowError':
				return { kind: 'bitrate-too-low', message: result.message, lowestBitrateKbps: result.lowestBitrateKbps };
			default:
				return { kind: 'not-found', message: result.message };
		}
	}

	// --- transcoding (admins) -------------------------------------------------------------

	/** How many variants are pending, being made, made and failed, and the failed ones. */
	async transcodeQueue(failedFirst = 20): Promise<TranscodeQueue> {
		const data = await this.#authed<{ transcodeQueue: TranscodeQueue }>(TRANSCODE_QUEUE_QUERY, {
			first: failedFirst
		});
		return data.transcodeQueue;
	}

	/** Queue a failed variant to be made again; a refusal says why (not failed any more, gone). */
	async retryVariant(trackId: string, format: AudioFormat, bitrateKbps: number): Promise<RetryVariantResult> {
		const data = await this.#authed<RetryVariantData>(RETRY_VARIANT_MUTATION, { trackId, format, bitrateKbps });
		const result = data.retryVariant;
		return result.__typename === 'RetriedVariant' ? { kind: 'retried' } : { kind: 'refused', message: result.message };
	}

	// --- user management (admins) --------------------------------------------------------

	async users(): Promise<AccountUser[]> {
		const data = await this.#authed<{ users: AccountUser[] }>(USERS_QUERY, {});
		return data.users.map(pickAccountUser);
	}

	/** A new account; its one-time password is in the result and nowhere else. */
	async createUser(username: string, role: Role): Promise<CreateUserResult> {
		const data = await this.#authed<CreateUserData>(CREATE_USER_MUTATION, { input: { username, role } });
		const result = data.createUser;
		switch (result.__typename) {
			case 'CreatedUser':
				return { kind: 'created', user: pickAccountUser(result.user), oneTimePassword: result.oneTimePassword };
			case 'UsernameTakenError':
				return { kind: 'username-taken', message: result.message };
			default:
				return { kind: 'invalid-username', message: result.message };
		}
	}

	/** Change only the given fields of an account. */
	async updateUser(id: string, changes: UserChanges): Promise<UpdateUserResult> {
		const data = await this.#authed<UpdateUserData>(UPDATE_USER_MUTATION, { id, input: changes });
		const result = data.updateUser;
		switch (result.__typename) {
			case 'User':
				return { kind: 'updated', user: pickAccountUser(result) };
			case 'LastActiveAdminError':
				return { kind: 'last-admin', message: result.message };
			default:
				return { kind: 'not-found', message: result.message };
		}
	}

	/** A new one-time password for the account (its sessions and API tokens end). */
	async resetUserPassword(id: string): Promise<ResetPasswordResult> {
		const data = await this.#authed<ResetUserPasswordData>(RESET_USER_PASSWORD_MUTATION, { id });
		const result = data.resetUserPassword;
		if (result.__typename === 'PasswordReset') {
			return { kind: 'reset', user: pickAccountUser(result.user), oneTimePassword: result.oneTimePassword };
		}
		return { kind: 'not-found', message: result.message };
	}

	// --- the viewer's own account ---------------------------------------------------------

	/** Replace the viewer's password (the server ends their other sessions). */
	async changePassword(currentPassword: string, newPassword: string): Promise<ChangePasswordResult> {
		const data = await this.#authed<ChangePasswordData>(CHANGE_PASSWORD_MUTATION, { currentPassword, newPassword });
		const result = data.changePassword;
		switch (result.__typename) {
			case 'User':
				return { kind: 'changed', viewer: pickViewer(result) };
			case 'WrongPasswordError':
				return { kind: 'wrong-password', message: result.message };
			case 'PasswordRejectedError':
				return { kind: 'rejected', message: result.message };
			default:
				return { kind: 'rate-limited', message: result.message, retryAfterSeconds: result.retryAfterSeconds };
		}
	}

	async sessions(): Promise<BrowserSession[]> {
		const data = await this.#authed<{ sessions: BrowserSession[] }>(SESSIONS_QUERY, {});
		return data.sessions;
	}

	/** Sign one of the viewer's browsers out; false when there is no such session (any more). */
	async endSession(id: string): Promise<boolean> {
		const data = await this.#authed<{ endSession: boolean }>(END_SESSION_MUTATION, { id });
		return data.endSession;
	}

	async apiTokens(): Promise<ApiToken[]> {
		const data = await this.#authed<{ apiTokens: ApiToken[] }>(API_TOKENS_QUERY, {});
		return data.apiTokens;
	}

	/** A new API token; its secret is in the result and nowhere else. */
	async createApiToken(name: string): Promise<CreatedApiToken> {
		const data = await this.#authed<{ createApiToken: CreatedApiToken }>(CREATE_API_TOKEN_MUTATION, { name });
		return data.createApiToken;
	}

	/** Revoke one of the viewer's tokens; false when it was not live (any more). */
	async revokeApiToken(id: string): Promise<boolean> {
		const data = await this.#authed<{ revokeApiToken: boolean }>(REVOKE_API_TOKEN_MUTATION, { id });
		return data.revokeApiToken;
	}
}

function pickViewer(user: Omit<Viewer, 'canUpload'> & { canUpload?: boolean }): Viewer {
	return {
		id: user.id,
		username: user.username,
		role: user.role,
		mustChangePassword: user.mustChangePassword === true,
		canUpload: user.canUpload === true
	};
}

function pickAccountUser(user: Omit<AccountUser, 'canUpload'> & { canUpload?: boolean }): AccountUser {
	return {
		id: user.id,
		username: user.username,
		role: user.role,
		disabled: user.disabled,
		mustChangePassword: user.mustChangePassword,
		canUpload: user.canUpload === true,
		createdAt: user.createdAt,
		lastLoginAt: user.lastLoginAt
	};
}
