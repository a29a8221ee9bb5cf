import { describe, expect, it, vi } from 'vitest';
import { GraphQLError } from '$lib/api/graphql';
import type { AccountUser, CreateUserResult, ResetPasswordResult, UpdateUserResult, UserChanges } from '$lib/api/types';
import { UserAdmin } from './user-admin.svelte';

const root: AccountUser = {
	id: 'VXNlcjox',
	username: 'root',
	role: 'ADMIN',
	disabled: false,
	mustChangePassword: false,
	canUpload: true,
	createdAt: '2026-11-01T10:00:00Z',
	lastLoginAt: '2026-12-01T09:00:00Z'
};
const zoe: AccountUser = { ...root, id: 'VXNlcjoy', username: 'zoe', role: 'LISTENER', lastLoginAt: null };

function fakeApi() {
	return {
		users: vi.fn(async () => [root, zoe]),
		createUser: vi.fn<(username: string, role: AccountUser['role']) => Promise<CreateUserResult>>(
			async (username, role) => ({
				kind: 'created',
				user: { ...zoe, id: 'VXNlcjoz', username, role, mustChangePassword: true },
				oneTimePassword: 'once-only-secret'
			})
		),
		updateUser: vi.fn<(id: string, changes: UserChanges) => Promise<UpdateUserResult>>(async (id, changes) => ({
			kind: 'updated',
			user: { ...(id === root.id ? root : zoe), ...changes }
		})),
		resetUserPassword: vi.fn<(id: string) => Promise<ResetPasswordResult>>(async () => ({
			kind: 'reset',
			user: { ...zoe, mustChangePassword: true },
			oneTimePassword: 'another-secret'
		}))
	};
}

async function loaded() {
	const api = fakeApi();
	const admin = new UserAdmin(api);
	await admin.load();
	return { api, admin };
}

describe('UserAdmin', () => {
	it('loads the accounts', async () => {
		const { admin } = await loaded();
		expect(admin.status).toBe('ready');
		expect(admin.users.map((u) => u.username)).toEqual(['root', 'zoe']);
	});

	it('creates a user in name order and shows the one-time password once', async () => {
		const { api, admin } = await loaded();

		await expect(admin.create(' mia ', 'LISTENER')).resolves.toBe(true);

		expect(api.createUser).toHaveBeenCalledWith('mia', 'LISTENER');
		expect(admin.users.map((u) => u.username)).toEqual(['mia', 'root', 'zoe']);
		expect(admin.issued).toEqual({
			userId: 'VXNlcjoz',
			username: 'mia',
			password: 'once-only-secret',
			reason: 'created'
		});
		admin.dismissIssued();
		expect(admin.issued).toBeNull();
		expect(JSON.stringify(admin.users)).not.toContain('once-only-secret');
	});

	it('shows a duplicate name inline and creates nothing', async () => {
		const { api, admin } = await loaded();
		api.createUser.mockResolvedValueOnce({ kind: 'username-taken', message: "A user named 'ZOE' already exists." });

		await expect(admin.create('ZOE', 'LISTENER')).resolves.toBe(false);

		expect(admin.createError).toBe("A user named 'ZOE' already exists.");
		expect(admin.users).toHaveLength(2);
		expect(admin.issued).toBeNull();
	});

	it('asks for a name before sending anything', async () => {
		const { api, admin } = await loaded();
		await expect(admin.create('  ', 'ADMIN')).resolves.toBe(false);
		expect(api.createUser).not.toHaveBeenCalled();
		expect(admin.createError).toBe('Enter a username.');
	});

	it('changes a role and disables, sending only what changes', async () => {
		const { api, admin } = await loaded();

		await admin.setRole(zoe, 'ADMIN');
		await admin.setDisabled(zoe, true);

		expect(api.updateUser.mock.calls).toEqual([
			[zoe.id, { role: 'ADMIN' }],
			[zoe.id, { disabled: true }]
		]);
		expect(admin.users.find((u) => u.id === zoe.id)).toMatchObject({ role: 'LISTENER', disabled: true });
	});

	it('grants and withdraws the upload permission', async () => {
		const { api, admin } = await loaded();
		await admin.setCanUpload(zoe, true);
		expect(api.updateUser).toHaveBeenLastCalledWith(zoe.id, { canUpload: true });
		expect(admin.users.find((u) => u.id === zoe.id)?.canUpload).toBe(true);
		await admin.setCanUpload({ ...zoe, canUpload: true }, false);
		expect(api.updateUser).toHaveBeenLastCalledWith(zoe.id, { canUpload: false });
		expect(admin.pending).toEqual({});
	});

	it('keeps the last admin as is and says why on that row', async () => {
		const { api, admin } = await loaded();
		api.updateUser.mockResolvedValueOnce({
			kind: 'last-admin',
			message: "'root' is the only active admin; make another user an admin first."
		});

		await admin.setDisabled(root, true);

		expect(admin.users[0]).toEqual(root);
		expect(admin.rowErrors).toEqual({
			[root.id]: "'root' is the only active admin; make another user an admin first."
		});
		expect(admin.pending).toEqual({});
		await admin.setRole(root, 'ADMIN');
		expect(admin.rowErrors).toEqual({}); // cleared by the next action on the row
	});

	it('runs one action per row at a time', async () => {
		const { api, admin } = await loaded();
		let finish: (r: UpdateUserResult) => void = () => {};
		api.updateUser.mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));

		const first = admin.setDisabled(zoe, true);
		expect(admin.pending).toEqual({ [zoe.id]: 'disabled' });
		await admin.resetPassword(zoe);
		finish({ kind: 'updated', user: { ...zoe, disabled: true } });
		await first;

		expect(api.resetUserPassword).not.toHaveBeenCalled();
		expect(api.updateUser).toHaveBeenCalledTimes(1);
	});

	it('resets a password and shows the new one-time password once', async () => {
		const { admin } = await loaded();
		await admin.resetPassword(zoe);
		expect(admin.issued).toEqual({ userId: zoe.id, username: 'zoe', password: 'another-secret', reason: 'reset' });
		expect(admin.users.find((u) => u.id === zoe.id)?.mustChangePassword).toBe(true);
	});

	it('puts request failures on the row', async () => {
		const { api, admin } = await loaded();
		api.resetUserPassword.mockRejectedValueOnce(
			new GraphQLError('Only administrators may do this.', 'FORBIDDEN', 200, [])
		);
		await admin.resetPassword(zoe);
		expect(admin.rowErrors[zoe.id]).toMatch(/not allowed to do that \(FORBIDDEN\)/);
		expect(admin.issued).toBeNull();
	});

	it('reports a failed load (e.g. FORBIDDEN for a listener)', async () => {
		const api = fakeApi();
		api.users.mockRejectedValueOnce(new GraphQLError('Only administrators may do this.', 'FORBIDDEN', 200, []));
		const admin = new UserAdmin(api);
		await admin.load();
		expect(admin.status).toBe('error');
	});
});
