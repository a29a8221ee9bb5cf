import { describe, expect, it } from 'vitest';
import {
	GraphQLClient,
	GraphQLError,
	HttpError,
	NetworkError,
	TonearmApi,
	describeError,
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
