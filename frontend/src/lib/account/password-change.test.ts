import { describe, expect, it, vi } from 'vitest';
import { GraphQLError, NetworkError } from '$lib/api/graphql';
import type { ChangePasswordResult } from '$lib/api/types';
import { PasswordChange } from './password-change.svelte';

const viewer = {
	id: 'VXNlcjox',
	username: 'ada',
	role: 'LISTENER',
	mustChangePassword: false,
	canUpload: false
} as const;

function fakeApi(answer: () => Promise<ChangePasswordResult>) {
	return { changePassword: vi.fn<(current: string, next: string) => Promise<ChangePasswordResult>>(answer) };
}

function filled(form: PasswordChange, current = 'one-time-pw', next = 'my-own-password', confirm = next) {
	form.current = current;
	form.next = next;
	form.confirm = confirm;
	return form;
}

describe('PasswordChange', () => {
	it('sends current and new password and clears the fields once changed', async () => {
		const api = fakeApi(async () => ({ kind: 'changed', viewer }));
		const form = filled(new PasswordChange(api));

		const pending = form.submit();
		expect(form.submitting).toBe(true);
		await expect(pending).resolves.toEqual(viewer);

		expect(api.changePassword).toHaveBeenCalledWith('one-time-pw', 'my-own-password');
		expect(form.state).toEqual({ kind: 'changed' });
		expect([form.current, form.next, form.confirm]).toEqual(['', '', '']);
	});

	it('sends nothing when the repeat does not match', async () => {
		const api = fakeApi(async () => ({ kind: 'changed', viewer }));
		const form = filled(new PasswordChange(api), 'one-time-pw', 'my-own-password', 'my-own-passw0rd');

		await expect(form.submit()).resolves.toBeNull();

		expect(api.changePassword).not.toHaveBeenCalled();
		expect(form.invalidField).toBe('confirm');
	});

	it('marks the current password when the server says it is wrong, and empties it', async () => {
		const form = filled(
			new PasswordChange(
				fakeApi(async () => ({ kind: 'wrong-password', message: 'The current password is not right.' }))
			)
		);

		await form.submit();

		expect(form.state).toEqual({ kind: 'problem', field: 'current', message: 'The current password is not right.' });
		expect(form.current).toBe('');
		expect(form.next).toBe('my-own-password');
	});

	it('shows the server’s reasons for refusing the new password or for waiting', async () => {
		let answer: ChangePasswordResult = { kind: 'rejected', message: 'Passwords need at least 8 characters.' };
		const form = new PasswordChange(fakeApi(async () => answer));

		await filled(form).submit();
		expect(form.state).toEqual({ kind: 'problem', field: 'new', message: 'Passwords need at least 8 characters.' });

		answer = {
			kind: 'rate-limited',
			message: 'Too many sign-in attempts. Try again in 42 seconds.',
			retryAfterSeconds: 42
		};
		await filled(form).submit();
		expect(form.state).toEqual({
			kind: 'problem',
			field: 'current',
			message: 'Too many sign-in attempts. Try again in 42 seconds.'
		});
	});

	it('says what happened when the request fails, keeping what was typed', async () => {
		let failure: Error = new NetworkError('down');
		const form = new PasswordChange(
			fakeApi(async () => {
				throw failure;
			})
		);

		await filled(form).submit();
		expect(form.state.kind === 'problem' && form.state.message).toMatch(/^The password was not changed\. Cannot reach/);
		expect(form.current).toBe('one-time-pw');

		failure = new GraphQLError('nope', 'CSRF_REJECTED', 200, []);
		await form.submit();
		expect(form.state.kind === 'problem' && form.state.message).toMatch(/CSRF_REJECTED/);
	});

	it('ignores a second submit while the first is in flight', async () => {
		let finish: (r: ChangePasswordResult) => void = () => {};
		const api = fakeApi(() => new Promise((resolve) => (finish = resolve)));
		const form = filled(new PasswordChange(api));
		const first = form.submit();

		await expect(form.submit()).resolves.toBeNull();
		finish({ kind: 'changed', viewer });
		await first;

		expect(api.changePassword).toHaveBeenCalledTimes(1);
	});
});
