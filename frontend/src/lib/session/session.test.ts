import { describe, expect, it, vi } from 'vitest';
import { GraphQLError, NetworkError, SESSION_ENDED_MESSAGE, type TonearmApi } from '$lib/api/graphql';
import type { LoginResult, ViewerInfo } from '$lib/api/types';
import { Session } from './session.svelte';

const ada = { id: 'VXNlcjox', username: 'ada', role: 'LISTENER', mustChangePassword: false, canUpload: false } as const;

type Overrides = {
	viewer?: () => Promise<ViewerInfo>;
	login?: () => Promise<LoginResult>;
	logout?: () => Promise<boolean>;
};

function fakeApi(overrides: Overrides = {}) {
	const api = {
		viewer: vi.fn(overrides.viewer ?? (async (): Promise<ViewerInfo> => ({ viewer: null, authMode: 'REQUIRED' }))),
		login: vi.fn<(username: string, password: string) => Promise<LoginResult>>(
			overrides.login ?? (async () => ({ kind: 'signed-in', viewer: ada }))
		),
		logout: vi.fn(overrides.logout ?? (async () => true))
	};
	return api as typeof api & TonearmApi;
}

describe('Session', () => {
	it('starts checking, then shows the login screen when nobody is signed in', async () => {
		const session = new Session(fakeApi());
		expect(session.status).toBe('checking');
		await session.check();
		expect(session.status).toBe('signed-out');
		expect(session.viewer).toBeNull();
		expect(session.canLogOut).toBe(false);
	});

	it('takes an answer already in hand at once, without asking', () => {
		const api = fakeApi();
		const session = new Session(api);
		void session.check({ viewer: ada, authMode: 'REQUIRED' });
		expect(session.status).toBe('signed-in'); // before check() has returned to the event loop
		expect(session.viewer?.username).toBe('ada');
		expect(api.viewer).not.toHaveBeenCalled();
	});

	it('waits for an answer still under way instead of asking again', async () => {
		const api = fakeApi();
		const session = new Session(api);
		await session.check(Promise.resolve({ viewer: ada, authMode: 'REQUIRED' }));
		expect(session.status).toBe('signed-in');
		expect(api.viewer).not.toHaveBeenCalled();
	});

	it('is signed in when the server knows the viewer', async () => {
		const session = new Session(fakeApi({ viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }) }));
		await session.check();
		expect(session.status).toBe('signed-in');
		expect(session.viewer?.username).toBe('ada');
		expect(session.canLogOut).toBe(true);
	});

	it('offers no logout when accounts are off (auth mode NONE)', async () => {
		const local = {
			id: 'VXNlcjow',
			username: 'local',
			role: 'ADMIN',
			mustChangePassword: false,
			canUpload: true
		} as const;
		const session = new Session(fakeApi({ viewer: async () => ({ viewer: local, authMode: 'NONE' }) }));
		await session.check();
		expect(session.status).toBe('signed-in');
		expect(session.canLogOut).toBe(false);
	});

	it('is unavailable (not signed out) when the viewer check fails', async () => {
		const api = fakeApi({
			viewer: async () => {
				throw new NetworkError('down');
			}
		});
		const session = new Session(api);
		await session.check();
		expect(session.status).toBe('unavailable');
		expect(session.checkError).toBeInstanceOf(NetworkError);
		api.viewer.mockImplementation(async () => ({ viewer: null, authMode: 'REQUIRED' }));
		await session.check();
		expect(session.status).toBe('signed-out');
		expect(session.checkError).toBeNull();
	});

	it('signs in, marking the form as submitting meanwhile', async () => {
		let answer: (r: LoginResult) => void = () => {};
		const api = fakeApi({ login: () => new Promise<LoginResult>((resolve) => (answer = resolve)) });
		const session = new Session(api);
		await session.check();
		const done = session.logIn('  ada ', 'pw');
		expect(session.submitting).toBe(true);
		// A second submit while the first is in flight is ignored.
		await expect(session.logIn('ada', 'pw')).resolves.toBe(false);
		expect(api.login).toHaveBeenCalledTimes(1);
		expect(api.login).toHaveBeenCalledWith('ada', 'pw');
		answer({ kind: 'signed-in', viewer: ada });
		await expect(done).resolves.toBe(true);
		expect(session.status).toBe('signed-in');
		expect(session.submitting).toBe(false);
		expect(session.form).toEqual({ kind: 'idle' });
	});

	it('stays on the login screen with the reason when the login is refused', async () => {
		const api = fakeApi({ login: async () => ({ kind: 'failed', message: 'Wrong username or password.' }) });
		const session = new Session(api);
		await session.check();
		await expect(session.logIn('ada', 'nope')).resolves.toBe(false);
		expect(session.status).toBe('signed-out');
		expect(session.form).toEqual({ kind: 'failed', message: 'Wrong username or password.' });

		api.login.mockImplementation(async () => ({
			kind: 'rate-limited',
			message: 'Too many attempts.',
			retryAfterSeconds: 60
		}));
		await session.logIn('ada', 'nope');
		expect(session.form).toEqual({ kind: 'rate-limited', message: 'Too many attempts.', retryAfterSeconds: 60 });

		api.login.mockImplementation(async () => {
			throw new NetworkError('Failed to fetch');
		});
		await session.logIn('ada', 'pw');
		expect(session.form.kind).toBe('unreachable');
		expect(session.status).toBe('signed-out');
	});

	it('logs out', async () => {
		const api = fakeApi({ viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }) });
		const session = new Session(api);
		await session.check();
		await expect(session.logOut()).resolves.toBe(true);
		expect(api.logout).toHaveBeenCalledTimes(1);
		expect(session.status).toBe('signed-out');
		expect(session.viewer).toBeNull();
		expect(session.notice).toBeNull();
	});

	it('stays signed in and says why when logging out fails', async () => {
		const api = fakeApi({
			viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }),
			logout: async () => {
				throw new NetworkError('down');
			}
		});
		const session = new Session(api);
		await session.check();
		await expect(session.logOut()).resolves.toBe(false);
		expect(session.status).toBe('signed-in');
		expect(session.loggingOut).toBe(false);
		expect(session.logoutError).toMatch(/Could not log out\. Cannot reach the tonearm server/);
	});

	it('ends: back to the login screen with a note, once', async () => {
		const session = new Session(fakeApi({ viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }) }));
		await session.check();
		session.end();
		expect(session.status).toBe('signed-out');
		expect(session.notice).toBe(SESSION_ENDED_MESSAGE);
		expect(session.viewer).toBeNull();
		// Signing in again clears the note.
		await session.logIn('ada', 'pw');
		expect(session.status).toBe('signed-in');
		expect(session.notice).toBeNull();
	});

	it('ignores end() when nobody is signed in', async () => {
		const session = new Session(fakeApi());
		await session.check();
		session.end();
		expect(session.notice).toBeNull();
	});

	it('ignores a viewer answer that arrives after signing in', async () => {
		let answer: (v: ViewerInfo) => void = () => {};
		const session = new Session(fakeApi({ viewer: () => new Promise<ViewerInfo>((resolve) => (answer = resolve)) }));
		const checking = session.check();
		await session.logIn('ada', 'pw');
		answer({ viewer: null, authMode: 'REQUIRED' });
		await checking;
		expect(session.status).toBe('signed-in');
	});

	it('maps a GraphQL error of the viewer check to unavailable', async () => {
		const session = new Session(
			fakeApi({
				viewer: async () => {
					throw new GraphQLError('boom', 'INTERNAL_SERVER_ERROR', 200, []);
				}
			})
		);
		await session.check();
		expect(session.status).toBe('unavailable');
	});

	it('asks for a new password after a one-time password, until it is changed', async () => {
		const fresh = { ...ada, mustChangePassword: true };
		const session = new Session(fakeApi({ login: async () => ({ kind: 'signed-in', viewer: fresh }) }));
		await session.check();
		await session.logIn('ada', 'once-only');
		expect(session.status).toBe('signed-in');
		expect(session.needsNewPassword).toBe(true);

		session.passwordChanged({ ...fresh, id: 'someone-else', mustChangePassword: false });
		expect(session.needsNewPassword).toBe(true); // not about this viewer
		session.passwordChanged({ ...fresh, mustChangePassword: false });
		expect(session.needsNewPassword).toBe(false);
		expect(session.viewer).toEqual(ada);
	});

	it('knows admins, and who has an account to manage', async () => {
		const root = { ...ada, role: 'ADMIN' } as const;
		const admin = new Session(fakeApi({ viewer: async () => ({ viewer: root, authMode: 'REQUIRED' }) }));
		const listener = new Session(fakeApi({ viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }) }));
		const local = new Session(fakeApi({ viewer: async () => ({ viewer: root, authMode: 'NONE' }) }));
		await Promise.all([admin.check(), listener.check(), local.check()]);
		expect([admin.isAdmin, listener.isAdmin, local.isAdmin]).toEqual([true, false, true]);
		expect([admin.hasAccount, listener.hasAccount, local.hasAccount]).toEqual([true, true, false]);
		admin.end();
		expect(admin.isAdmin).toBe(false);
	});

	it('revalidates quietly: a new role shows, a failure changes nothing, an ended session is reported', async () => {
		const api = fakeApi({ viewer: async () => ({ viewer: ada, authMode: 'REQUIRED' }) });
		const session = new Session(api);
		await session.check();

		api.viewer.mockImplementationOnce(async () => ({ viewer: { ...ada, role: 'ADMIN' }, authMode: 'REQUIRED' }));
		await expect(session.revalidate()).resolves.toBe(true);
		expect(session.isAdmin).toBe(true);

		api.viewer.mockImplementationOnce(async () => {
			throw new NetworkError('down');
		});
		await expect(session.revalidate()).resolves.toBe(true);
		expect(session.status).toBe('signed-in');

		api.viewer.mockImplementationOnce(async () => ({ viewer: null, authMode: 'REQUIRED' }));
		await expect(session.revalidate()).resolves.toBe(false);
		expect(session.status).toBe('signed-in'); // the caller ends it (and pauses the player first)
		session.end();
		expect(session.notice).toBe(SESSION_ENDED_MESSAGE);
	});
});
