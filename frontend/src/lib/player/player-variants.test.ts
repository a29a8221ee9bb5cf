import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TonearmApi } from '$lib/api/graphql';
import type { StreamRequest, StreamUrlResult, Track } from '$lib/api/types';
import { sampleTrack } from '$lib/testing';
import { Player, fixedQueue } from './player.svelte';
import { MP3_TYPE, OPUS_TYPE, type ConnectionInfo, type PlaybackEnvironment } from './quality';
import { QualitySetting } from './quality-setting.svelte';
import { WAIT_LIMIT_MS, type StreamProbe } from './seeking';
import { MEDIA_ERR_SRC_NOT_SUPPORTED, type TimeRange } from './stream-url';

const INF = Number.POSITIVE_INFINITY;

/** `TimeRanges` as an element reports them. */
function ranges(list: TimeRange[]) {
	return { length: list.length, start: (i: number) => list[i]!.start, end: (i: number) => list[i]!.end };
}

/** An <audio> element as Chromium behaves during a variant's first play (see seeking.ts). */
class FakeAudio {
	currentTime = 0;
	paused = true;
	ended = false;
	seeking = false;
	readyState = 4;
	duration = INF;
	error: { code: number } | null = null;
	bufferedList: TimeRange[] = [{ start: 0, end: 3 }];
	seekableList: TimeRange[] = [{ start: 0, end: INF }];
	#src: string | null = null;
	sources: string[] = [];
	get buffered() {
		return ranges(this.bufferedList);
	}
	get seekable() {
		return ranges(this.seekableList);
	}
	get src(): string {
		return this.#src ?? '';
	}
	set src(url: string) {
		this.#src = url;
		this.sources.push(url);
		this.currentTime = 0; // a new load reports 0 until it has metadata
	}
	getAttribute(name: string): string | null {
		return name === 'src' ? this.#src : null;
	}
	removeAttribute = vi.fn((name: string) => {
		if (name === 'src') this.#src = null;
	});
	play = vi.fn(async () => {
		this.paused = false;
	});
	pause = vi.fn(() => {
		this.paused = true;
	});
	load = vi.fn(() => {
		this.sources.push(this.#src ?? '');
		this.currentTime = 0;
	});
}

function browser(types: string[], connection: ConnectionInfo | null = null): PlaybackEnvironment {
	return { canPlayType: (type) => (types.includes(type) ? 'probably' : ''), connection };
}

const chrome = browser([OPUS_TYPE, MP3_TYPE]);

const VARIANT_URL = '/api/tracks/t/stream?token=opus96';

type Answer = (request: StreamRequest | undefined, n: number) => StreamUrlResult;

const opus96: Answer = (request, n) =>
	request
		? {
				kind: 'url',
				url: n === 1 ? VARIANT_URL : `${VARIANT_URL}-${n}`,
				expiresAt: new Date(3_600_000).toISOString(),
				format: 'OPUS',
				bitrateKbps: 96,
				mimeType: 'audio/ogg'
			}
		: original(n);

const original = (n: number): StreamUrlResult => ({
	kind: 'url',
	url: `/api/tracks/t/stream?token=original${n}`,
	expiresAt: new Date(3_600_000).toISOString(),
	format: 'FLAC',
	bitrateKbps: 900,
	mimeType: 'audio/flac'
});

function setup({
	quality = 'low',
	env = chrome,
	answer = opus96,
	probe = 'encoding'
}: {
	quality?: 'low' | 'original' | 'auto' | 'high';
	env?: PlaybackEnvironment;
	answer?: Answer;
	probe?: StreamProbe;
} = {}) {
	const now = { ms: 0 };
	let n = 0;
	const createStreamUrl = vi.fn(async (_id: string, request?: StreamRequest) => answer(request, ++n));
	const probes = { result: probe, urls: [] as string[] };
	const prober = vi.fn(async (url: string) => {
		probes.urls.push(url);
		return probes.result;
	});
	const setting = new QualitySetting(null);
	setting.set(quality);
	const player = new Player({ createStreamUrl } as unknown as TonearmApi, {
		now: () => now.ms,
		environment: env,
		probe: prober,
		quality: setting
	});
	const audio = new FakeAudio();
	player.audio = audio as unknown as HTMLAudioElement;
	// Tracks as a list brings them: 180 s long, with a URL of the original minted with the list.
	const tracks: Track[] = [0, 1].map((i) =>
		sampleTrack(i, {
			mimeType: 'audio/flac',
			durationSeconds: 180,
			streamUrl: { url: `/api/tracks/${i}/stream?token=listed`, expiresAt: new Date(3_600_000).toISOString() }
		})
	);
	return { player, audio, createStreamUrl, prober, probes, now, queue: fixedQueue(tracks) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Start track 0 and let it load its first bytes (a first play: Ogg with no duration). */
async function playing(ctx: ReturnType<typeof setup>) {
	ctx.player.playFrom(ctx.queue, 0);
	await flush();
	ctx.player.onLoadedMetadata();
	ctx.audio.paused = false;
}

afterEach(() => {
	vi.useRealTimers();
});

describe('Player quality', () => {
	it('Low asks for Opus 96 (not the URL that came with the list) and shows what plays', async () => {
		const ctx = setup();
		ctx.player.playFrom(ctx.queue, 0);
		await flush();
		expect(ctx.createStreamUrl).toHaveBeenCalledWith('id-0', { format: 'OPUS', maxBitrateKbps: 96 });
		expect(ctx.audio.sources).toEqual([VARIANT_URL]);
		expect(ctx.audio.play).toHaveBeenCalledTimes(1);
		expect(ctx.player.streamLabel).toBe('OPUS 96 kbps');
		expect(ctx.prober).not.toHaveBeenCalled(); // from the start there is nothing to ask
	});

	it('Original plays the URL that came with the list, named from the track’s type', async () => {
		const ctx = setup({ quality: 'original' });
		ctx.player.playFrom(ctx.queue, 0);
		await flush();
		expect(ctx.createStreamUrl).not.toHaveBeenCalled();
		expect(ctx.audio.sources).toEqual(['/api/tracks/0/stream?token=listed']);
		expect(ctx.player.streamLabel).toBe('FLAC (original)');
	});

	it('Auto with data saving on asks for Low; MP3 where Opus does not play', async () => {
		const ctx = setup({ quality: 'auto', env: browser([MP3_TYPE], { saveData: true }) });
		ctx.player.playFrom(ctx.queue, 0);
		await flush();
		expect(ctx.createStreamUrl).toHaveBeenCalledWith('id-0', { format: 'MP3', maxBitrateKbps: 96 });
	});

	it('falls back from a refused format and a too-low bitrate without an error', async () => {
		const answers: StreamUrlResult[] = [
			{ kind: 'format-not-offered', message: 'no Opus', format: 'OPUS' },
			{ kind: 'bitrate-too-low', message: 'too low', lowestBitrateKbps: 128 },
			{ ...(original(3) as Extract<StreamUrlResult, { kind: 'url' }>), format: 'MP3', bitrateKbps: 128 }
		];
		const ctx = setup({ answer: (_r, n) => answers[n - 1]! });
		ctx.player.playFrom(ctx.queue, 0);
		await flush();
		expect(ctx.createStreamUrl.mock.calls.map((c) => c[1])).toEqual([
			{ format: 'OPUS', maxBitrateKbps: 96 },
			{ format: 'MP3', maxBitrateKbps: 96 },
			{ format: 'MP3', maxBitrateKbps: 128 }
		]);
		expect(ctx.player.error).toBeNull();
		expect(ctx.player.status).toBe('loading');
		expect(ctx.player.streamLabel).toBe('MP3 128 kbps');
	});

	it('ends with the original when every fallback is refused', async () => {
		const ctx = setup({
			answer: (r, n) => (r ? { kind: 'format-not-offered', message: 'no', format: r.format } : original(n))
		});
		ctx.player.playFrom(ctx.queue, 0);
		await flush();
		expect(ctx.createStreamUrl.mock.calls.map((c) => c[1])).toEqual([
			{ format: 'OPUS', maxBitrateKbps: 96 },
			{ format: 'MP3', maxBitrateKbps: 96 },
			undefined
		]);
		expect(ctx.player.streamLabel).toBe('FLAC (original)');
		expect(ctx.player.error).toBeNull();
	});

	it('changing the quality while playing switches at the same position', async () => {
		const ctx = setup({ quality: 'original', probe: 'complete' });
		await playing(ctx);
		ctx.audio.currentTime = 42;
		ctx.player.currentTime = 42;
		ctx.player.setQuality('low');
		expect(ctx.player.position).toBe(42);
		await flush();
		expect(ctx.createStreamUrl).toHaveBeenCalledWith('id-0', { format: 'OPUS', maxBitrateKbps: 96 });
		// The variant is complete already: the plain URL, sought by Range once loaded.
		expect(ctx.audio.src).toBe(VARIANT_URL);
		ctx.player.onLoadedMetadata();
		expect(ctx.audio.currentTime).toBe(42);
		expect(ctx.audio.play).toHaveBeenCalled();
		ctx.player.setQuality('low'); // same choice: nothing to do
		expect(ctx.createStreamUrl).toHaveBeenCalledTimes(1);
	});

	it('a failed variant (503) falls back to the original at the same position, silently', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.audio.currentTime = 20;
		ctx.probes.result = 'unavailable';
		ctx.audio.error = { code: MEDIA_ERR_SRC_NOT_SUPPORTED };
		ctx.player.onError();
		await flush();
		await flush();
		expect(ctx.probes.urls).toEqual([VARIANT_URL]);
		expect(ctx.createStreamUrl).toHaveBeenLastCalledWith('id-0');
		expect(ctx.player.streamLabel).toBe('FLAC (original)');
		expect(ctx.player.error).toBeNull();
		expect(ctx.player.position).toBe(20);
		ctx.audio.error = null;
		ctx.player.onLoadedMetadata();
		expect(ctx.audio.currentTime).toBe(20);
	});

	it('an expired variant URL (403) mints the same variant again and resumes by time offset', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.audio.currentTime = 30;
		ctx.probes.result = 'refused';
		ctx.audio.error = { code: MEDIA_ERR_SRC_NOT_SUPPORTED };
		ctx.player.onError();
		ctx.probes.result = 'encoding';
		await flush();
		await flush();
		expect(ctx.createStreamUrl).toHaveBeenLastCalledWith('id-0', { format: 'OPUS', maxBitrateKbps: 96 });
		expect(ctx.audio.src).toBe(`${VARIANT_URL}-2&start=30`);
		expect(ctx.player.position).toBe(30);
	});
});

describe('Player seeking during a variant’s first play', () => {
	it('seeks natively into buffered audio', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.player.seek(2);
		expect(ctx.audio.currentTime).toBe(2);
		expect(ctx.prober).not.toHaveBeenCalled();
		expect(ctx.audio.sources).toHaveLength(1);
	});

	it('a far target streams from the time offset; the display never goes back to 0', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.player.seek(150);
		expect(ctx.player.position).toBe(150); // at once, before the HEAD answers
		await flush();
		expect(ctx.probes.urls).toEqual([VARIANT_URL]);
		expect(ctx.audio.src).toBe(`${VARIANT_URL}&start=150`);
		expect(ctx.audio.currentTime).toBe(0); // the new load reports 0…
		ctx.player.currentTime = 0;
		expect(ctx.player.position).toBe(150); // …the player does not
		expect(ctx.player.length).toBe(180); // the library's duration, not the element's ∞
		ctx.player.onLoadedMetadata();
		expect(ctx.audio.currentTime).toBe(0); // no seek within the offset stream
		expect(ctx.audio.play).toHaveBeenCalled();
		ctx.player.currentTime = 2.5;
		expect(ctx.player.position).toBe(152.5);
		ctx.player.buffered = [{ start: 0, end: 6 }];
		expect(ctx.player.bufferedRanges).toEqual([{ start: 150, end: 156 }]);
	});

