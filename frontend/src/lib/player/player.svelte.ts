import { TonearmApi, describeError } from '$lib/api/graphql';
import type { StreamUrl, Track } from '$lib/api/types';
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
	/** Relative, signed stream URL of the current track (the player sets it on `audio` itself). */
	src = $state<string>();

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

	/** Set while a stream URL is being minted and loaded; cleared once the element has it. */
	#resume = $state.raw<Resume | null>(null);
	/** What the user asked for last: play or pause. A re-mint restores this. */
	#wantsPlay = $state(false);

	/** Position to show: the resume point while a new URL loads (the element reports 0 then). */
	position = $derived(this.#resume ? this.#resume.position : this.currentTime);
	/** Track length: the element's once known, else the library's. */
	length = $derived(
		Number.isFinite(this.duration) && this.duration > 0 ? this.duration : (this.track?.durationSeconds ?? 0)
	);
	/** Playing, or about to (loading with the intent to play). */
	isPlaying = $derived(this.status === 'loading' || this.#resume ? this.#wantsPlay : !this.paused);
	isLoading = $derived(this.status === 'loading');

	readonly #api: TonearmApi;
	readonly #guard = new RemintGuard();
	#expiresAtMs = 0;
	#mintSeq = 0;
	#startSeq = 0;
	#lastTime = 0;
	#order: number[] | null = null;
	/** The current track came from up next: Previous goes back to the queue's current one. */
	#fromUpNext = false;
	#now: () => number;

	constructor(api: TonearmApi = new TonearmApi(), now: () => number = Date.now) {
		this.#api = api;
		this.#now = now;
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
		const position = this.audio?.ended ? 0 : this.currentTime;
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
		// Just move the playhead: the browser asks the server for the bytes it needs (Range).
		this.currentTime = target;
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
			// Repeat one.
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
		const position = this.#resume?.position ?? this.currentTime;
		this.#mintSeq += 1; // a mint still in flight is no longer wanted
		this.#resume = null;
		this.#wantsPlay = false;
		this.#guard.reset();
		this.#releaseElement();
		this.#expiresAtMs = 0; // forces a fresh URL before playing again
		this.buffered = [];
		this.currentTime = position;
		this.src = undefined;
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
		this.currentTime = 0;
		this.duration = Number.NaN;
	}

	// --- <audio> events ------------------------------------------------------------------

	onLoadedMetadata(): void {
		const resume = this.#resume;
		if (!resume) return;
		// Set the element directly: its timeupdate then updates the bound `currentTime`.
		if (resume.position > 0 && this.audio) this.audio.currentTime = resume.position;
		this.#resume = null;
		this.status = 'ready';
		if (resume.play) this.#playElement();
	}

	onTimeUpdate(): void {
		const audio = this.audio;
		// readyState 0: the element is (re)loading and reports 0, not a real position.
		if (!audio || this.#resume || audio.readyState === HAVE_NOTHING) return;
		this.#lastTime = audio.currentTime;
		if (this.#guard.onTimeUpdate(audio.currentTime, !audio.paused) && this.status === 'error') {
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
		if (decision.action === 'give-up') {
			this.#fail(decision.message);
			return;
		}
		const position = this.#resume?.position ?? (audio.currentTime > 0 ? audio.currentTime : this.#lastTime);
		void this.#mint(position, this.#resume?.play ?? this.#wantsPlay);
	}

	// --- internals -----------------------------------------------------------------------

	async #start(index: number, play: boolean): Promise<void> {
		const track = this.queue?.tracks[index];
		if (!track) return;
		this.#fromUpNext = false;
		await this.#startTrack(track, index, play);
	}

	/** Start `track`, which is at `index` of the queue (or, from up next, comes after it). */
	async #startTrack(track: Track, index: number, play: boolean): Promise<void> {
		const seq = ++this.#startSeq;
		// The URL came with the track list: nothing stands between the click and the first byte.
		const ready = usablePremintedUrl(track.streamUrl, this.#now());
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
		this.#lastTime = 0;
		this.currentTime = 0;
		this.duration = Number.NaN;
		this.#wantsPlay = play;
		if (!ready) {
			await this.#mint(0, play);
			return;
		}
		this.#mintSeq += 1; // a mint still in flight is for another track
		this.#beginLoad(0, play);
		this.#useUrl(ready, 0);
	}

	/** Get a fresh stream URL for the current track and continue at `position`. */
	async #mint(position: number, play: boolean): Promise<void> {
		const track = this.track;
		if (!track) return;
		const seq = ++this.#mintSeq;
		this.#beginLoad(position, play);
		let result;
		try {
			result = await this.#api.createStreamUrl(track.id);
		} catch (error) {
			if (seq === this.#mintSeq) this.#fail(describeError(error));
			return;
		}
		if (seq !== this.#mintSeq) return; // another track was chosen meanwhile
		if (result.kind === 'not-found') {
			this.#fail(`“${track.title}” is no longer in the library. Rescan the library, then reload.`);
			return;
		}
		this.#useUrl(result, position);
	}

	/** From here until `loadedmetadata`, the player shows `position` and remembers the intent. */
	#beginLoad(position: number, play: boolean): void {
		this.status = 'loading';
		this.error = null;
		this.#wantsPlay = play;
		this.#resume = { position, play };
	}

	/** Hand the element `url` for the current track, to continue at `position`. */
	#useUrl(url: StreamUrl, position: number): void {
		this.#expiresAtMs = Date.parse(url.expiresAt);
		this.#guard.resumingAt(position);
		const reload = this.src === url.url;
		this.src = url.url;
		const audio = this.audio;
		if (!audio) return;
		// Set on the element here, not through a `src` attribute in the template: that would
		// reach it only once Svelte has re-rendered, and play() must come after it.
		if (reload) audio.load();
		else if (audio.getAttribute('src') !== url.url) audio.src = url.url; // not handed over yet
		// From the start there is nothing to seek to once metadata is in: ask for playback now,
		// in the same task as the click (as a plain page does), not a metadata round trip later.
		if (position === 0 && this.#resume?.play) this.#playElement();
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
			position,
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
