import { describe, expect, it } from 'vitest';
import {
	EXPIRY_MARGIN_MS,
	MEDIA_ERR_ABORTED,
	MEDIA_ERR_DECODE,
	MEDIA_ERR_NETWORK,
	MEDIA_ERR_SRC_NOT_SUPPORTED,
	PREMINTED_MIN_LIFE_MS,
	RemintGuard,
	isBuffered,
	isExpired,
	needsFreshUrl,
	usablePremintedUrl
} from './stream-url';

describe('isExpired', () => {
	const expires = 1_000_000;
	it('is false well before expiry', () => {
		expect(isExpired(expires, expires - 10_000)).toBe(false);
	});
	it('is true within the safety margin and after', () => {
		expect(isExpired(expires, expires - EXPIRY_MARGIN_MS + 1)).toBe(true);
		expect(isExpired(expires, expires)).toBe(true);
		expect(isExpired(expires, expires + 5)).toBe(true);
	});
	it('treats an unparseable expiry as expired', () => {
		expect(isExpired(Number.NaN, 0)).toBe(true);
	});
});

describe('usablePremintedUrl', () => {
	const url = { url: '/api/tracks/a/stream?token=t', expiresAt: '2030-01-01T00:00:00+00:00' };
	const expiresMs = Date.parse(url.expiresAt);
	it('uses a listed URL with enough life left', () => {
		expect(usablePremintedUrl(url, expiresMs - 6 * 3600_000)).toBe(url);
		expect(usablePremintedUrl(url, expiresMs - PREMINTED_MIN_LIFE_MS)).toBe(url);
	});
	it('refuses one about to expire, expired, missing or unparseable', () => {
		expect(usablePremintedUrl(url, expiresMs - PREMINTED_MIN_LIFE_MS + 1)).toBeNull();
		expect(usablePremintedUrl(url, expiresMs + 1)).toBeNull();
		expect(usablePremintedUrl(null, 0)).toBeNull();
		expect(usablePremintedUrl(undefined, 0)).toBeNull();
		expect(usablePremintedUrl({ ...url, expiresAt: 'soon' }, 0)).toBeNull();
	});
});

describe('isBuffered', () => {
	const ranges = [
		{ start: 0, end: 20 },
		{ start: 100, end: 130 }
	];
	it('finds positions inside a buffered range', () => {
		expect(isBuffered(5, ranges)).toBe(true);
		expect(isBuffered(110, ranges)).toBe(true);
	});
	it('rejects gaps and the very end of a range', () => {
		expect(isBuffered(50, ranges)).toBe(false);
		expect(isBuffered(19.9, ranges)).toBe(false);
		expect(isBuffered(0, [])).toBe(false);
	});
});

describe('needsFreshUrl', () => {
	const base = { expiresAtMs: 10_000, buffered: [{ start: 0, end: 30 }] };
	it('keeps a valid URL', () => {
		expect(needsFreshUrl({ ...base, nowMs: 0, position: 120 })).toBe(false);
	});
	it('re-mints an expired URL when the target needs the network', () => {
		expect(needsFreshUrl({ ...base, nowMs: 20_000, position: 120 })).toBe(true);
	});
	it('leaves an expired URL alone when the target is already buffered', () => {
		expect(needsFreshUrl({ ...base, nowMs: 20_000, position: 10 })).toBe(false);
	});
});

describe('RemintGuard', () => {
	it('re-mints on network and source errors (a 403 shows up as either)', () => {
		const guard = new RemintGuard(2);
		expect(guard.onError(MEDIA_ERR_NETWORK)).toEqual({ action: 'remint', attempt: 1 });
		expect(guard.onError(MEDIA_ERR_SRC_NOT_SUPPORTED)).toEqual({ action: 'remint', attempt: 2 });
	});

	it('gives up after the maximum number of re-mints without progress', () => {
		const guard = new RemintGuard(2);
		guard.onError(MEDIA_ERR_NETWORK);
		guard.onError(MEDIA_ERR_NETWORK);
		const decision = guard.onError(MEDIA_ERR_NETWORK);
		expect(decision.action).toBe('give-up');
		// ...and keeps giving up: no loop.
		expect(guard.onError(MEDIA_ERR_NETWORK).action).toBe('give-up');
	});

	it('says so when the file itself cannot be decoded', () => {
		const guard = new RemintGuard(0);
		const decision = guard.onError(MEDIA_ERR_DECODE);
		expect(decision).toEqual({ action: 'give-up', message: 'This file could not be decoded.' });
	});

	it('ignores aborted loads', () => {
		const guard = new RemintGuard(2);
		expect(guard.onError(MEDIA_ERR_ABORTED)).toEqual({ action: 'ignore' });
		expect(guard.attempts).toBe(0);
	});

	it('resets after playback progresses past the resume point', () => {
		const guard = new RemintGuard(2);
		guard.onError(MEDIA_ERR_NETWORK);
		guard.resumingAt(60);
		expect(guard.onTimeUpdate(60.2, true)).toBe(false);
		expect(guard.attempts).toBe(1);
		expect(guard.onTimeUpdate(61, true)).toBe(true);
		expect(guard.attempts).toBe(0);
		expect(guard.onError(MEDIA_ERR_NETWORK)).toEqual({ action: 'remint', attempt: 1 });
	});

	it('does not count time updates while paused as progress', () => {
		const guard = new RemintGuard(2);
		guard.onError(MEDIA_ERR_NETWORK);
		guard.resumingAt(10);
		expect(guard.onTimeUpdate(30, false)).toBe(false);
		expect(guard.attempts).toBe(1);
	});

	it('starts afresh after a user action', () => {
		const guard = new RemintGuard(1);
		guard.onError(MEDIA_ERR_NETWORK);
		expect(guard.onError(MEDIA_ERR_NETWORK).action).toBe('give-up');
		guard.reset();
		expect(guard.onError(MEDIA_ERR_NETWORK).action).toBe('remint');
	});
});
