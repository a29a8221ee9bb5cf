import { describe, expect, it } from 'vitest';
import {
	GraphQLClient,
	GraphQLError,
	HttpError,
	NetworkError,
	SESSION_ENDED_MESSAGE,
	TonearmApi,
	describeError,
	isUnauthenticated,
	type FetchLike
} from './graphql';

interface Call {
	url: string;
	init: RequestInit | undefined;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>): FetchLike & { calls: Call[] } {
	const calls: Call[] = [];
	const fn = async (url: string, init?: RequestInit) => {
		const call = { url, init };
		calls.push(call);
		return respond(call);
	};
	return Object.assign(fn, { calls });
}

const json = (body: unknown, status = 200, type = 'application/graphql-response+json') =>
	new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

describe('GraphQLClient', () => {
	it('POSTs JSON to /graphql with the GraphQL-over-HTTP Accept header', async () => {
		const fetch = fakeFetch(() => json({ data: { ok: true } }));
		const client = new GraphQLClient({ fetch });
		await expect(client.request('query { ok }', { a: 1 })).resolves.toEqual({ ok: true });
		const [call] = fetch.calls;
		expect(call?.url).toBe('/graphql');
		expect(call?.init?.method).toBe('POST');
		const headers = new Headers(call?.init?.headers);
		expect(headers.get('accept')).toBe('application/graphql-response+json, application/json');
		expect(headers.get('content-type')).toBe('application/json');
		expect(JSON.parse(String(call?.init?.body))).toEqual({ query: 'query { ok }', variables: { a: 1 } });
		expect(call?.init?.credentials).toBe('same-origin');
	});

	it('maps a failed fetch to NetworkError', async () => {
		const client = new GraphQLClient({
			fetch: async () => {
				throw new TypeError('Failed to fetch');
			}
		});
		const error = await client.request('{ x }').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NetworkError);
		expect(describeError(error)).toMatch(/Cannot reach the tonearm server/);
	});

	it('surfaces errors[0].message and extensions.code', async () => {
		const fetch = fakeFetch(() =>
			json({
				data: null,
				errors: [
					{ message: 'Invalid cursor', extensions: { code: 'INVALID_CURSOR' } },
					{ message: 'second' }
				]
			})
		);
		const error = await new GraphQLClient({ fetch }).request('{ x }').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GraphQLError);
		const gql = error as GraphQLError;
		expect(gql.message).toBe('Invalid cursor');
		expect(gql.code).toBe('INVALID_CURSOR');
		expect(gql.status).toBe(200);
		expect(gql.errors).toHaveLength(2);
	});

	it('reads GraphQL errors from a 4xx graphql-response+json answer', async () => {
		const fetch = fakeFetch(() =>
			json({ errors: [{ message: 'Syntax Error: Unexpected Name', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] }, 400)
		);
		const error = (await new GraphQLClient({ fetch }).request('nope').catch((e: unknown) => e)) as GraphQLError;
		expect(error).toBeInstanceOf(GraphQLError);
		expect(error.status).toBe(400);
		expect(error.code).toBe('GRAPHQL_PARSE_FAILED');
	});

	it('has a null code when the server gives none', async () => {
		const fetch = fakeFetch(() => json({ errors: [{ message: 'boom' }] }));
		const error = (await new GraphQLClient({ fetch }).request('{ x }').catch((e: unknown) => e)) as GraphQLError;
		expect(error.code).toBeNull();
		expect(describeError(error)).toBe('The server reported an error: boom');
	});

	it('maps a non-GraphQL error answer to HttpError', async () => {
		const fetch = fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
		const error = (await new GraphQLClient({ fetch }).request('{ x }').catch((e: unknown) => e)) as HttpError;
		expect(error).toBeInstanceOf(HttpError);
		expect(error.status).toBe(502);
		expect(describeError(error)).toMatch(/HTTP 502/);
	});

	it('maps a 200 without data to HttpError', async () => {
		const fetch = fakeFetch(() => json({ hello: 'world' }));
		await expect(new GraphQLClient({ fetch }).request('{ x }')).rejects.toBeInstanceOf(HttpError);
	});

	it('passes AbortError through untouched', async () => {
		const client = new GraphQLClient({
			fetch: async () => {
				throw new DOMException('aborted', 'AbortError');
			}
		});
		const error = await client.request('{ x }').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DOMException);
	});
});

