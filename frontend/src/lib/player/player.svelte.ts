import { TonearmApi, describeError } from '$lib/api/graphql';
import { socialApi } from '$lib/api/social';
import type { StreamRequest, StreamUrl, Track } from '$lib/api/types';
import {
	extendShuffleOrder,
	nextIndex,
	nextRepeatMode,
	previousIndex,
	previousRestartsTrack,
	shuffleOrder,
	type QueuePosition,
	type RepeatMode
} from './queue';
import {
	MAX_STREAM_REQUESTS,
	browserEnvironment,
	fallbackRequest,
	formatOfMime,
	streamLabel,
	streamRequest,
	type PlaybackEnvironment,
	type Quality
} from './quality';
import { QualitySetting } from './quality-setting.svelte';
import { ListenTracker, type ListenedPlay } from './play-report';
import {
	WAIT_LIMIT_MS,
	arrivedUntil,
	inRanges,
	offsetUrl,
	probeStream,
	seekAction,
	trackTime,
	type Prober,
	type SeekAction
} from './seeking';
import { RemintGuard, needsFreshUrl, usablePremintedUrl, type TimeRange } from './stream-url';

export type PlayerStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * What the player plays through: a track list that may grow (the library's `TrackList`
 * loads further pages as the queue nears its end), or a fixed one (an album).
 */
export interface Queue {
	readonly tracks: readonly Track[];
	readonly hasNextPage: boolean;
	loadMore(): Promise<void>;
	/** What the queue is (`album:<id>`), so a page can tell that the player plays it. */
	readonly source?: string;
}

/** A queue of exactly these tracks (an album, an artist's tracks). */
export function fixedQueue(tracks: readonly Track[], source?: string): Queue {
	return { tracks, hasNextPage: false, loadMore: () => Promise.resolve(), source };
}

/** HTMLMediaElement.HAVE_NOTHING, spelled out so the module also loads outside a browser. */
const HAVE_NOTHING = 0;

/** Resolves in a later task (after the tasks already queued, such as the element's load). */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface Resume {
	/** Where to continue once the (new) stream URL has loaded. */
	position: number;
	/** Whether to continue playing or stay paused there. */
	play: boolean;
}

/** The version of the current track being played, and what is known about it. */
export interface PlayingStream extends StreamUrl {
	/** The track's own file (asked for without a format), not a variant. */
	original: boolean;
}

/** What the player is built with; tests hand in fakes. */
export interface PlayerOptions {
	now?: () => number;
	/** Which types the browser plays and its network (for the quality setting). */
	environment?: PlaybackEnvironment;
	/** `HEAD` on a stream URL: is the variant complete yet? */
	probe?: Prober;
	quality?: QualitySetting;
}

/**
 * Playback state: the queue (a track list), the current track, and the stream URL lifecycle.
 * The `<audio>` element in PlayerBar.svelte binds its media properties to the fields below
 * and forwards its events to the `on…` methods; everything else goes through the actions.
 */
export class Player {
	// --- bound to <audio> --------------------------------------------------------------
	audio = $state<HTMLAudioElement>();
	currentTime = $state(0);
	duration = $state(Number.NaN);
	paused = $state(true);
	volume = $state(1);
	muted = $state(false);
	buffered = $state.raw<TimeRange[]>([]);
	seekable = $state.raw<TimeRange[]>([]);
	/** Relative, signed stream URL of the current track (the player sets it on `audio` itself). */
	src = $state<string>();
	/**
	 * Track time at the element's time 0: the `start` of a time-offset stream (a far seek
	 * during a variant's first play), else 0. The element's times are shifted by it.
	 */
	base = $state(0);
	/** The version being played (format, bitrate, original or not); null before a URL. */
	stream = $state.raw<PlayingStream | null>(null);

	// --- queue ---------------------------------------------------------------------------
	queue = $state.raw<Queue | null>(null);
	/** Index of the current track in `queue` (while an up-next track plays: of the last one). */
	index = $state(-1);
	/** Tracks added with "Add to queue": played next, in order, before the queue goes on. */
	upNext = $state.raw<Track[]>([]);
	track = $state.raw<Track | null>(null);
	shuffle = $state(false);
	repeat = $state<RepeatMode>('off');

