/**
 * The WebSocket to `/graphql` (graphql-transport-ws, through the reference `graphql-ws`
 * client). A signed-in member's browser sends its session cookie with the handshake; an
 * anonymous guest puts its token in `connection_init` as `{authorization: "Bearer tgs_…"}`.
 *
 * The socket does not retry by itself: a socket that closes fails every operation on it,
 * and the session state resubscribes with backoff from the last sequence it applied (which
 * a retry inside graphql-ws, resending the first variables, could not do). The next
 * operation opens a new socket (lazy mode).
 */
import { createClient, type Client } from 'graphql-ws';
import type { Variables } from '$lib/api/graphql';

/** The close code tonearm uses for a token or account that no longer holds (removed, disabled). */
export const CLOSE_FORBIDDEN = 4403;

/** An operation's outcome as the session state sees it. */
export interface LiveSink<T> {
	next(data: T): void;
	/** The operation failed: GraphQL errors, or the socket closed (`closeCode` then). */
	error(error: LiveError): void;
	complete(): void;
}

export class LiveError extends Error {
	override name = 'LiveError';
	constructor(
		message: string,
		/** The WebSocket close code, when the socket closed. */
		readonly closeCode: number | null,
		/** `extensions.code` of the first GraphQL error, if any. */
		readonly code: string | null
	) {
		super(message);
	}
}

export interface LiveClient {
	/** Start a subscription (or a query); returns the function that ends it. */
	subscribe<T>(query: string, variables: Variables, sink: LiveSink<T>): () => void;
	/** One query or mutation over the socket. */
	request<T>(query: string, variables: Variables): Promise<T>;
	dispose(): void;
}

type Entry = { message?: string; extensions?: { code?: unknown } };

/** Whatever graphql-ws reports (an array of GraphQL errors, a CloseEvent, an Error) as a LiveError. */
export function toLiveError(error: unknown): LiveError {
	if (Array.isArray(error)) {
		const first = error[0] as Entry | undefined;
		const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : null;
		return new LiveError(first?.message ?? 'The server refused the subscription.', null, code);
	}
	if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'number') {
		const close = error as { code: number; reason?: string };
		return new LiveError(close.reason || `The connection closed (${close.code}).`, close.code, null);
	}
	return new LiveError(error instanceof Error ? error.message : 'The connection failed.', null, null);
}

/** The `/graphql` WebSocket URL of this page's origin. */
export function socketUrl(location: { protocol: string; host: string }): string {
	return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

/** A LiveClient over graphql-ws; `guestToken` for an anonymous guest, else the cookie. */
export function liveClient(url: string, guestToken: string | null = null): LiveClient {
	const client: Client = createClient({
		url,
		lazy: true,
		retryAttempts: 0,
		keepAlive: 15_000,
		connectionParams: guestToken ? { authorization: `Bearer ${guestToken}` } : {}
	});
	const subscribe = <T>(query: string, variables: Variables, sink: LiveSink<T>) =>
		client.subscribe<T>(
			{ query, variables },
			{
				next(result) {
					if (result.errors?.length) sink.error(toLiveError(result.errors));
					else if (result.data) sink.next(result.data as T);
				},
				error: (error) => sink.error(toLiveError(error)),
				complete: () => sink.complete()
			}
		);
	return {
		subscribe,
		request<T>(query: string, variables: Variables): Promise<T> {
			return new Promise<T>((resolve, reject) => {
				let settled = false;
				subscribe<T>(query, variables, {
					next(data) {
						settled = true;
						resolve(data);
					},
					error: reject,
					complete() {
						if (!settled) reject(new LiveError('No answer.', null, null));
					}
				});
			});
		},
		dispose: () => void client.dispose()
	};
}