describe('TonearmApi', () => {
	it('flattens the tracks connection and sends a null search for blank input', async () => {
		const node = { id: 'VHJhY2s6MQ==', title: 'Long Drive', artist: 'A', album: 'B', albumArtist: null, trackNumber: 1, durationSeconds: 180, mimeType: 'audio/mpeg' };
		const fetch = fakeFetch(() =>
			json({ data: { tracks: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: 'c1' }, edges: [{ cursor: 'c1', node }] } } })
		);
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		const page = await api.tracks({ first: 50, search: '   ', orderBy: 'TITLE' });
		expect(page).toEqual({ tracks: [node], pageInfo: { hasNextPage: false, endCursor: 'c1' }, totalCount: 1 });
		const body = JSON.parse(String(fetch.calls[0]?.init?.body));
		expect(body.variables).toEqual({ first: 50, after: null, search: null, orderBy: 'TITLE' });
	});

	it('turns the createStreamUrl union into a tagged result', async () => {
		let answer: unknown = { __typename: 'StreamUrl', url: '/api/tracks/x/stream?token=t', expiresAt: '2026-11-22T10:00:00Z' };
		const fetch = fakeFetch(() => json({ data: { createStreamUrl: answer } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.createStreamUrl('id')).resolves.toEqual({
			kind: 'url',
			url: '/api/tracks/x/stream?token=t',
			expiresAt: '2026-11-22T10:00:00Z'
		});
		answer = { __typename: 'TrackNotFoundError', message: 'Track not found' };
		await expect(api.createStreamUrl('id')).resolves.toEqual({ kind: 'not-found', message: 'Track not found' });
	});
});

const unauthenticated = (status = 200) =>
	json({ data: null, errors: [{ message: 'Sign in first.', extensions: { code: 'UNAUTHENTICATED' } }] }, status);

describe('isUnauthenticated', () => {
	it('recognises UNAUTHENTICATED as 200 (application/json) and as 401 (graphql-response+json)', async () => {
		for (const response of [() => unauthenticated(200), () => unauthenticated(401)]) {
			const error = await new GraphQLClient({ fetch: fakeFetch(response) }).request('{ x }').catch((e: unknown) => e);
			expect(isUnauthenticated(error)).toBe(true);
			expect(describeError(error)).toBe(SESSION_ENDED_MESSAGE);
		}
	});

	it('treats a GraphQL 401 without a code as unauthenticated, and nothing else', async () => {
		const codeless = await new GraphQLClient({ fetch: fakeFetch(() => json({ errors: [{ message: 'no' }] }, 401)) })
			.request('{ x }')
			.catch((e: unknown) => e);
		expect(isUnauthenticated(codeless)).toBe(true);
		expect(isUnauthenticated(new GraphQLError('Forbidden', 'FORBIDDEN', 200, [{ message: 'Forbidden', extensions: { code: 'FORBIDDEN' } }]))).toBe(false);
		expect(isUnauthenticated(new NetworkError('down'))).toBe(false);
		expect(isUnauthenticated(new HttpError(401, 'proxy says no'))).toBe(false);
	});

	it('explains FORBIDDEN and CSRF_REJECTED', () => {
		const err = (code: string) => new GraphQLError(code, code, 200, [{ message: code, extensions: { code } }]);
		expect(describeError(err('FORBIDDEN'))).toMatch(/not allowed/);
		expect(describeError(err('CSRF_REJECTED'))).toMatch(/Reload the page/);
	});
});