	it('on an offset stream, a seek back before its start streams from there', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.player.seek(150);
		await flush();
		ctx.player.onLoadedMetadata();
		ctx.player.seek(100);
		await flush();
		expect(ctx.audio.src).toBe(`${VARIANT_URL}&start=100`);
		ctx.player.onLoadedMetadata();
		ctx.player.seek(0); // back to the start: the plain URL again
		await flush();
		expect(ctx.audio.src).toBe(VARIANT_URL);
		expect(ctx.player.base).toBe(0);
		expect(ctx.prober).toHaveBeenCalledTimes(2); // the start needs no HEAD: it is there either way
	});

	it('a seek while an offset stream loads is decided once it has loaded', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.player.seek(150);
		await flush();
		ctx.player.seek(10); // before the offset stream's start
		expect(ctx.player.position).toBe(10);
		ctx.player.onLoadedMetadata();
		await flush();
		expect(ctx.audio.src).toBe(`${VARIANT_URL}&start=10`);
		expect(ctx.player.position).toBe(10);
	});

	it('once the variant is complete, reloads the plain URL and seeks by Range', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.probes.result = 'complete';
		ctx.player.seek(150);
		await flush();
		expect(ctx.audio.load).toHaveBeenCalledTimes(1); // the same URL, loaded again
		expect(ctx.player.position).toBe(150);
		// Complete now: Chromium reports the length and all of it as seekable.
		ctx.audio.duration = 180;
		ctx.audio.seekableList = [{ start: 0, end: 180 }];
		ctx.player.onLoadedMetadata();
		expect(ctx.audio.currentTime).toBe(150);
		ctx.player.seek(20); // and from now on natively
		expect(ctx.audio.currentTime).toBe(20);
		expect(ctx.prober).toHaveBeenCalledTimes(1);
	});

	it('waits for a near target, and takes the time offset if it does not come soon', async () => {
		vi.useFakeTimers();
		const ctx = setup();
		ctx.player.playFrom(ctx.queue, 0);
		await vi.advanceTimersByTimeAsync(0);
		ctx.player.onLoadedMetadata();
		ctx.now.ms = 1_000; // 1 s in: at least 20 s of audio have arrived
		ctx.player.seek(30);
		await vi.advanceTimersByTimeAsync(0);
		expect(ctx.audio.currentTime).toBe(30); // native: Chromium reads on in the same response
		expect(ctx.audio.sources).toHaveLength(1);
		ctx.audio.seeking = true; // …but it does not get there
		await vi.advanceTimersByTimeAsync(WAIT_LIMIT_MS);
		expect(ctx.audio.src).toBe(`${VARIANT_URL}&start=30`);
		expect(ctx.player.position).toBe(30);
	});

	it('a wait that completes in time stays on the running response', async () => {
		vi.useFakeTimers();
		const ctx = setup();
		ctx.player.playFrom(ctx.queue, 0);
		await vi.advanceTimersByTimeAsync(0);
		ctx.player.onLoadedMetadata();
		ctx.now.ms = 1_000;
		ctx.player.seek(30);
		await vi.advanceTimersByTimeAsync(0);
		ctx.audio.seeking = false;
		await vi.advanceTimersByTimeAsync(WAIT_LIMIT_MS);
		expect(ctx.audio.sources).toHaveLength(1);
	});

	it('an MP3 first play (seekable [0, 0]) never seeks natively: Chromium would snap to 0', async () => {
		const ctx = setup({ env: browser([MP3_TYPE]) });
		await playing(ctx);
		ctx.audio.duration = 180;
		ctx.audio.seekableList = [{ start: 0, end: 0 }];
		ctx.player.seek(2);
		await flush();
		expect(ctx.audio.src).toBe(`${VARIANT_URL}&start=2`);
	});

	it('a seek while the HEAD is out is overtaken by the next one', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.player.seek(150);
		ctx.player.seek(160);
		await flush();
		expect(ctx.audio.sources).toEqual([VARIANT_URL, `${VARIANT_URL}&start=160`]);
	});

	it('pausing while the HEAD is out stays paused at the target', async () => {
		const ctx = setup();
		await playing(ctx);
		ctx.audio.play.mockClear();
		ctx.player.seek(150);
		ctx.player.pause();
		await flush();
		ctx.player.onLoadedMetadata();
		expect(ctx.audio.play).not.toHaveBeenCalled();
		expect(ctx.player.position).toBe(150);
	});
});
