import { describe, expect, it } from 'vitest';
import {
	ASSUMED_ENCODER_SPEED,
	NEAR_SECONDS,
	arrivedUntil,
	offsetUrl,
	readProbe,
	seekAction,
	trackTime,
	type SeekSituation
} from './seeking';

const INF = Number.POSITIVE_INFINITY;

/** A variant's first play in Chromium: Ogg from the encoder, duration ∞, seekable [0, ∞]. */
function firstPlay(overrides: Partial<SeekSituation> = {}): SeekSituation {
	return {
		target: 0,
		base: 0,
		buffered: [{ start: 0, end: 8 }],
		seekable: [{ start: 0, end: INF }],
		ranged: false,
		complete: false,
		arrivedUntil: 40,
		...overrides
	};
}

describe('seekAction', () => {
	it('seeks natively into what is buffered', () => {
		expect(seekAction(firstPlay({ target: 5 }))).toBe('native');
	});

	it('seeks natively anywhere on a source that answers Range requests (original, complete variant)', () => {
		expect(seekAction(firstPlay({ target: 170, ranged: true, buffered: [] }))).toBe('native');
	});

	it('reloads the plain URL when the variant is complete now (Range takes over)', () => {
		expect(seekAction(firstPlay({ target: 170, complete: true }))).toBe('reload');
	});

	it('waits for a target just past what has arrived', () => {
		expect(seekAction(firstPlay({ target: 40 + NEAR_SECONDS }))).toBe('wait');
		expect(seekAction(firstPlay({ target: 30 }))).toBe('wait');
	});

	it('streams from a far target with the time offset', () => {
		expect(seekAction(firstPlay({ target: 40 + NEAR_SECONDS + 1 }))).toBe('offset');
	});

	it('never seeks natively where Chromium would snap to 0 (finite duration, seekable [0, 0])', () => {
		const mp3 = firstPlay({ seekable: [{ start: 0, end: 0 }] });
		expect(seekAction({ ...mp3, target: 5 })).toBe('offset'); // buffered, but not seekable
		expect(seekAction({ ...mp3, target: 30 })).toBe('offset'); // near, but cannot wait
	});

	it('on an offset stream, element times count from its start', () => {
		const offset = firstPlay({ base: 120, buffered: [{ start: 0, end: 6 }], arrivedUntil: 150 });
		expect(seekAction({ ...offset, target: 123 })).toBe('native');
		expect(seekAction({ ...offset, target: 160 })).toBe('wait');
		expect(seekAction({ ...offset, target: 100 })).toBe('offset'); // before its start
		expect(seekAction({ ...offset, target: 100, complete: true })).toBe('reload');
	});

	it('goes back to the start on the plain URL', () => {
		expect(seekAction(firstPlay({ base: 120, target: 0 }))).toBe('reload');
	});
});

describe('arrivedUntil', () => {
	it('is what a slow encoder has sent since the request, or what is demuxed if more', () => {
		expect(arrivedUntil({ base: 0, elapsedMs: 2_000, buffered: [{ start: 0, end: 3 }] })).toBe(
			2 * ASSUMED_ENCODER_SPEED
		);
		expect(arrivedUntil({ base: 0, elapsedMs: 0, buffered: [{ start: 0, end: 3 }] })).toBe(3);
	});

	it('counts from an offset stream’s start', () => {
		expect(arrivedUntil({ base: 100, elapsedMs: 1_000, buffered: [] })).toBe(100 + ASSUMED_ENCODER_SPEED);
	});
});

describe('time offset', () => {
	it('shows start + the element’s time', () => {
		expect(trackTime(0, 12.5)).toBe(12.5);
		expect(trackTime(150, 0)).toBe(150);
		expect(trackTime(150, 2.25)).toBe(152.25);
	});

	it('adds start to the signed URL, in milliseconds at most', () => {
		expect(offsetUrl('/api/tracks/t/stream?token=abc', 150.123456)).toBe(
			'/api/tracks/t/stream?token=abc&start=150.123'
		);
		expect(offsetUrl('/api/tracks/t/stream?token=abc', 90)).toBe('/api/tracks/t/stream?token=abc&start=90');
	});
});

describe('readProbe', () => {
	const headers = (h: Record<string, string>) => new Headers(h);

	it('complete: Accept-Ranges bytes with a Content-Length', () => {
		expect(readProbe(200, headers({ 'Accept-Ranges': 'bytes', 'Content-Length': '2400000' }))).toBe('complete');
	});

	it('still being made: X-Tonearm-Variant encoding, or Accept-Ranges none', () => {
		expect(readProbe(200, headers({ 'X-Tonearm-Variant': 'encoding', 'Accept-Ranges': 'none' }))).toBe('encoding');
		expect(readProbe(200, headers({ 'Accept-Ranges': 'none' }))).toBe('encoding');
	});

	it('refused (expired token), unavailable (failed variant, busy encoders), unknown', () => {
		expect(readProbe(403, headers({}))).toBe('refused');
		expect(readProbe(503, headers({}))).toBe('unavailable');
		expect(readProbe(429, headers({ 'Retry-After': '2' }))).toBe('unavailable');
		expect(readProbe(500, headers({}))).toBe('unknown');
		expect(readProbe(200, headers({ 'Accept-Ranges': 'bytes' }))).toBe('unknown');
	});
});