	// --- status --------------------------------------------------------------------------
	status = $state<PlayerStatus>('idle');
	error = $state<string | null>(null);
	/** The last play the server counted: the track and its new overall play count. */
	countedPlay = $state.raw<{ trackId: string; playCount: number } | null>(null);

	/** Set while a stream URL is being minted and loaded; cleared once the element has it. */
	#resume = $state.raw<Resume | null>(null);
	/** What the user asked for last: play or pause. A re-mint restores this. */
	#wantsPlay = $state(false);

	/** Position to show: the resume point while a new URL loads (the element reports 0 then). */
	position = $derived(this.#resume ? this.#resume.position : trackTime(this.base, this.currentTime));
	/**
	 * Track length: the library's (a variant's first play has no length in the element), else
	 * the element's.
	 */
	length = $derived(
		this.track && this.track.durationSeconds > 0
			? this.track.durationSeconds
			: Number.isFinite(this.duration) && this.duration > 0
				? this.duration
				: 0
	);
	/** `buffered` in track time. */
	bufferedRanges = $derived(this.buffered.map((r) => ({ start: r.start + this.base, end: r.end + this.base })));
	/** What plays, for the now-playing area: "OPUS 96 kbps", "FLAC (original)". */
	streamLabel = $derived(
		this.stream
			? streamLabel(
					{ ...this.stream, format: this.stream.format ?? formatOfMime(this.track?.mimeType) ?? undefined },
					this.stream.original
				)
			: ''
	);
	/** Playing, or about to (loading with the intent to play). */
	isPlaying = $derived(this.status === 'loading' || this.#resume ? this.#wantsPlay : !this.paused);
	isLoading = $derived(this.status === 'loading');

	/** The streaming quality of this device. */
	readonly quality: QualitySetting;

	readonly #api: TonearmApi;
	readonly #guard = new RemintGuard();
	readonly #env: PlaybackEnvironment;
	readonly #probe: Prober;
	#expiresAtMs = 0;
	#mintSeq = 0;
	#startSeq = 0;
	#seekSeq = 0;
	/** Element time of the last time update. */
	#lastTime = 0;
	/** The variant of the current stream is known to be complete (an original always is). */
	#complete = false;
	/** When the element's current (non-Range) response was asked for, for `arrivedUntil`. */
	#responseStartedMs = 0;
	/** The element's source was loaded once the variant was complete: it answers Range requests. */
	#rangedSource = false;
	/** The current track's variant failed or the encoders were busy: play its original. */
	#forceOriginal = false;
	#waitTimer: ReturnType<typeof setTimeout> | undefined;
	#order: number[] | null = null;
	/** The current track came from up next: Previous goes back to the queue's current one. */
	#fromUpNext = false;
	/** The listened time of the current play, reported once it counts (play-report.ts). */
	#listen: ListenTracker | null = null;
	#now: () => number;

	constructor(api: TonearmApi = new TonearmApi(), options: PlayerOptions = {}) {
		this.#api = api;
		this.#now = options.now ?? Date.now;
		this.#env = options.environment ?? browserEnvironment();
		this.#probe = options.probe ?? probeStream;
		this.quality = options.quality ?? new QualitySetting();
	}

	// --- actions -------------------------------------------------------------------------

	/** Play track `index` of `list`; the list becomes the queue. */
	playFrom(list: Queue, index: number): void {
		if (!list.tracks[index]) return;
		this.queue = list;
		this.#order = this.shuffle ? shuffleOrder(list.tracks.length, index) : null;
		this.#guard.reset();
		void this.#start(index, true);
	}

	/** Shuffle on, and play `list` in a random order from a random track. */
	shuffleFrom(list: Queue, random: () => number = Math.random): void {
		if (list.tracks.length === 0) return;
		this.shuffle = true;
		this.playFrom(list, Math.floor(random() * list.tracks.length));
	}

	/**
	 * "Add to queue": the tracks play after the current one, before the queue goes on. With
	 * nothing queued they become the queue, ready for Play.
	 */
	enqueue(tracks: readonly Track[]): void {
		if (tracks.length === 0) return;
		if (!this.queue && !this.track) {
			this.queue = fixedQueue(tracks);
			this.index = -1;
			this.#order = this.shuffle ? shuffleOrder(tracks.length, -1) : null;
			return;
		}
		this.upNext = [...this.upNext, ...tracks];
	}

	/** The track row was activated: start it, or toggle it if it is the current one. */
	choose(list: Queue, index: number): void {
		const track = list.tracks[index];
		if (track && this.track?.id === track.id && this.status !== 'error') {
			this.toggle();
		} else {
			this.playFrom(list, index);
		}
	}

	play(): void {
		if (!this.track) {
			if (this.queue) this.playFrom(this.queue, 0);
			return;
		}
		this.#guard.reset();
		this.#wantsPlay = true;
		this.error = null;
		if (this.#resume) {
			this.#resume = { ...this.#resume, play: true };
			return;
		}
		const position = this.audio?.ended ? 0 : this.position;
		if (this.status === 'error' || this.#needsFreshUrl(position)) {
			void this.#mint(position, true);
			return;
		}
		this.#playElement();
	}

	pause(): void {
		this.#wantsPlay = false;
		if (this.#resume) this.#resume = { ...this.#resume, play: false };
		this.audio?.pause();
	}

	/**
	 * Choose the streaming quality (kept on this device). What plays switches at once, from
	 * the same position, when the choice asks for a different version.
	 */
	setQuality(quality: Quality): void {
		const before = this.#wantedRequest();
		this.quality.set(quality);
		if (!this.track || this.status === 'idle' || sameRequest(before, this.#wantedRequest())) return;
		this.#guard.reset();
		void this.#mint(this.position, this.#resume?.play ?? this.#wantsPlay);
	}

	toggle(): void {
		if (this.isPlaying) this.pause();
		else this.play();
	}

	/** Jump to `seconds` into the current track. */
	seek(seconds: number): void {
		if (!this.track) return;
		const max = this.length > 0 ? this.length : Number.POSITIVE_INFINITY;
		const target = Math.min(Math.max(0, seconds), max);
		this.#guard.reset();
		if (this.#resume) {
			this.#resume = { ...this.#resume, position: target };
			return;
		}
		if (this.status === 'error' || this.#needsFreshUrl(target)) {
			void this.#mint(target, this.#wantsPlay);
			return;
		}
		void this.#seekTo(target, this.#wantsPlay);
	}

	seekBy(delta: number): void {
		this.seek(this.position + delta);
	}

	async next(auto = false): Promise<void> {
		const [upNext, ...later] = this.upNext;
		if (upNext && !(auto && this.repeat === 'one' && this.track)) {
			this.upNext = later;
			this.#guard.reset();
			this.#fromUpNext = true;
			await this.#startTrack(upNext, this.index, true);
			return;
		}
		const list = this.queue;
		if (!list) return;
		this.#syncOrder();
		const atEndOfLoaded = nextIndex({ ...this.#queuePosition(), repeat: 'off' }, false) === null;
		if (atEndOfLoaded && list.hasNextPage && !(auto && this.repeat === 'one')) {
			await list.loadMore();
			this.#syncOrder();
		}
		const i = nextIndex(this.#queuePosition(), auto);
		if (i === null) {
			// End of the queue: stop here.
			this.#wantsPlay = false;
			return;
		}
		this.#guard.reset();
		if (i === this.index && auto) {
			// Repeat one: a new play of the same track.
			if (this.track) this.#listen = new ListenTracker(this.track.id, this.track.durationSeconds, this.#now);
			this.seek(0);
			this.play();
			return;
		}
		await this.#start(i, true);
	}

	previous(): void {
		if (!this.queue || !this.track) return;
		if (previousRestartsTrack(this.position)) {
			this.seek(0);
			return;
		}
		if (this.#fromUpNext && this.queue.tracks[this.index]) {
			this.#guard.reset();
			void this.#start(this.index, true);
			return;
		}
		this.#syncOrder();
		const i = previousIndex(this.#queuePosition());
		if (i === null) {
			this.seek(0);
			return;
		}
		this.#guard.reset();
		void this.#start(i, true);
	}

	toggleShuffle(): void {
		this.shuffle = !this.shuffle;
		this.#order = this.shuffle && this.queue ? shuffleOrder(this.queue.tracks.length, this.index) : null;
	}

	cycleRepeat(): void {
		this.repeat = nextRepeatMode(this.repeat);
	}

	toggleMute(): void {
		this.muted = !this.muted;
	}

	setVolume(volume: number): void {
		this.volume = Math.min(1, Math.max(0, volume));
		if (this.volume > 0 && this.muted) this.muted = false;
	}

	/**
	 * The session ended (stream URLs are bound to the user): stop playing and forget the
	 * URL, but keep the queue, the track and the position, so that `play()` after signing in
	 * again mints a new URL and carries on from there.
	 */
	suspend(): void {
		const position = this.#resume?.position ?? this.position;
		this.#mintSeq += 1; // a mint still in flight is no longer wanted
		this.#seekSeq += 1;
		clearTimeout(this.#waitTimer);
		this.#resume = null;
		this.#wantsPlay = false;
		this.#guard.reset();
		this.#releaseElement();
		this.#expiresAtMs = 0; // forces a fresh URL before playing again
		this.buffered = [];
		this.base = 0;
		this.currentTime = position;
		this.src = undefined;
		this.stream = null;
		this.status = 'idle';
		this.error = null;
	}

	/** Signed out: stop playback and forget the queue. */
	stop(): void {
		this.suspend();
		this.queue = null;
		this.upNext = [];
		this.index = -1;
		this.track = null;
		this.#order = null;
		this.base = 0;
		this.currentTime = 0;
		this.duration = Number.NaN;
	}

	// --- <audio> events ------------------------------------------------------------------

	onLoadedMetadata(): void {
		const resume = this.#resume;
		if (!resume) return;
		this.#resume = null;
		this.status = 'ready';
		const offset = resume.position - this.base; // 0 for a time-offset stream started there
		if (offset > 0 && this.audio && this.#isRanged()) {
			// Set the element directly: its timeupdate then updates the bound `currentTime`.
			this.audio.currentTime = offset;
		} else if (offset > 0.05 || offset < 0) {
			// Sought again while a variant's stream was loading: decide afresh.
			void this.#seekTo(resume.position, resume.play);
			return;
		}
		if (resume.play) this.#playElement();
	}

	onTimeUpdate(): void {
		const audio = this.audio;
		// readyState 0: the element is (re)loading and reports 0, not a real position.
		if (!audio || this.#resume || audio.readyState === HAVE_NOTHING) return;
		this.#lastTime = audio.currentTime;
		const due = this.#listen?.tick(trackTime(this.base, audio.currentTime), !audio.paused);
		if (due) void this.#reportPlay(due);
		if (this.#guard.onTimeUpdate(trackTime(this.base, audio.currentTime), !audio.paused) && this.status === 'error') {
			this.status = 'ready';
			this.error = null;
		}
	}

	onEnded(): void {
		void this.next(true);
	}

	/**
	 * The element failed to load or to continue (a 403 for an expired URL, a dropped
	 * connection…): mint a new URL and carry on from the same place, unless that keeps failing.
	 */
	onError(): void {
		const audio = this.audio;
		if (!audio || !this.track || !this.src || !audio.error) return;
		const decision = this.#guard.onError(audio.error.code);
		if (decision.action === 'ignore') return;
		const position =
			this.#resume?.position ?? trackTime(this.base, audio.currentTime > 0 ? audio.currentTime : this.#lastTime);
		const play = this.#resume?.play ?? this.#wantsPlay;
		if (this.stream && !this.stream.original) {
			void this.#variantError(position, play, decision.action === 'give-up' ? null : decision.action);
			return;
		}
		if (decision.action === 'give-up') {
			this.#fail(decision.message);
			return;
		}
		void this.#mint(position, play);
	}

	/**
	 * A variant's stream failed: a failed variant (503) or busy encoders (429) mean "play the
	 * original" — a normal fallback, not an error; anything else is handled like an original's
	 * error (an expired URL is minted again), except that giving up also falls back.
	 */
	async #variantError(position: number, play: boolean, action: 'remint' | null): Promise<void> {
		const stream = this.stream;
		if (!stream) return;
		const seq = this.#mintSeq;
		const probe = await this.#probe(stream.url);
		if (seq !== this.#mintSeq) return; // something else was started meanwhile
		if (probe === 'unavailable' || action === null) {
			this.#forceOriginal = true;
			this.#guard.reset();
		}
		void this.#mint(position, play);
	}

	// --- internals -----------------------------------------------------------------------

	/**
	 * Tell the server about a play that reached the rule. A report that fails is dropped: the
	 * music goes on, and a play count is not worth an error in the player bar.
	 */
	async #reportPlay(play: ListenedPlay): Promise<void> {
		try {
			const result = await socialApi(this.#api).recordPlay(play.trackId, play.playedSeconds, play.startedAt);
			if (result.kind === 'recorded' && result.counted) {
				this.countedPlay = { trackId: play.trackId, playCount: result.playCount };
			}
		} catch {
			// Offline or signed out: the session handling reports the latter on its own.
		}
	}

	async #start(index: number, play: boolean): Promise<void> {
		const track = this.queue?.tracks[index];
		if (!track) return;
		this.#fromUpNext = false;
		await this.#startTrack(track, index, play);
	}

	/** Start `track`, which is at `index` of the queue (or, from up next, comes after it). */
	async #startTrack(track: Track, index: number, play: boolean): Promise<void> {
		const seq = ++this.#startSeq;
		this.#forceOriginal = false;
		// The URL came with the track list: nothing stands between the click and the first byte.
		// It streams the original, so it serves only when that is what the quality asks for.
		const ready = this.#wantedRequest() === null ? usablePremintedUrl(track.streamUrl, this.#now()) : null;
		const audio = this.audio;
		if (ready && play && audio) {
			// Hand the element its URL and ask it to play before any state changes: the browser
			// starts loading in a task of its own, which would otherwise wait for the re-render
			// and the frame that paint the new track (~20 ms of a 55 ms start, measured under
			// load). The state (and with it the page) follows in the next task.
			audio.src = ready.url;
			this.#askToPlay(audio);
			await nextTask();
			if (seq !== this.#startSeq) return; // another track was chosen meanwhile
		}
		this.index = index;
		this.track = track;
		this.#listen = new ListenTracker(track.id, track.durationSeconds, this.#now);
		this.#lastTime = 0;
		this.currentTime = 0;
		this.duration = Number.NaN;
		this.base = 0;
		this.stream = null;
		this.#wantsPlay = play;
		if (!ready) {
			await this.#mint(0, play);
			return;
		}
		this.#mintSeq += 1; // a mint still in flight is for another track
		this.#beginLoad(0, play);
		this.#useUrl({ ...ready, original: true }, 0);
	}

	/** Get a fresh stream URL for the current track and continue at `position`. */
	async #mint(position: number, play: boolean): Promise<void> {
		const track = this.track;
		if (!track) return;
		const seq = ++this.#mintSeq;
		this.#seekSeq += 1; // a seek still deciding is overtaken
		this.#beginLoad(position, play);
		let request = this.#wantedRequest();
		for (let attempt = 1; ; attempt++) {
			let result;
			try {
				result = request
					? await this.#api.createStreamUrl(track.id, request)
					: await this.#api.createStreamUrl(track.id);
			} catch (error) {
				if (seq === this.#mintSeq) this.#fail(describeError(error));
				return;
			}
			if (seq !== this.#mintSeq) return; // another track was chosen meanwhile
			if (result.kind === 'not-found') {
				this.#fail(`“${track.title}” is no longer in the library. Rescan the library, then reload.`);
				return;
			}
			if (result.kind === 'url') {
				const url: PlayingStream = {
					url: result.url,
					expiresAt: result.expiresAt,
					format: result.format,
					bitrateKbps: result.bitrateKbps,
					mimeType: result.mimeType,
					original: request === null
				};
				await this.#loadStream(url, position, seq);
				return;
			}
			if (!request) {
				this.#fail(result.message); // the original is never refused; a server that does is broken
				return;
			}
			// The track does not offer what the quality asks for: the nearest it does, else the original.
			request = attempt < MAX_STREAM_REQUESTS ? fallbackRequest(request, result, this.#env) : null;
		}
	}

	/**
	 * Load a freshly minted URL to continue at `position`. An original, or a variant that is
	 * complete, loads plainly and seeks by Range; a variant still being made starts at
	 * `position` with the time offset (its first play has no byte ranges to seek with).
	 */
	async #loadStream(stream: PlayingStream, position: number, seq: number): Promise<void> {
		let complete = stream.original;
		if (!complete && position > 0) {
			complete = (await this.#probe(stream.url)) === 'complete';
			if (seq !== this.#mintSeq) return;
		}
		this.#useUrl(stream, position, complete);
	}

	/** From here until `loadedmetadata`, the player shows `position` and remembers the intent. */
	#beginLoad(position: number, play: boolean): void {
		this.status = 'loading';
		this.error = null;
		this.#wantsPlay = play;
		this.#resume = { position, play };
	}

	/**
	 * Hand the element the stream for the current track, to continue at `position`: the
	 * plain URL, or (a variant not complete, `position` > 0) the URL from that time on.
	 */
	#useUrl(stream: PlayingStream, position: number, complete = stream.original): void {
		this.#expiresAtMs = Date.parse(stream.expiresAt);
		this.#guard.resumingAt(position);
		this.stream = stream;
		this.#complete = complete;
		this.#setSource(complete || position <= 0 ? 0 : position);
	}

	/** Point the element at the current stream from track time `start` (0: the plain URL). */
	#setSource(start: number): void {
		const stream = this.stream;
		if (!stream) return;
		const url = start > 0 ? offsetUrl(stream.url, start) : stream.url;
		clearTimeout(this.#waitTimer);
		this.base = start;
		this.#rangedSource = start === 0 && this.#complete;
		this.#lastTime = 0;
		this.#responseStartedMs = this.#now();
		const reload = this.src === url;
		this.src = url;
		const audio = this.audio;
		if (!audio) return;
		// Set on the element here, not through a `src` attribute in the template: that would
		// reach it only once Svelte has re-rendered, and play() must come after it.
		if (reload) audio.load();
		else if (audio.getAttribute('src') !== url) audio.src = url; // not handed over yet
		// From where the stream starts there is nothing to seek to once metadata is in: ask for
		// playback now, in the same task as the click (as a plain page does), not a metadata
		// round trip later.
		if (this.#resume && this.#resume.position - start <= 0 && this.#resume.play) this.#playElement();
	}

	/**
	 * Go to `target` (track time) on the current stream, the fastest way there is: see
	 * `seekAction` in seeking.ts. The position shown is the target from the first moment.
	 */
	async #seekTo(target: number, play: boolean): Promise<void> {
		const seq = ++this.#seekSeq;
		clearTimeout(this.#waitTimer);
		let action = this.#seekAction(target);
		if ((action === 'wait' || action === 'offset') && this.stream) {
			// Not reachable in what has arrived: is the variant complete by now? (HEAD, no encoder.)
			this.#resume = { position: target, play };
			const probe = await this.#probe(this.stream.url);
			if (seq !== this.#seekSeq) return; // sought again, or a new URL, meanwhile
			if (probe === 'complete') this.#complete = true;
			const resume = this.#resume as Resume | null;
			this.#resume = null;
			if (resume) {
				// Paused, resumed or sought again while asking.
				play = resume.play;
				target = resume.position;
			}
			action = this.#seekAction(target);
		}
		this.#perform(action, target, play, seq);
	}

	#perform(action: SeekAction, target: number, play: boolean, seq: number): void {
		if (action === 'native' || action === 'wait') {
			// Just move the playhead: the browser reads on, or asks for the bytes (Range).
			this.currentTime = target - this.base;
			if (this.audio) this.audio.currentTime = target - this.base;
			if (play && this.audio?.paused) this.#playElement();
			if (action === 'wait') {
				this.#waitTimer = setTimeout(() => {
					if (seq === this.#seekSeq && this.audio?.seeking) this.#perform('offset', target, this.#wantsPlay, seq);
				}, WAIT_LIMIT_MS);
			}
			return;
		}
		this.status = 'loading';
		this.#wantsPlay = play;
		this.#resume = { position: target, play };
		this.#guard.resumingAt(target);
		this.#setSource(action === 'offset' ? target : 0);
	}

	#seekAction(target: number): SeekAction {
		const buffered = this.#elementRanges('buffered');
		return seekAction({
			target,
			base: this.base,
			buffered,
			seekable: this.#elementRanges('seekable'),
			ranged: this.#isRanged(),
			complete: this.#complete,
			arrivedUntil: arrivedUntil({
				base: this.base,
				elapsedMs: this.#now() - this.#responseStartedMs,
				buffered
			})
		});
	}

	/**
	 * The element's response answers Range requests: an original, or a variant whose URL was
	 * loaded once it was complete — Chromium then reports a finite duration and all of it as
	 * seekable (a streamed first play has an infinite one, or `seekable` [0, 0]).
	 */
	#isRanged(): boolean {
		if (!this.stream) return false;
		if (this.stream.original || this.#rangedSource) return true;
		const duration = this.audio?.duration ?? this.duration;
		return (
			this.base === 0 &&
			Number.isFinite(duration) &&
			duration > 0 &&
			inRanges(Math.max(0, duration - 1), this.#elementRanges('seekable'), 0)
		);
	}

	/**
	 * The element's own ranges, read now: the bound copies follow their events, which may
	 * come after the handler that asks (`loadedmetadata`).
	 */
	#elementRanges(which: 'buffered' | 'seekable'): TimeRange[] {
		const ranges = this.audio?.[which];
		if (!ranges) return which === 'buffered' ? this.buffered : this.seekable;
		return Array.from({ length: ranges.length }, (_, i) => ({ start: ranges.start(i), end: ranges.end(i) }));
	}

	/** What the quality setting asks for now; null: the original. */
	#wantedRequest(): StreamRequest | null {
		return this.#forceOriginal ? null : streamRequest(this.quality.value, this.#env);
	}

	#playElement(): void {
		const audio = this.audio;
		if (!audio) return;
		this.#wantsPlay = true;
		this.#askToPlay(audio);
	}

	/** `audio.play()`, and what its refusal means; changes no state unless it is refused. */
	#askToPlay(audio: HTMLAudioElement): void {
		audio.play().catch((error: unknown) => {
			if (error instanceof DOMException && error.name === 'NotAllowedError') {
				// Autoplay policy: the browser wants a click first.
				this.#wantsPlay = false;
				this.error = 'Press play to start listening.';
			}
			// AbortError: a new load interrupted this play(); the new load carries on.
			// NotSupportedError: the element fires `error`, handled by onError().
		});
	}

	/** Pause the element and stop it fetching (its URL is about to be useless). */
	#releaseElement(): void {
		const audio = this.audio;
		if (!audio) return;
		audio.pause();
		if (audio.getAttribute('src')) {
			audio.removeAttribute('src');
			audio.load();
		}
	}

	#fail(message: string): void {
		this.#resume = null;
		this.#wantsPlay = false;
		this.status = 'error';
		this.error = message;
		this.audio?.pause();
	}

	#needsFreshUrl(position: number): boolean {
		return needsFreshUrl({
			expiresAtMs: this.#expiresAtMs,
			nowMs: this.#now(),
			position: position - this.base,
			buffered: this.buffered
		});
	}

	#queuePosition(): QueuePosition {
		return {
			length: this.queue?.tracks.length ?? 0,
			current: this.index,
			repeat: this.repeat,
			order: this.#order
		};
	}

	#syncOrder(): void {
		const length = this.queue?.tracks.length ?? 0;
		if (this.#order && this.#order.length < length) {
			this.#order = extendShuffleOrder(this.#order, this.index, length);
		}
	}
}

function sameRequest(a: StreamRequest | null, b: StreamRequest | null): boolean {
	return a === b || (!!a && !!b && a.format === b.format && a.maxBitrateKbps === b.maxBitrateKbps);
}