describe('TonearmApi accounts', () => {
	const user = { __typename: 'User', id: 'VXNlcjox', username: 'ada', role: 'LISTENER' };

	it('asks for the viewer and the auth mode', async () => {
		const fetch = fakeFetch(() => json({ data: { viewer: user, authMode: 'REQUIRED' } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.viewer()).resolves.toEqual({
			viewer: { id: 'VXNlcjox', username: 'ada', role: 'LISTENER' },
			authMode: 'REQUIRED'
		});
		const body = JSON.parse(String(fetch.calls[0]?.init?.body));
		expect(body.query).toMatch(/viewer\s*{\s*id\s+username\s+role\s*}/);
		expect(body.query).toMatch(/authMode/);
	});

	it('returns a null viewer when nobody is signed in', async () => {
		const fetch = fakeFetch(() => json({ data: { viewer: null, authMode: 'REQUIRED' } }));
		await expect(new TonearmApi(new GraphQLClient({ fetch })).viewer()).resolves.toEqual({ viewer: null, authMode: 'REQUIRED' });
	});

	it('maps each member of the LoginResult union', async () => {
		let answer: unknown = user;
		const fetch = fakeFetch(() => json({ data: { login: answer } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.login('ada', 'correct horse')).resolves.toEqual({
			kind: 'signed-in',
			viewer: { id: 'VXNlcjox', username: 'ada', role: 'LISTENER' }
		});
		const body = JSON.parse(String(fetch.calls[0]?.init?.body));
		expect(body.variables).toEqual({ username: 'ada', password: 'correct horse' });
		expect(fetch.calls[0]?.init?.method).toBe('POST');
		expect(new Headers(fetch.calls[0]?.init?.headers).get('content-type')).toBe('application/json');

		answer = { __typename: 'LoginFailed', message: 'Wrong username or password.' };
		await expect(api.login('ada', 'x')).resolves.toEqual({ kind: 'failed', message: 'Wrong username or password.' });

		answer = { __typename: 'LoginRateLimited', message: 'Too many attempts.', retryAfterSeconds: 42 };
		await expect(api.login('ada', 'x')).resolves.toEqual({
			kind: 'rate-limited',
			message: 'Too many attempts.',
			retryAfterSeconds: 42
		});
	});

	it('logs out, and counts "no session left" as logged out', async () => {
		let respond = () => json({ data: { logout: true } });
		const fetch = fakeFetch(() => respond());
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.logout()).resolves.toBe(true);
		expect(JSON.parse(String(fetch.calls[0]?.init?.body)).query).toMatch(/mutation PlayerLogout\s*{\s*logout\s*}/);
		respond = () => unauthenticated(401);
		await expect(api.logout()).resolves.toBe(false);
		respond = () => json({ errors: [{ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
		await expect(api.logout()).rejects.toBeInstanceOf(GraphQLError);
	});

	it('tells listeners when an operation that needs a session gets UNAUTHENTICATED', async () => {
		const fetch = fakeFetch(() => unauthenticated());
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		const heard: string[] = [];
		const unsubscribe = api.onUnauthenticated((e) => heard.push(e.code ?? ''));
		await expect(api.tracks({ first: 1, orderBy: 'ARTIST' })).rejects.toBeInstanceOf(GraphQLError);
		await expect(api.library()).rejects.toBeInstanceOf(GraphQLError);
		await expect(api.createStreamUrl('id')).rejects.toBeInstanceOf(GraphQLError);
		expect(heard).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
		// logout's own UNAUTHENTICATED is not news
		await api.logout();
		expect(heard).toHaveLength(3);
		unsubscribe();
		await api.library().catch(() => {});
		expect(heard).toHaveLength(3);
	});

	it('does not tell listeners about other errors', async () => {
		const fetch = fakeFetch(() => json({ errors: [{ message: 'Invalid cursor', extensions: { code: 'INVALID_CURSOR' } }] }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		let heard = 0;
		api.onUnauthenticated(() => heard++);
		await api.tracks({ first: 1, orderBy: 'ARTIST', after: 'bad' }).catch(() => {});
		expect(heard).toBe(0);
	});
});
