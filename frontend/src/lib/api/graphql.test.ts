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
				errors: [{ message: 'Invalid cursor', extensions: { code: 'INVALID_CURSOR' } }, { message: 'second' }]
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
			json(
				{ errors: [{ message: 'Syntax Error: Unexpected Name', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] },
				400
			)
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
		const node = {
			id: 'VHJhY2s6MQ==',
			title: 'Long Drive',
			artist: 'A',
			artists: [{ id: 'QXJ0aXN0OjE=', name: 'A' }],
			album: { id: 'QWxidW06MQ==', title: 'B' },
			albumArtist: null,
			trackNumber: 1,
			discNumber: 1,
			discSubtitle: null,
			durationSeconds: 180,
			mimeType: 'audio/mpeg',
			coverArt: null
		};
		const fetch = fakeFetch(() =>
			json({
				data: {
					tracks: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: 'c1' }, edges: [{ cursor: 'c1', node }] }
				}
			})
		);
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		const page = await api.tracks({ first: 50, search: '   ', orderBy: 'TITLE' });
		expect(page).toEqual({ tracks: [node], pageInfo: { hasNextPage: false, endCursor: 'c1' }, totalCount: 1 });
		const body = JSON.parse(String(fetch.calls[0]?.init?.body));
		expect(body.variables).toEqual({ first: 50, after: null, search: null, orderBy: 'TITLE' });
	});

	it('turns the createStreamUrl union into a tagged result', async () => {
		let answer: unknown = {
			__typename: 'StreamUrl',
			url: '/api/tracks/x/stream?token=t',
			expiresAt: '2026-11-22T10:00:00Z'
		};
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

	it('asks for a variant by format and bitrate ceiling and reads what it got', async () => {
		let answer: unknown = {
			__typename: 'StreamUrl',
			url: '/api/tracks/x/stream?token=v',
			expiresAt: '2026-11-22T10:00:00Z',
			format: 'OPUS',
			bitrateKbps: 96,
			mimeType: 'audio/ogg'
		};
		const fetch = fakeFetch(() => json({ data: { createStreamUrl: answer } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.createStreamUrl('id', { format: 'OPUS', maxBitrateKbps: 96 })).resolves.toStrictEqual({
			kind: 'url',
			url: '/api/tracks/x/stream?token=v',
			expiresAt: '2026-11-22T10:00:00Z',
			format: 'OPUS',
			bitrateKbps: 96,
			mimeType: 'audio/ogg'
		});
		const variables = (call: number) => JSON.parse(String(fetch.calls[call]?.init?.body)).variables;
		expect(variables(0)).toEqual({ trackId: 'id', format: 'OPUS', maxBitrateKbps: 96 });

		await api.createStreamUrl('id');
		expect(variables(1)).toEqual({ trackId: 'id', format: null, maxBitrateKbps: null });

		answer = { __typename: 'FormatNotOfferedError', message: 'No Opus', format: 'OPUS' };
		await expect(api.createStreamUrl('id', { format: 'OPUS', maxBitrateKbps: 96 })).resolves.toEqual({
			kind: 'format-not-offered',
			message: 'No Opus',
			format: 'OPUS'
		});
		answer = { __typename: 'BitrateTooLowError', message: 'Too low', lowestBitrateKbps: 128 };
		await expect(api.createStreamUrl('id', { format: 'MP3', maxBitrateKbps: 96 })).resolves.toEqual({
			kind: 'bitrate-too-low',
			message: 'Too low',
			lowestBitrateKbps: 128
		});
	});

	it('reads the transcoding queue and retries a failed variant', async () => {
		const queue = {
			pending: 2,
			running: 1,
			ready: 5,
			failed: 1,
			failedVariants: [
				{
					track: { id: 'VHJhY2s6MQ==', title: 'Broken', artist: null },
					format: 'OPUS',
					bitrateKbps: 96,
					reason: 'decode failed at 0:42',
					attempts: 3,
					failedAt: '2026-12-01T10:00:00Z'
				}
			]
		};
		let retried: unknown = { __typename: 'RetriedVariant', trackId: 'VHJhY2s6MQ==', format: 'OPUS', bitrateKbps: 96 };
		const fetch = fakeFetch((call) => {
			const { query } = JSON.parse(String(call.init?.body)) as { query: string };
			if (!query.includes('retryVariant')) return json({ data: { transcodeQueue: queue } });
			return json({ data: { retryVariant: retried } });
		});
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.transcodeQueue()).resolves.toEqual(queue);
		expect(JSON.parse(String(fetch.calls[0]?.init?.body)).variables).toEqual({ first: 20 });
		await expect(api.retryVariant('VHJhY2s6MQ==', 'OPUS', 96)).resolves.toEqual({ kind: 'retried' });
		expect(JSON.parse(String(fetch.calls[1]?.init?.body)).variables).toEqual({
			trackId: 'VHJhY2s6MQ==',
			format: 'OPUS',
			bitrateKbps: 96
		});
		retried = { __typename: 'VariantNotFailedError', message: 'That variant has not failed.' };
		await expect(api.retryVariant('VHJhY2s6MQ==', 'OPUS', 96)).resolves.toEqual({
			kind: 'refused',
			message: 'That variant has not failed.'
		});
	});
});

const unauthenticated = () =>
	json({ data: null, errors: [{ message: 'Sign in first.', path: ['x'], extensions: { code: 'UNAUTHENTICATED' } }] });

describe('isUnauthenticated', () => {
	// What tonearm answers for an ended session (tests/graphql/test_accounts.py
	// test_an_ended_session_is_a_coded_field_error_with_status_200): HTTP 200 under both
	// media types, a field error with a path and the code.
	const ended = (type: string) =>
		json(
			{
				data: null,
				errors: [
					{
						message: 'Sign in first: this needs a logged-in user.',
						locations: [{ line: 1, column: 3 }],
						path: ['library'],
						extensions: { code: 'UNAUTHENTICATED' }
					}
				]
			},
			200,
			type
		);

	it('recognises UNAUTHENTICATED by its code, as tonearm sends it under either media type', async () => {
		for (const type of ['application/json', 'application/graphql-response+json']) {
			const error = await new GraphQLClient({ fetch: fakeFetch(() => ended(type)) })
				.request('{ x }')
				.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(GraphQLError);
			expect((error as GraphQLError).status).toBe(200);
			expect(isUnauthenticated(error)).toBe(true);
			expect(describeError(error)).toBe(SESSION_ENDED_MESSAGE);
		}
	});

	it('goes by the code alone: a 401 is not a sign of an ended session, nor is anything else', async () => {
		const codeless = await new GraphQLClient({ fetch: fakeFetch(() => json({ errors: [{ message: 'no' }] }, 401)) })
			.request('{ x }')
			.catch((e: unknown) => e);
		expect(codeless).toBeInstanceOf(GraphQLError);
		expect(isUnauthenticated(codeless)).toBe(false);
		expect(
			isUnauthenticated(
				new GraphQLError('Forbidden', 'FORBIDDEN', 200, [{ message: 'Forbidden', extensions: { code: 'FORBIDDEN' } }])
			)
		).toBe(false);
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
	const user = {
		__typename: 'User',
		id: 'VXNlcjox',
		username: 'ada',
		role: 'LISTENER',
		mustChangePassword: false,
		canUpload: true
	};

	it('asks for the viewer and the auth mode', async () => {
		const fetch = fakeFetch(() => json({ data: { viewer: user, authMode: 'REQUIRED' } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.viewer()).resolves.toEqual({
			viewer: { id: 'VXNlcjox', username: 'ada', role: 'LISTENER', mustChangePassword: false, canUpload: true },
			authMode: 'REQUIRED'
		});
		const body = JSON.parse(String(fetch.calls[0]?.init?.body));
		expect(body.query).toMatch(/viewer\s*{\s*id\s+username\s+role\s+mustChangePassword\s+canUpload\s*}/);
		expect(body.query).toMatch(/authMode/);
	});

	it('returns a null viewer when nobody is signed in', async () => {
		const fetch = fakeFetch(() => json({ data: { viewer: null, authMode: 'REQUIRED' } }));
		await expect(new TonearmApi(new GraphQLClient({ fetch })).viewer()).resolves.toEqual({
			viewer: null,
			authMode: 'REQUIRED'
		});
	});

	it('maps each member of the LoginResult union', async () => {
		let answer: unknown = user;
		const fetch = fakeFetch(() => json({ data: { login: answer } }));
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		await expect(api.login('ada', 'correct horse')).resolves.toEqual({
			kind: 'signed-in',
			viewer: { id: 'VXNlcjox', username: 'ada', role: 'LISTENER', mustChangePassword: false, canUpload: true }
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
		respond = () => unauthenticated();
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
		const fetch = fakeFetch(() =>
			json({ errors: [{ message: 'Invalid cursor', extensions: { code: 'INVALID_CURSOR' } }] })
		);
		const api = new TonearmApi(new GraphQLClient({ fetch }));
		let heard = 0;
		api.onUnauthenticated(() => heard++);
		await api.tracks({ first: 1, orderBy: 'ARTIST', after: 'bad' }).catch(() => {});
		expect(heard).toBe(0);
	});
});

describe('TonearmApi user management and own account', () => {
	const account = {
		id: 'VXNlcjoy',
		username: 'zoe',
		role: 'LISTENER',
		disabled: false,
		mustChangePassword: true,
		canUpload: false,
		createdAt: '2026-12-01T10:00:00+00:00',
		lastLoginAt: null
	};

	function api(answer: () => unknown) {
		const fetch = fakeFetch(() => json({ data: answer() }));
		return { api: new TonearmApi(new GraphQLClient({ fetch })), fetch };
	}

	const sent = (fetch: { calls: Call[] }, index = 0) => JSON.parse(String(fetch.calls[index]?.init?.body));

	it('flattens each member of createUser’s union', async () => {
		let answer: unknown = {
			__typename: 'CreatedUser',
			oneTimePassword: 'once-only',
			user: { __typename: 'User', ...account }
		};
		const { api: client, fetch } = api(() => ({ createUser: answer }));
		await expect(client.createUser('zoe', 'LISTENER')).resolves.toEqual({
			kind: 'created',
			user: account,
			oneTimePassword: 'once-only'
		});
		expect(sent(fetch).variables).toEqual({ input: { username: 'zoe', role: 'LISTENER' } });
		expect(sent(fetch).query).toMatch(/mutation PlayerCreateUser/);

		answer = { __typename: 'UsernameTakenError', message: "A user named 'zoe' already exists." };
		await expect(client.createUser('zoe', 'LISTENER')).resolves.toEqual({
			kind: 'username-taken',
			message: "A user named 'zoe' already exists."
		});
		answer = { __typename: 'InvalidUsernameError', message: 'Usernames have 1 to 64 letters.' };
		await expect(client.createUser('a b', 'LISTENER')).resolves.toEqual({
			kind: 'invalid-username',
			message: 'Usernames have 1 to 64 letters.'
		});
	});

	it('sends updateUser only the fields that change and flattens its union', async () => {
		let answer: unknown = { __typename: 'User', ...account, disabled: true };
		const { api: client, fetch } = api(() => ({ updateUser: answer }));
		await expect(client.updateUser('VXNlcjoy', { disabled: true })).resolves.toEqual({
			kind: 'updated',
			user: { ...account, disabled: true }
		});
		expect(sent(fetch).variables).toEqual({ id: 'VXNlcjoy', input: { disabled: true } });

		answer = { __typename: 'LastActiveAdminError', message: 'only admin' };
		await expect(client.updateUser('VXNlcjox', { role: 'LISTENER' })).resolves.toEqual({
			kind: 'last-admin',
			message: 'only admin'
		});
		answer = { __typename: 'UserNotFoundError', message: 'No user has this ID.' };
		await expect(client.updateUser('VXNlcjo5', { role: 'ADMIN' })).resolves.toEqual({
			kind: 'not-found',
			message: 'No user has this ID.'
		});
	});

	it('flattens resetUserPassword and changePassword', async () => {
		let answer: unknown = {
			resetUserPassword: { __typename: 'PasswordReset', oneTimePassword: 'again', user: account }
		};
		const { api: client, fetch } = api(() => answer);
		await expect(client.resetUserPassword('VXNlcjoy')).resolves.toEqual({
			kind: 'reset',
			user: account,
			oneTimePassword: 'again'
		});

		answer = {
			changePassword: {
				__typename: 'User',
				id: 'VXNlcjoy',
				username: 'zoe',
				role: 'LISTENER',
				mustChangePassword: false
			}
		};
		// An answer without canUpload (it is not asked for everywhere) reads as "may not".
		await expect(client.changePassword('again', 'zoes-own-password')).resolves.toEqual({
			kind: 'changed',
			viewer: { id: 'VXNlcjoy', username: 'zoe', role: 'LISTENER', mustChangePassword: false, canUpload: false }
		});
		expect(sent(fetch, 1).variables).toEqual({ currentPassword: 'again', newPassword: 'zoes-own-password' });

		answer = { changePassword: { __typename: 'WrongPasswordError', message: 'The current password is not right.' } };
		await expect(client.changePassword('x', 'y')).resolves.toEqual({
			kind: 'wrong-password',
			message: 'The current password is not right.'
		});
		answer = { changePassword: { __typename: 'PasswordRejectedError', message: 'Too short.' } };
		await expect(client.changePassword('x', 'y')).resolves.toEqual({ kind: 'rejected', message: 'Too short.' });
		answer = { changePassword: { __typename: 'LoginRateLimited', message: 'Wait.', retryAfterSeconds: 30 } };
		await expect(client.changePassword('x', 'y')).resolves.toEqual({
			kind: 'rate-limited',
			message: 'Wait.',
			retryAfterSeconds: 30
		});
	});

	it('lists and ends sessions, lists, creates and revokes API tokens', async () => {
		const session = { id: 'QnM6MQ==', createdAt: 'a', expiresAt: 'b', current: true };
		const token = { id: 'QXBpVG9rZW46MQ==', name: 'x', createdAt: 'a', lastUsedAt: null };
		const answers: unknown[] = [
			{ sessions: [session] },
			{ endSession: false },
			{ apiTokens: [token] },
			{ createApiToken: { token: 'tnrm_s', apiToken: token } },
			{ revokeApiToken: true }
		];
		const { api: client, fetch } = api(() => answers.shift());
		await expect(client.sessions()).resolves.toEqual([session]);
		await expect(client.endSession('QnM6MQ==')).resolves.toBe(false);
		await expect(client.apiTokens()).resolves.toEqual([token]);
		await expect(client.createApiToken('x')).resolves.toEqual({ token: 'tnrm_s', apiToken: token });
		await expect(client.revokeApiToken('QXBpVG9rZW46MQ==')).resolves.toBe(true);
		expect(fetch.calls.map((c) => /(?:query|mutation) (\w+)/.exec(String(c.init?.body))?.[1])).toEqual([
			'PlayerSessions',
			'PlayerEndSession',
			'PlayerApiTokens',
			'PlayerCreateApiToken',
			'PlayerRevokeApiToken'
		]);
	});

	it('tells the unauthenticated listeners when an account operation finds the session gone', async () => {
		const fetch = fakeFetch(() => unauthenticated());
		const client = new TonearmApi(new GraphQLClient({ fetch }));
		let heard = 0;
		client.onUnauthenticated(() => heard++);
		await client.users().catch(() => {});
		await client.sessions().catch(() => {});
		await client.changePassword('a', 'b').catch(() => {});
		expect(heard).toBe(3);
	});
});
