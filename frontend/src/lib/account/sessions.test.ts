import { describe, expect, it, vi } from 'vitest';
import { GraphQLError } from '$lib/api/graphql';
import type { BrowserSession } from '$lib/api/types';
import { SessionList } from './sessions.svelte';

const here: BrowserSession = {
	id: 'QnM6MQ==',
	createdAt: '2026-12-01T10:00:00Z',
	expiresAt: '2026-12-31T10:00:00Z',
	current: true
};
const phone: BrowserSession = {
	id: 'QnM6Mg==',
	createdAt: '2026-11-20T08:00:00Z',
	expiresAt: '2026-12-20T08:00:00Z',
	current: false
};

function fakeApi(endSession: (id: string) => Promise<boolean> = async () => true) {
	return {
		sessions: vi.fn(async () => [here, phone]),
		endSession: vi.fn(endSession)
	};
}

describe('SessionList', () => {
	it('loads the sessions and knows which are other browsers', async () => {
		const list = new SessionList(fakeApi());
		await list.load();
		expect(list.status).toBe('ready');
		expect(list.sessions).toEqual([here, phone]);
		expect(list.others).toEqual([phone]);
	});

	it('ends a session and drops it from the list', async () => {
		const api = fakeApi();
		const list = new SessionList(api);
		await list.load();

		const ending = list.end(phone.id);
		expect(list.ending.has(phone.id)).toBe(true);
		await ending;

		expect(api.endSession).toHaveBeenCalledWith(phone.id);
		expect(list.sessions).toEqual([here]);
		expect(list.ending.size).toBe(0);
		expect(list.others).toEqual([]);
	});

	it('drops a session that had already ended too (the server says false)', async () => {
		const list = new SessionList(fakeApi(async () => false));
		await list.load();
		await list.end(phone.id);
		expect(list.sessions).toEqual([here]);
		expect(list.actionError).toBeNull();
	});

	it('keeps the session and says why when ending it failed', async () => {
		const list = new SessionList(
			fakeApi(async () => {
				throw new GraphQLError('Cross-site', 'CSRF_REJECTED', 200, []);
			})
		);
		await list.load();
		await list.end(phone.id);
		expect(list.sessions).toEqual([here, phone]);
		expect(list.actionError).toMatch(/^Could not sign that browser out\. .*CSRF_REJECTED/);
	});

	it('reports a failed load', async () => {
		const api = fakeApi();
		api.sessions.mockRejectedValueOnce(new GraphQLError('boom', 'INTERNAL_SERVER_ERROR', 200, []));
		const list = new SessionList(api);
		await list.load();
		expect(list.status).toBe('error');
		expect(list.error).toBeInstanceOf(GraphQLError);
	});
});
