import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GraphQLError } from './graphql';
import {
	guestRunner,
	isGone,
	playableFormats,
	SERVER_TIME_QUERY,
	SESSION_EVENTS_SUBSCRIPTION,
	sessionsApi
} from './sessions';

/** Every document the session API sends, collected through a runner that only records. */
async function documents(): Promise<string[]> {
	const sent: string[] = [];
	const api = sessionsApi(async (query) => {
		sent.push(query);
		throw new Error('recorded');
	});
	for (const operation of Object.values(api)) {
		await (operation as (...args: unknown[]) => Promise<unknown>)('a', 'b', 'c').catch(() => undefined);
	}
	return [...sent, SESSION_EVENTS_SUBSCRIPTION, SERVER_TIME_QUERY];
}

describe('session documents', () => {
	it('are valid against the server’s schema snapshot (schema.graphql)', async () => {
		const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../../../schema.graphql'), 'utf8'));
		const sent = await documents();
		expect(sent.length).toBe(Object.keys(sessionsApi(async () => ({}) as never)).length + 2);
		const problems = sent.flatMap((query) =>
			validate(schema, parse(query)).map((error) => `${query.slice(0, 50)}…: ${error.message}`)
		);
		expect(problems).toEqual([]);
	});
});

describe('guestRunner', () => {
	it('sends the guest token as a bearer', async () => {
		const calls: RequestInit[] = [];
		const original = globalThis.fetch;
		globalThis.fetch = (async (_input: unknown, init?: RequestInit) => {
			calls.push(init ?? {});
			return new Response(JSON.stringify({ data: { listeningSession: null } }), { status: 200 });
		}) as typeof fetch;
		try {
			await sessionsApi(guestRunner('tgs_xyz')).session('S');
		} finally {
			globalThis.fetch = original;
		}
		expect((calls[0]?.headers as Record<string, string>).Authorization).toBe('Bearer tgs_xyz');
	});
});

describe('isGone', () => {
	it('is true for NOT_FOUND and SESSION_ENDED only', () => {
		const error = (code: string) => new GraphQLError('x', code, 200, [{ message: 'x', extensions: { code } }]);
		expect(isGone(error('NOT_FOUND'))).toBe(true);
		expect(isGone(error('SESSION_ENDED'))).toBe(true);
		expect(isGone(error('FORBIDDEN'))).toBe(false);
		expect(isGone(new Error('NOT_FOUND'))).toBe(false);
	});
});

describe('playableFormats', () => {
	it('lists what canPlayType does not deny', () => {
		const probe = (mime: string) => (mime === 'audio/mpeg' ? 'probably' : mime.includes('opus') ? 'maybe' : '');
		expect(playableFormats(probe)).toEqual(['MP3', 'OPUS']);
	});
});
