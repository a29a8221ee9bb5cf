/**
 * The one place the player talks GraphQL: a small typed `fetch` wrapper plus the few
 * operations the player needs. Every failure surfaces as an `ApiError` subclass, so the UI
 * can tell "server unreachable" from "the server said no".
 *
 * Authentication is the server's httpOnly session cookie, set by `login` and sent by the
 * browser on every same-origin request; this module never sees it.
 */
import type {
	LibraryStats,
	LoginResult,
	Role,
	StreamUrlResult,
	Track,
	TrackOrder,
	TrackPage,
	Viewer,
	ViewerInfo
} from './types';

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
}

export type Variables = Record<string, unknown>;

export class GraphQLClient {
	readonly endpoint: string;
	readonly #fetch: FetchLike;

	constructor({ endpoint = '/graphql', fetch: fetchImpl }: ClientOptions = {}) {
		this.endpoint = endpoint;
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

/** `extensions.code` of a request made without a valid session. */
export const UNAUTHENTICATED = 'UNAUTHENTICATED';

/** Shown when a request finds that the session is gone (signed out elsewhere, expired, disabled). */
export const SESSION_ENDED_MESSAGE = 'Your session has ended — please sign in again.';

/**
 * The server refused the request because nobody is signed in: a GraphQL error coded
 * `UNAUTHENTICATED` (HTTP 200 under application/json, or 401 under
 * application/graphql-response+json), or a GraphQL answer with status 401 and no code.
 */
export function isUnauthenticated(error: unknown): boolean {
	if (!(error instanceof GraphQLError)) return false;
	return error.errors.some((e) => e.extensions?.code === UNAUTHENTICATED) || error.status === 401;
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
		return error.code ? `The server reported an error (${error.code}): ${error.message}` : `The server reported an error: ${error.message}`;
	}
	if (error instanceof HttpError) {
		return `The server answered with HTTP ${error.status}. Check the tonearm server's log, then retry.`;
	}
	return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------
// Operations

export const TRACK_FIELDS = /* GraphQL */ `
	fragment PlayerTrack on Track {
		id
		title
		artist
		album
		albumArtist
		trackNumber
		durationSeconds
		mimeType
		streamUrl {
			url
			expiresAt
		}
	}
`;

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
	mutation PlayerCreateStreamUrl($trackId: ID!) {
		createStreamUrl(trackId: $trackId) {
			__typename
			... on StreamUrl {
				url
				expiresAt
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
		| { __typename: 'StreamUrl'; url: string; expiresAt: string }
		| { __typename: 'TrackNotFoundError'; message: string };
};

type LoginData = {
	login:
		| { __typename: 'User'; id: string; username: string; role: Role }
		| { __typename: 'LoginFailed'; message: string }
		| { __typename: 'LoginRateLimited'; message: string; retryAfterSeconds: number };
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

	async library(signal?: AbortSignal): Promise<LibraryStats> {
		const data = await this.#authed<{ library: LibraryStats }>(LIBRARY_QUERY, {}, signal);
		return data.library;
	}

	async createStreamUrl(trackId: string): Promise<StreamUrlResult> {
		const data = await this.#authed<CreateStreamUrlData>(CREATE_STREAM_URL_MUTATION, { trackId });
		const result = data.createStreamUrl;
		if (result.__typename === 'StreamUrl') {
			return { kind: 'url', url: result.url, expiresAt: result.expiresAt };
		}
		return { kind: 'not-found', message: result.message };
	}
}

function pickViewer(user: Viewer): Viewer {
	return { id: user.id, username: user.username, role: user.role };
}
