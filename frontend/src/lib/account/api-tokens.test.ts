import { describe, expect, it, vi } from 'vitest';
import { GraphQLError } from '$lib/api/graphql';
import type { ApiToken, CreatedApiToken } from '$lib/api/types';
import { ApiTokenList } from './api-tokens.svelte';

const old: ApiToken = {
	id: 'QXBpVG9rZW46MQ==',
	name: 'old laptop',
	createdAt: '2026-10-01T10:00:00Z',
	lastUsedAt: null
};
const fresh: CreatedApiToken = {
	token: 'tnrm_secret-shown-once',
	apiToken: { id: 'QXBpVG9rZW46Mg==', name: 'backup', createdAt: '2026-12-01T10:00:00Z', lastUsedAt: null }
};

function fakeApi() {
	return {
		apiTokens: vi.fn(async () => [old]),
		createApiToken: vi.fn(async (_name: string) => fresh),
		revokeApiToken: vi.fn(async (_id: string) => true)
	};
}

describe('ApiTokenList', () => {
	it('creates a token, lists it first and shows its secret until dismissed', async () => {
		const api = fakeApi();
		const tokens = new ApiTokenList(api);
		await tokens.load();

		await expect(tokens.create('  backup ')).resolves.toBe(true);

		expect(api.createApiToken).toHaveBeenCalledWith('backup');
		expect(tokens.tokens.map((t) => t.name)).toEqual(['backup', 'old laptop']);
		expect(tokens.created?.token).toBe('tnrm_secret-shown-once');
		tokens.dismissCreated();
		expect(tokens.created).toBeNull();
		expect(JSON.stringify(tokens.tokens)).not.toContain('tnrm_secret');
	});

	it('asks for a name instead of sending an empty one', async () => {
		const api = fakeApi();
		const tokens = new ApiTokenList(api);
		await expect(tokens.create('   ')).resolves.toBe(false);
		expect(api.createApiToken).not.toHaveBeenCalled();
		expect(tokens.createError).toMatch(/Give the token a name/);
	});

	it('shows the server’s refusal of a name', async () => {
		const api = fakeApi();
		api.createApiToken.mockRejectedValueOnce(
			new GraphQLError('token names have 1 to 100 characters', 'BAD_USER_INPUT', 200, [])
		);
		const tokens = new ApiTokenList(api);
		await expect(tokens.create('x')).resolves.toBe(false);
		expect(tokens.createError).toMatch(/^The token was not created\. .*BAD_USER_INPUT.*1 to 100/);
	});

	it('revokes a token (and forgets its secret if it is the one on show)', async () => {
		const api = fakeApi();
		const tokens = new ApiTokenList(api);
		await tokens.load();
		await tokens.create('backup');

		await tokens.revoke(fresh.apiToken.id);

		expect(api.revokeApiToken).toHaveBeenCalledWith(fresh.apiToken.id);
		expect(tokens.tokens).toEqual([old]);
		expect(tokens.created).toBeNull();
		expect(tokens.revoking.size).toBe(0);
	});
});
