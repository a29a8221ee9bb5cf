import { describe, expect, it } from 'vitest';
import { GraphQLError, HttpError, NetworkError } from '$lib/api/graphql';
import {
	DEFAULT_FAILED_MESSAGE,
	credentialsRejected,
	formatWait,
	loginFormMessage,
	loginOutcome,
	loginRequestFailed
} from './auth';

describe('loginOutcome', () => {
	it('is null when the login signed in', () => {
		expect(
			loginOutcome({
				kind: 'signed-in',
				viewer: { id: 'u', username: 'ada', role: 'ADMIN', mustChangePassword: false, canUpload: true }
			})
		).toBeNull();
	});

	it('keeps the server message for wrong credentials, with a fallback', () => {
		expect(loginOutcome({ kind: 'failed', message: 'Wrong username or password.' })).toEqual({
			kind: 'failed',
			message: 'Wrong username or password.'
		});
		expect(loginOutcome({ kind: 'failed', message: '  ' })).toEqual({
			kind: 'failed',
			message: DEFAULT_FAILED_MESSAGE
		});
	});

	it('keeps the wait of a rate limit, rounded up to whole seconds', () => {
		expect(loginOutcome({ kind: 'rate-limited', message: 'Too many attempts', retryAfterSeconds: 29.2 })).toEqual({
			kind: 'rate-limited',
			message: 'Too many attempts',
			retryAfterSeconds: 30
		});
		expect(loginOutcome({ kind: 'rate-limited', message: 'x', retryAfterSeconds: 0 })).toMatchObject({
			retryAfterSeconds: 1
		});
	});
});

describe('loginRequestFailed', () => {
	it('tells an unreachable server apart from rejected credentials', () => {
		const state = loginRequestFailed(new NetworkError('Failed to fetch'));
		expect(state.kind).toBe('unreachable');
		expect(loginFormMessage(state)).toMatch(/Cannot reach the tonearm server/);
		expect(credentialsRejected(state)).toBe(false);
	});

	it('reports server errors with their code', () => {
		const csrf = new GraphQLError('Cross-site request', 'CSRF_REJECTED', 403, [
			{ message: 'Cross-site request', extensions: { code: 'CSRF_REJECTED' } }
		]);
		expect(loginRequestFailed(csrf)).toMatchObject({
			kind: 'error',
			message: expect.stringContaining('CSRF_REJECTED')
		});
		expect(loginRequestFailed(new HttpError(502, 'Bad gateway'))).toMatchObject({
			kind: 'error',
			message: expect.stringContaining('HTTP 502')
		});
		expect(loginRequestFailed(new Error('odd'))).toMatchObject({
			kind: 'error',
			message: expect.stringContaining('odd')
		});
	});
});

describe('loginFormMessage', () => {
	it('says nothing while idle or submitting', () => {
		expect(loginFormMessage({ kind: 'idle' })).toBeNull();
		expect(loginFormMessage({ kind: 'submitting' })).toBeNull();
	});

	it('shows the wait of a rate limit', () => {
		expect(
			loginFormMessage({ kind: 'rate-limited', message: 'Too many sign-in attempts', retryAfterSeconds: 45 })
		).toBe('Too many sign-in attempts. Try again in 45 seconds.');
		expect(loginFormMessage({ kind: 'rate-limited', message: 'Slow down!', retryAfterSeconds: 120 })).toBe(
			'Slow down! Try again in 2 minutes.'
		);
	});

	it('does not repeat the wait when the server message already gives it', () => {
		expect(
			loginFormMessage({
				kind: 'rate-limited',
				message: 'Too many sign-in attempts. Try again in 42 seconds.',
				retryAfterSeconds: 42
			})
		).toBe('Too many sign-in attempts. Try again in 42 seconds.');
	});

	it('shows the failure message and marks the credentials as rejected', () => {
		const state = { kind: 'failed', message: 'Wrong username or password.' } as const;
		expect(loginFormMessage(state)).toBe('Wrong username or password.');
		expect(credentialsRejected(state)).toBe(true);
	});
});

describe('formatWait', () => {
	it.each([
		[1, '1 second'],
		[0.2, '1 second'],
		[59, '59 seconds'],
		[60, '1 minute'],
		[61, '1 minute 1 second'],
		[125, '2 minutes 5 seconds']
	])('%s s → %s', (seconds, text) => {
		expect(formatWait(seconds)).toBe(text);
	});
});
