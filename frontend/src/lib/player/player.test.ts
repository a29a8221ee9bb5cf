import { describe, expect, it, vi } from 'vitest';
import type { TonearmApi } from '$lib/api/graphql';
import type { StreamUrlResult, Track } from '$lib/api/types';
import type { TrackList } from '$lib/library/track-list.svelte';
import { sampleTrack } from '$lib/testing';
import { Player, fixedQueue } from './player.svelte';
import { MEDIA_ERR_NETWORK, MEDIA_ERR_SRC_NOT_SUPPORTED, PREMINTED_MIN_LIFE_MS } from './stream-url';

const track = (n: number): Track => sampleTrack(n);

/** Just enough of an <audio> element for the player's own calls. */
class FakeAudio {
	currentTime = 0;
	paused = true;
	ended = false;
	readyState = 4;
	error: { code: number } | null = null;
	#src: string | null = null;
	/** Every URL the element was handed, in order (each one starts a load). */
	sources: string[] = [];
	get src(): string {
		return this.#src ?? '';
	}
	set src(url: string) {
		this.#src = url;
		this.sources.push(url);
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
	load = vi.fn();
}

function setup(now = { ms: 0 }) {
	let n = 0;
	const createStreamUrl = vi.fn(async (): Promise<StreamUrlResult> => {
		n += 1;
		return { kind: 'url', url: `/api/tracks/x/stream?token=t${n}`, expiresAt: new Date(now.ms + 60_000).toISOString() };
	});
	const api = { createStreamUrl } as unknown as TonearmApi;
	const player = new Player(api, { now: () => now.ms });
	const audio = new FakeAudio();
	player.audio = audio as unknown as HTMLAudioElement;
	const list = {
		tracks: [track(0), track(1), track(2)],
		hasNextPage: false,
		loadMore: async () => {}
	} as unknown as TrackList;
	return { player, audio, list, createStreamUrl, now };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('Player stream URL lifecycle', () => {
	it('mints a URL for a track that came without one and asks the element to play at once', async () => {
		const { player, audio, list, createStreamUrl } = setup();
		player.playFrom(list, 1);
		expect(player.track?.id).toBe('id-1');
		expect(player.isLoading).toBe(true);
		await flush();
		expect(createStreamUrl).toHaveBeenCalledWith('id-1');
		expect(player.src).toBe('/api/tracks/x/stream?token=t1');
		// From the start there is nothing to seek to: no waiting for metadata before play().
		expect(audio.play).toHaveBeenCalledTimes(1);
		player.onLoadedMetadata();
		expect(player.status).toBe('ready');
	});

	it('re-mints after a stream error and resumes at the same position and state', async () => {
		const { player, audio, list, createStreamUrl } = setup();
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		audio.play.mockClear();
		audio.currentTime = 95;
		audio.error = { code: MEDIA_ERR_NETWORK };
		player.onError();
		expect(player.position).toBe(95); // shown while the new URL loads
		await flush();
		expect(createStreamUrl).toHaveBeenCalledTimes(2);
		expect(player.src).toBe('/api/tracks/x/stream?token=t2');
		expect(audio.play).not.toHaveBeenCalled(); // not before it can seek to 95
		audio.currentTime = 0;
		audio.error = null;
		player.onLoadedMetadata();
		expect(audio.currentTime).toBe(95);
		expect(audio.play).toHaveBeenCalledTimes(1);
	});

	it('stays paused after a re-mint when it was paused', async () => {
		const { player, audio, list } = setup();
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		player.pause();
		audio.play.mockClear();
		audio.currentTime = 30;
		audio.error = { code: MEDIA_ERR_NETWORK };
		player.onError();
		await flush();
		player.onLoadedMetadata();
		expect(audio.currentTime).toBe(30);
		expect(audio.play).not.toHaveBeenCalled();
	});

	it('gives up with a message after repeated failures without progress', async () => {
		const { player, audio, list, createStreamUrl } = setup();
		player.playFrom(list, 0);
		await flush();
		for (let i = 0; i < 3; i++) {
			audio.error = { code: MEDIA_ERR_NETWORK };
			player.onError();
			await flush();
		}
		expect(createStreamUrl).toHaveBeenCalledTimes(3); // first + 2 re-mints
		expect(player.status).toBe('error');
		expect(player.error).toMatch(/could not be streamed/);
	});

	it('re-mints before seeking when the URL expired and the target is not buffered', async () => {
		const now = { ms: 0 };
		const { player, list, createStreamUrl } = setup(now);
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		player.buffered = [{ start: 0, end: 40 }];
		now.ms = 120_000;
		player.seek(20); // buffered: no network needed, keep the URL
		expect(createStreamUrl).toHaveBeenCalledTimes(1);
		expect(player.currentTime).toBe(20);
		player.seek(150);
		await flush();
		expect(createStreamUrl).toHaveBeenCalledTimes(2);
		expect(player.position).toBe(150);
	});

	it('advances to the next track on ended and stops at the end with repeat off', async () => {
		const { player, list } = setup();
		player.playFrom(list, 1);
		await flush();
		player.onEnded();
		await flush();
		expect(player.track?.id).toBe('id-2');
		player.onLoadedMetadata();
		player.onEnded();
		await flush();
		expect(player.track?.id).toBe('id-2');
		expect(player.isPlaying).toBe(false);
	});
});

describe('Player with stream URLs that came with the track list', () => {
	/** Tracks as a page of the list brings them: each with the URL the server minted for it. */
	function withUrls(now: { ms: number }, lifeMs: number) {
		const ctx = setup(now);
		const tracks = [0, 1, 2].map((n) => ({
			...track(n),
			streamUrl: { url: `/api/tracks/${n}/stream?token=listed${n}`, expiresAt: new Date(now.ms + lifeMs).toISOString() }
		}));
		const list = { tracks, hasNextPage: false, loadMore: async () => {} } as unknown as TrackList;
		return { ...ctx, list };
	}

	it('starts on the URL that came with the track, without a request, and plays at once', async () => {
		const { player, audio, list, createStreamUrl } = withUrls({ ms: 0 }, 6 * 3600_000);
		player.playFrom(list, 1);
		// Synchronously, in the click's task: the element has the URL and has been asked to play;
		// the state (what the page shows) follows in the next task.
		expect(audio.sources).toEqual(['/api/tracks/1/stream?token=listed1']);
		expect(audio.play).toHaveBeenCalledTimes(1);
		expect(player.track).toBeNull();
		await flush();
		expect(player.track?.id).toBe('id-1');
		expect(player.src).toBe('/api/tracks/1/stream?token=listed1');
		expect(player.isLoading).toBe(true);
		expect(audio.sources).toHaveLength(1); // not handed over (and reloaded) a second time
		player.onLoadedMetadata();
		expect(player.status).toBe('ready');
		expect(createStreamUrl).not.toHaveBeenCalled();
	});

	it('moves on to the next track on its own URL too', async () => {
		const { player, list, createStreamUrl } = withUrls({ ms: 0 }, 6 * 3600_000);
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		player.onEnded();
		await flush();
		expect(player.src).toBe('/api/tracks/1/stream?token=listed1');
		expect(createStreamUrl).not.toHaveBeenCalled();
	});

	it('mints a fresh URL instead when the listed one is about to expire', async () => {
		const now = { ms: 1_000_000 };
		const { player, audio, list, createStreamUrl } = withUrls(now, PREMINTED_MIN_LIFE_MS + 5_000);
		now.ms += 10_000; // the list was loaded a while ago: 25 s of life left, less than needed
		player.playFrom(list, 2);
		expect(player.src).toBeUndefined();
		await flush();
		expect(createStreamUrl).toHaveBeenCalledWith('id-2');
		expect(player.src).toBe('/api/tracks/x/stream?token=t1');
		expect(audio.play).toHaveBeenCalledTimes(1);
	});

	it('mints a fresh URL when the listed one is refused (403) and resumes where it was', async () => {
		const { player, audio, list, createStreamUrl } = withUrls({ ms: 0 }, 6 * 3600_000);
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		audio.play.mockClear();
		audio.currentTime = 12;
		audio.error = { code: MEDIA_ERR_SRC_NOT_SUPPORTED }; // how Chromium reports a 403
		player.onError();
		await flush();
		expect(createStreamUrl).toHaveBeenCalledWith('id-0');
		expect(player.src).toBe('/api/tracks/x/stream?token=t1');
		audio.error = null;
		audio.currentTime = 0;
		player.onLoadedMetadata();
		expect(audio.currentTime).toBe(12);
		expect(audio.play).toHaveBeenCalledTimes(1);
	});

	it('mints on the first play after the session ended, even with a listed URL', async () => {
		const { player, list, createStreamUrl } = withUrls({ ms: 0 }, 6 * 3600_000);
		player.playFrom(list, 0);
		await flush();
		player.onLoadedMetadata();
		player.suspend();
		player.play();
		await flush();
		expect(createStreamUrl).toHaveBeenCalledTimes(1);
	});

	it('a track chosen while another was loading wins', async () => {
		const { player, audio, list, createStreamUrl } = withUrls({ ms: 0 }, 6 * 3600_000);
		const plain = setup();
		let answer: (r: StreamUrlResult) => void = () => {};
		createStreamUrl.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
		player.playFrom(plain.list, 0); // no listed URL: mints
		player.playFrom(list, 2); // listed URL: at once
		answer({ kind: 'url', url: '/late', expiresAt: new Date(60_000).toISOString() });
		await flush();
		expect(player.track?.id).toBe('id-2');
		expect(player.src).toBe('/api/tracks/2/stream?token=listed2');
		expect(audio.src).toBe('/api/tracks/2/stream?token=listed2');
	});

	it('of two tracks chosen in one task, the element and the state end on the second', async () => {
		const { player, audio, list } = withUrls({ ms: 0 }, 6 * 3600_000);
		player.playFrom(list, 0);
		player.playFrom(list, 1);
		await flush();
		expect(player.track?.id).toBe('id-1');
		expect(player.src).toBe('/api/tracks/1/stream?token=listed1');
		expect(audio.sources).toEqual(['/api/tracks/0/stream?token=listed0', '/api/tracks/1/stream?token=listed1']);
	});
});

describe('Player when the session ends', () => {
	const withElement = () => setup();

	it('suspend() pauses, drops the URL, keeps track and position, and re-mints on play', async () => {
		const { player, audio, list, createStreamUrl } = withElement();
		player.playFrom(list, 1);
		await flush();
		player.onLoadedMetadata();
		audio.play.mockClear();
		audio.currentTime = 42;
		player.currentTime = 42;
		player.suspend();
		expect(audio.pause).toHaveBeenCalled();
		expect(audio.removeAttribute).toHaveBeenCalledWith('src');
		expect(player.src).toBeUndefined();
		expect(player.track?.id).toBe('id-1');
		expect(player.queue).toBe(list);
		expect(player.position).toBe(42);
		expect(player.isPlaying).toBe(false);
		expect(player.error).toBeNull();

		player.play();
		await flush();
		expect(createStreamUrl).toHaveBeenCalledTimes(2);
		expect(player.src).toBe('/api/tracks/x/stream?token=t2');
		player.onLoadedMetadata();
		expect(audio.currentTime).toBe(42);
		expect(audio.play).toHaveBeenCalledTimes(1);
	});

	it('suspend() during a mint ignores the late answer and shows no error', async () => {
		const { player, list, createStreamUrl } = withElement();
		let fail: (e: unknown) => void = () => {};
		createStreamUrl.mockImplementationOnce(() => new Promise((_, reject) => (fail = reject)));
		player.playFrom(list, 0);
		player.suspend();
		fail(new Error('UNAUTHENTICATED'));
		await flush();
		expect(player.status).toBe('idle');
		expect(player.error).toBeNull();
		expect(player.track?.id).toBe('id-0');
	});

	it('stop() forgets the queue', async () => {
		const { player, audio, list } = withElement();
		player.playFrom(list, 2);
		await flush();
		player.onLoadedMetadata();
		player.enqueue([track(7)]);
		player.stop();
		expect(player.upNext).toEqual([]);
		expect(audio.pause).toHaveBeenCalled();
		expect(player.queue).toBeNull();
		expect(player.track).toBeNull();
		expect(player.index).toBe(-1);
		expect(player.src).toBeUndefined();
		expect(player.position).toBe(0);
	});
});

describe('Player queue of albums', () => {
	const album = () => fixedQueue([track(10), track(11), track(12)], 'album:a');

	it('plays tracks added to the queue after the current one, then goes on with the list', async () => {
		const { player, list } = setup();
		player.playFrom(list, 0);
		await flush();
		player.enqueue(album().tracks);
		expect(player.upNext.map((t) => t.id)).toEqual(['id-10', 'id-11', 'id-12']);
		const order: string[] = [];
		for (let i = 0; i < 5; i++) {
			await player.next();
			order.push(player.track?.id ?? '');
		}
		expect(order).toEqual(['id-10', 'id-11', 'id-12', 'id-1', 'id-2']);
		expect(player.upNext).toEqual([]);
		expect(player.queue).toBe(list);
	});

	it('Previous from an added track goes back to the list’s current one', async () => {
		const { player, list } = setup();
		player.playFrom(list, 1);
		await flush();
		player.enqueue([track(10), track(11)]);
		await player.next();
		await player.next();
		expect(player.track?.id).toBe('id-11');
		player.previous();
		await flush();
		expect(player.track?.id).toBe('id-1');
		await player.next();
		expect(player.track?.id).toBe('id-2');
	});

	it('repeat one replays an added track when it ends', async () => {
		const { player, list } = setup();
		player.playFrom(list, 0);
		await flush();
		player.enqueue([track(10), track(11)]);
		await player.next();
		player.cycleRepeat();
		player.cycleRepeat();
		expect(player.repeat).toBe('one');
		await player.next(true);
		expect(player.track?.id).toBe('id-10');
		expect(player.upNext.map((t) => t.id)).toEqual(['id-11']);
	});

	it('with nothing queued, added tracks become the queue and Play starts them', async () => {
		const { player, createStreamUrl } = setup();
		const tracks = album().tracks;
		player.enqueue(tracks);
		expect(player.queue?.tracks).toBe(tracks);
		expect(player.track).toBeNull();
		expect(createStreamUrl).not.toHaveBeenCalled();
		player.play();
		await flush();
		expect(player.track?.id).toBe('id-10');
		expect(player.upNext).toEqual([]);
	});

	it('Shuffle turns shuffle on and plays every track of the album once', async () => {
		const { player } = setup();
		const queue = album();
		player.shuffleFrom(queue, () => 0.99);
		await flush();
		expect(player.shuffle).toBe(true);
		expect(player.queue).toBe(queue);
		expect(player.track?.id).toBe('id-12'); // the random start
		const played = [player.track?.id];
		await player.next();
		played.push(player.track?.id);
		await player.next();
		played.push(player.track?.id);
		expect(new Set(played)).toEqual(new Set(['id-10', 'id-11', 'id-12']));
		await player.next(); // the end of a shuffled album, repeat off: stop there
		expect(player.isPlaying).toBe(false);
	});
});

describe('Player play reports', () => {
	it('reports a play once, when half the track has been heard, and not for a seek', async () => {
		const now = { ms: 1_800_000_000_000 };
		let n = 0;
		const run = vi.fn(async (_query: string, variables: Record<string, unknown>) => ({
			recordPlay: { __typename: 'RecordedPlay', counted: true, track: { id: variables.trackId, playCount: 7 } }
		}));
		const api = {
			createStreamUrl: vi.fn(async (): Promise<StreamUrlResult> => {
				n += 1;
				return { kind: 'url', url: `/s?token=t${n}`, expiresAt: new Date(now.ms + 600_000).toISOString() };
			}),
			run
		} as unknown as TonearmApi;
		const player = new Player(api, { now: () => now.ms });
		const audio = new FakeAudio();
		player.audio = audio as unknown as HTMLAudioElement;
		player.playFrom(fixedQueue([track(0)]), 0); // 180 s: counts after 90 s heard
		await flush();
		player.onLoadedMetadata();
		const play = (seconds: number) => {
			for (let i = 0; i < seconds * 4; i++) {
				now.ms += 250;
				audio.currentTime += 0.25;
				player.onTimeUpdate();
			}
		};
		play(30);
		audio.currentTime = 150; // a seek forward: 120 s of clock, nothing heard
		now.ms += 100;
		player.onTimeUpdate();
		play(20);
		expect(run).not.toHaveBeenCalled();
		play(41);
		await flush();
		expect(run).toHaveBeenCalledTimes(1);
		const variables = run.mock.calls[0]![1];
		expect(variables.trackId).toBe('id-0');
		expect(variables.playedSeconds as number).toBeGreaterThanOrEqual(90);
		expect(variables.playedSeconds as number).toBeLessThan(91);
		expect(typeof variables.startedAt).toBe('string');
		expect(player.countedPlay).toEqual({ trackId: 'id-0', playCount: 7 });
		play(10);
		await flush();
		expect(run).toHaveBeenCalledTimes(1);
	});
});
