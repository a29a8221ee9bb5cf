import { describe, expect, it } from 'vitest';
import {
	MP3_TYPE,
	OPUS_TYPE,
	effectiveQuality,
	fallbackRequest,
	formatOfMime,
	lossyFormat,
	streamLabel,
	streamRequest,
	type ConnectionInfo,
	type PlaybackEnvironment
} from './quality';

/** A browser that plays the given MIME types ('probably'), on the given network. */
function browser(types: string[], connection: ConnectionInfo | null = null): PlaybackEnvironment {
	return { canPlayType: (type) => (types.includes(type) ? 'probably' : ''), connection };
}

const chrome = browser([OPUS_TYPE, MP3_TYPE]);
const oldSafari = browser([MP3_TYPE]);

describe('effectiveQuality', () => {
	it('keeps every explicit choice whatever the network', () => {
		for (const q of ['original', 'high', 'normal', 'low'] as const) {
			expect(effectiveQuality(q, { saveData: true, effectiveType: '2g' })).toBe(q);
		}
	});

	it('Auto is Low with data saving on', () => {
		expect(effectiveQuality('auto', { saveData: true, effectiveType: '4g' })).toBe('low');
	});

	it.each(['slow-2g', '2g', '3g'])('Auto is Low on %s', (effectiveType) => {
		expect(effectiveQuality('auto', { effectiveType })).toBe('low');
	});

	it('Auto is Original on 4g, or where the browser does not say (no Network Information API)', () => {
		expect(effectiveQuality('auto', { effectiveType: '4g', saveData: false })).toBe('original');
		expect(effectiveQuality('auto', null)).toBe('original');
		expect(effectiveQuality('auto', undefined)).toBe('original');
	});
});

describe('streamRequest', () => {
	it('asks for nothing in particular (the original) for Original, and for Auto on a fast network', () => {
		expect(streamRequest('original', chrome)).toBeNull();
		expect(streamRequest('auto', browser([OPUS_TYPE], { effectiveType: '4g' }))).toBeNull();
	});

	it('asks for Opus at the quality’s ceiling where the browser plays Opus in Ogg', () => {
		expect(streamRequest('high', chrome)).toEqual({ format: 'OPUS', maxBitrateKbps: 320 });
		expect(streamRequest('normal', chrome)).toEqual({ format: 'OPUS', maxBitrateKbps: 160 });
		expect(streamRequest('low', chrome)).toEqual({ format: 'OPUS', maxBitrateKbps: 96 });
	});

	it('asks for MP3 where the browser does not play Opus in Ogg', () => {
		expect(lossyFormat(oldSafari)).toBe('MP3');
		expect(streamRequest('low', oldSafari)).toEqual({ format: 'MP3', maxBitrateKbps: 96 });
	});

	it('counts "maybe" as playable', () => {
		const maybe: PlaybackEnvironment = { canPlayType: (t) => (t === OPUS_TYPE ? 'maybe' : '') };
		expect(lossyFormat(maybe)).toBe('OPUS');
	});

	it('Auto on a 3g connection asks for Low', () => {
		expect(streamRequest('auto', browser([OPUS_TYPE, MP3_TYPE], { effectiveType: '3g' }))).toEqual({
			format: 'OPUS',
			maxBitrateKbps: 96
		});
	});
});

describe('fallbackRequest', () => {
	it('Opus not offered → MP3 at the same ceiling, where the browser plays MP3', () => {
		expect(
			fallbackRequest({ format: 'OPUS', maxBitrateKbps: 96 }, { kind: 'format-not-offered', format: 'OPUS' }, chrome)
		).toEqual({ format: 'MP3', maxBitrateKbps: 96 });
	});

	it('Opus not offered and no MP3 in this browser → the original', () => {
		const opusOnly = browser([OPUS_TYPE]);
		expect(
			fallbackRequest({ format: 'OPUS', maxBitrateKbps: 96 }, { kind: 'format-not-offered', format: 'OPUS' }, opusOnly)
		).toBeNull();
	});

	it('MP3 not offered → the original', () => {
		expect(
			fallbackRequest({ format: 'MP3', maxBitrateKbps: 96 }, { kind: 'format-not-offered', format: 'MP3' }, chrome)
		).toBeNull();
	});

	it('every variant above the ceiling → the lowest of that format', () => {
		expect(
			fallbackRequest(
				{ format: 'MP3', maxBitrateKbps: 96 },
				{ kind: 'bitrate-too-low', lowestBitrateKbps: 128 },
				chrome
			)
		).toEqual({ format: 'MP3', maxBitrateKbps: 128 });
	});

	it('too low without a lowest bitrate, or one that is not higher → the original (no loop)', () => {
		const request = { format: 'MP3', maxBitrateKbps: 96 } as const;
		expect(fallbackRequest(request, { kind: 'bitrate-too-low', lowestBitrateKbps: null }, chrome)).toBeNull();
		expect(fallbackRequest(request, { kind: 'bitrate-too-low', lowestBitrateKbps: 96 }, chrome)).toBeNull();
	});
});

describe('streamLabel', () => {
	it('names a variant by format and bitrate', () => {
		expect(streamLabel({ format: 'OPUS', bitrateKbps: 96 }, false)).toBe('OPUS 96 kbps');
		expect(streamLabel({ format: 'MP3', bitrateKbps: 320 }, false)).toBe('MP3 320 kbps');
	});

	it('names a lossless original without a bitrate, a lossy one with it', () => {
		expect(streamLabel({ format: 'FLAC', bitrateKbps: 912 }, true)).toBe('FLAC (original)');
		expect(streamLabel({ format: 'MP3', bitrateKbps: 128 }, true)).toBe('MP3 128 kbps (original)');
		expect(streamLabel({ format: 'MP3', bitrateKbps: null }, true)).toBe('MP3 (original)');
	});

	it('says nothing when the server did not say what it streams', () => {
		expect(streamLabel({}, true)).toBe('');
	});

	it('reads an original’s format from its MIME type', () => {
		expect(formatOfMime('audio/flac')).toBe('FLAC');
		expect(formatOfMime('audio/mpeg')).toBe('MP3');
		expect(formatOfMime('audio/ogg')).toBeNull();
		expect(formatOfMime(null)).toBeNull();
	});
});
