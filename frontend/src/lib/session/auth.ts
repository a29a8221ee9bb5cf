/**
 * Pure rules of signing in: what the login form shows for each outcome of the `login`
 * mutation or of a failed request. The stateful part is session.svelte.ts.
 */
import { GraphQLError, HttpError, NetworkError, describeError } from '$lib/api/graphql';
import type { LoginResult } from '$lib/api/types';

/** What the login form is doing, or why the last attempt did not sign in. */
export type LoginFormState =
	| { kind: 'idle' }
	| { kind: 'submitting' }
	/** Wrong username or password, or a disabled account (the server does not say which). */
	| { kind: 'failed'; message: string }
	| { kind: 'rate-limited'; message: string; retryAfterSeconds: number }
	/** The server could not be reached: nothing is wrong with the credentials (as far as we know). */
	| { kind: 'unreachable'; message: string }
	/** Anything else: an HTTP or GraphQL error that is not about the credentials. */
	| { kind: 'error'; message: string };

export const IDLE: LoginFormState = { kind: 'idle' };

export const DEFAULT_FAILED_MESSAGE = 'Wrong username or password.';
export const DEFAULT_RATE_LIMITED_MESSAGE = 'Too many sign-in attempts.';

/** The form state after a `login` answer that did not sign in (null when it did). */
export function loginOutcome(result: LoginResult): LoginFormState | null {
	switch (result.kind) {
		case 'signed-in':
			return null;
		case 'failed':
			return { kind: 'failed', message: result.message.trim() || DEFAULT_FAILED_MESSAGE };
		case 'rate-limited':
			return {
				kind: 'rate-limited',
				message: result.message.trim() || DEFAULT_RATE_LIMITED_MESSAGE,
				retryAfterSeconds: Math.max(1, Math.ceil(result.retryAfterSeconds))
			};
	}
}

/** The form state after the `login` request itself failed. */
export function loginRequestFailed(error: unknown): LoginFormState {
	if (error instanceof NetworkError) {
		return {
			kind: 'unreachable',
			message:
				'Cannot reach the tonearm server, so you were not signed in. Check your connection and that the server is running, then try again.'
		};
	}
	if (error instanceof GraphQLError || error instanceof HttpError) {
		return { kind: 'error', message: `Signing in did not work. ${describeError(error)}` };
	}
	return { kind: 'error', message: `Signing in did not work: ${describeError(error)}` };
}

/** “45 seconds”, “1 minute”, “2 minutes 5 seconds”. */
export function formatWait(seconds: number): string {
	const total = Math.max(1, Math.ceil(seconds));
	const minutes = Math.floor(total / 60);
	const rest = total % 60;
	const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
	if (minutes === 0) return part(rest, 'second');
	return rest === 0 ? part(minutes, 'minute') : `${part(minutes, 'minute')} ${part(rest, 'second')}`;
}

/** The sentence for the form's live region (null: nothing to say). */
export function loginFormMessage(state: LoginFormState): string | null {
	switch (state.kind) {
		case 'idle':
		case 'submitting':
			return null;
		case 'rate-limited':
			// The server's message may already say when (tonearm's does); do not say it twice.
			if (/try again/i.test(state.message)) return state.message;
			return `${ensureStop(state.message)} Try again in ${formatWait(state.retryAfterSeconds)}.`;
		default:
			return state.message;
	}
}

/** Did the credentials get rejected (mark the fields invalid), as opposed to the request failing? */
export function credentialsRejected(state: LoginFormState): boolean {
	return state.kind === 'failed';
}

function ensureStop(text: string): string {
	return /[.!?…]$/.test(text) ? text : `${text}.`;
}
