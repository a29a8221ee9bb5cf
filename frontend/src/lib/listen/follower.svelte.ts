/**
 * Follower: makes one `<audio>` element play what the session plays, where it plays it.
 * Every TICK_MS it asks sync.ts what to do (hold, wait for a scheduled start, start, seek)
 * from the session's playback and the server clock, and does it. It mints the session's
 * stream URL per track (again when the stream is refused), reports ready while the session
 * is WAITING once the element can play at the held position, learns how long its seeks
 * take, and reports its sync state when it changes.
 */
import type { ListeningSession, MemberSyncState, SessionsApi } from '$lib/api/sessions';
import type { ServerClock } from './clock';
import { decide, INITIAL_SEEK_LEAD_MS, learnSeekLead, syncStateOf, type SyncAction } from './sync';

export const TICK_MS = 100;
/** After a correcting seek, readings this soon are not trusted (playback resuming). */
const SETTLE_MS = 400;

export class Follower {
	/** The last decision (for the member's own view). */
	action = $state.raw<SyncAction | null>(null);
	/** The element is ahead (+) or behind (-) the expected position, in ms (while playing). */
	drift = $state<number | null>(null);
	syncState = $state<MemberSyncState>('CATCHING_UP');
	muted = $state(false);
	/** The browser refused to start without a gesture: the page shows a button. */
	blocked = $state(false);
	notice = $state<string | null>(null);
	seekLeadMs = INITIAL_SEEK_LEAD_MS;

	readonly #api: SessionsApi;
	readonly #clock: ServerClock;
	readonly #session: () => ListeningSession | null;
	#audio: HTMLAudioElement | null = null;
	#timer: ReturnType<typeof setInterval> | null = null;
	#startTimer: ReturnType<typeof setTimeout> | null = null;
	#startFor: string | null = null;
	#trackId: string | null = null;
	#minting = false;
	#reportedEpoch = -1;
	#settleUntil = 0;
	#correcting = false;
	#reportedState: MemberSyncState | null = null;
	#stateSince = 0;

	constructor(api: SessionsApi, clock: ServerClock, session: () => ListeningSession | null) {
		this.#api = api;
		this.#clock = clock;
		this.#session = session;
	}

	attach(audio: HTMLAudioElement): () => void {
		this.#audio = audio;
		audio.muted = this.muted;
		const onerror = () => void this.#streamFailed();
		audio.addEventListener('error', onerror);
		this.#timer = setInterval(() => this.tick(), TICK_MS);
		return () => {
			audio.removeEventListener('error', onerror);
			this.detach();
		};
	}

	detach(): void {
		if (this.#timer) clearInterval(this.#timer);
		if (this.#startTimer) clearTimeout(this.#startTimer);
		this.#timer = null;
		this.#startTimer = null;
		this.#audio?.pause();
		this.#audio = null;
	}

	toggleMute(): void {
		this.muted = !this.muted;
		if (this.#audio) this.#audio.muted = this.muted;
	}

	/** A click on "Start listening" (autoplay was refused): a gesture, so play() may start. */
	unblock(): void {
		this.blocked = false;
		this.tick();
	}

	tick(): void {
		const audio = this.#audio;
		const session = this.#session();
		const playback = session?.playback;
		const serverNow = this.#clock.serverNow();
		if (!audio || !session || !playback || serverNow === null) return;
		if (session.status === 'ENDED' || !playback.trackId) {
			if (!audio.paused) audio.pause();
			return;
		}
		if (playback.trackId !== this.#trackId) {
			void this.#load(session.id, playback.trackId);
			return;
		}
		if (this.#minting || !audio.src) return;

		const duration = playback.track?.durationSeconds ?? (Number.isFinite(audio.duration) ? audio.duration : null);
		const action = decide(
			playback,
			serverNow,
			{ currentTime: audio.currentTime, paused: audio.paused, seeking: audio.seeking, durationSeconds: duration },
			{ seekLeadMs: this.seekLeadMs }
		);
		this.action = action;
		const now = this.#clock.now();
		switch (action.kind) {
			case 'hold':
			case 'start-at':
				if (!audio.paused) audio.pause();
				if (action.seek) audio.currentTime = action.position;
				this.drift = null;
				if (action.kind === 'start-at') this.#scheduleStart(playback.epoch, playback.updatedAt, action.inMs);
				break;
			case 'play':
				if (action.seekTo !== null) audio.currentTime = action.seekTo;
				this.#play(audio);
				this.#settleUntil = now + SETTLE_MS;
				this.#correcting = action.seekTo !== null;
				break;
			case 'seek':
				this.drift = action.driftMs;
				if (now < this.#settleUntil) break;
				audio.currentTime = action.seekTo;
				this.#settleUntil = now + SETTLE_MS;
				this.#correcting = true;
				break;
			case 'in-sync':
				this.drift = action.driftMs;
				if (this.#correcting && now >= this.#settleUntil) {
					this.seekLeadMs = learnSeekLead(this.seekLeadMs, action.driftMs);
					this.#correcting = false;
				}
				break;
			case 'ended':
				if (!audio.paused) audio.pause();
				break;
			case 'seeking':
				break;
		}

		if (playback.status === 'WAITING' && this.#reportedEpoch !== playback.epoch && this.#ready(audio)) {
			this.#reportedEpoch = playback.epoch;
			void this.#api.reportReady(session.id, playback.epoch, this.#clock.roundTripMs).catch(() => {
				this.#reportedEpoch = -1;
			});
		}
		this.#reportSyncState(session.id, syncStateOf(action), now);
	}

	/** Buffered at the held position: it can start the moment the schedule says. */
	#ready(audio: HTMLAudioElement): boolean {
		return !audio.seeking && audio.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA;
	}

	#scheduleStart(epoch: number, at: number, inMs: number): void {
		const key = `${epoch}:${at}`;
		if (this.#startFor === key) return;
		if (this.#startTimer) clearTimeout(this.#startTimer);
		this.#startFor = key;
		this.#startTimer = setTimeout(() => {
			this.#startTimer = null;
			this.tick();
		}, inMs);
	}

	#play(audio: HTMLAudioElement): void {
		if (this.blocked) return;
		audio.play().catch((error: unknown) => {
			if (error instanceof DOMException && error.name === 'NotAllowedError') this.blocked = true;
		});
	}

	async #load(sessionId: string, trackId: string): Promise<void> {
		if (this.#minting) return;
		this.#minting = true;
		this.#trackId = trackId;
		try {
			const stream = await this.#api.streamUrl(sessionId, trackId);
			const audio = this.#audio;
			if (audio && this.#trackId === trackId) {
				audio.src = stream.url;
				audio.load();
			}
			this.notice = null;
		} catch {
			this.#trackId = null; // try again on the next tick
			this.notice = 'Could not load the track; trying again…';
		} finally {
			this.#minting = false;
		}
	}

	/** The stream was refused (expired URL, or the track left the session): mint again. */
	async #streamFailed(): Promise<void> {
		const session = this.#session();
		if (!session?.playback.trackId || this.#minting) return;
		this.#trackId = null;
		await this.#load(session.id, session.playback.trackId);
	}

	#reportSyncState(sessionId: string, state: MemberSyncState, now: number): void {
		if (state !== this.syncState) {
			this.syncState = state;
			this.#stateSince = now;
		}
		// Stable for a second before telling everyone, so a correction does not flicker.
		if (state === this.#reportedState || now - this.#stateSince < 1000) return;
		this.#reportedState = state;
		const offset = this.drift === null ? null : Math.round(this.drift);
		void this.#api.reportSyncState(sessionId, state, offset).catch(() => {
			this.#reportedState = null;
		});
	}
}
