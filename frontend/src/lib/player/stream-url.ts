/**
 * When to mint a new stream URL. Stream URLs are signed and short-lived: the server answers
 * 403 once one has expired, the `<audio>` element reports that as an `error`, and the player
 * mints a fresh URL and resumes where it was. Every track in a list arrives with a URL the
 * server minted with it (`Track.streamUrl`), so starting a track needs no request while that
 * URL has life left. These pure rules decide when to use it, when to mint and when to give
 * up; see stream-url.test.ts.
 */

/** Re-mint this long before `expiresAt`, to allow for clock skew and request latency. */
export const EXPIRY_MARGIN_MS = 1_000;

/** Give up after this many re-mints in a row that did not lead to playback progress. */
export const MAX_CONSECUTIVE_REMINTS = 2;

/** Playback has to advance this far past the resume point to count as a success. */
export const PROGRESS_SECONDS = 0.5;

/**
 * Start a track on the URL that came with it only while it has at least this long to live;
 * otherwise mint a fresh one first (the browser keeps fetching with it for a while).
 */
export const PREMINTED_MIN_LIFE_MS = 30_000;

export interface TimeRange {
	start: number;
	end: number;
}

export function isExpired(expiresAtMs: number, nowMs: number, marginMs = EXPIRY_MARGIN_MS): boolean {
	return !Number.isFinite(expiresAtMs) || nowMs >= expiresAtMs - marginMs;
}

/** The URL that came with the track, if it is there and lives long enough to start on. */
export function usablePremintedUrl<T extends { expiresAt: string }>(
	url: T | null | undefined,
	nowMs: number,
	minLifeMs = PREMINTED_MIN_LIFE_MS
): T | null {
	if (!url) return null;
	const expiresAtMs = Date.parse(url.expiresAt);
	return Number.isFinite(expiresAtMs) && expiresAtMs - nowMs >= minLifeMs ? url : null;
}

export function isBuffered(position: number, buffered: readonly TimeRange[]): boolean {
	return buffered.some((r) => position >= r.start && position < r.end - 0.25);
}

/**
 * Before a seek or a resume: mint a new URL first when the current one has expired and the
 * browser would need the network to continue (the target is not buffered). When it is
 * buffered we leave the element alone; if it later needs more data and gets a 403, the
 * `error` path re-mints.
 */
export function needsFreshUrl(opts: {
	expiresAtMs: number;
	nowMs: number;
	position: number;
	buffered: readonly TimeRange[];
}): boolean {
	return isExpired(opts.expiresAtMs, opts.nowMs) && !isBuffered(opts.position, opts.buffered);
}

/** `MediaError.code` values (HTMLMediaElement). */
export const MEDIA_ERR_ABORTED = 1;
export const MEDIA_ERR_NETWORK = 2;
export const MEDIA_ERR_DECODE = 3;
export const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

export type ErrorDecision =
	{ action: 'ignore' } | { action: 'remint'; attempt: number } | { action: 'give-up'; message: string };

/**
 * Counts re-mints in a row and decides what to do about the next media error.
 * A success (playback moving on from where it resumed) resets the count.
 */
export class RemintGuard {
	#attempts = 0;
	#resumeAt: number | null = null;

	constructor(readonly max = MAX_CONSECUTIVE_REMINTS) {}

	get attempts(): number {
		return this.#attempts;
	}

	/** A media `error` event happened with this `MediaError.code` (undefined if unknown). */
	onError(code: number | undefined): ErrorDecision {
		// Aborted fetches are the browser's own doing (e.g. switching src): nothing failed.
		if (code === MEDIA_ERR_ABORTED) return { action: 'ignore' };
		if (this.#attempts >= this.max) {
			return {
				action: 'give-up',
				message:
					code === MEDIA_ERR_DECODE
						? 'This file could not be decoded.'
						: 'The track could not be streamed. Check that the tonearm server is running, then press play to retry.'
			};
		}
		this.#attempts += 1;
		return { action: 'remint', attempt: this.#attempts };
	}

	/** Playback resumes from `position` on the new URL. */
	resumingAt(position: number): void {
		this.#resumeAt = position;
	}

	/** Feed every time update; returns true when it counted as progress and reset the count. */
	onTimeUpdate(currentTime: number, playing: boolean): boolean {
		if (this.#attempts === 0 || !playing) return false;
		const from = this.#resumeAt ?? 0;
		if (currentTime >= from + PROGRESS_SECONDS) {
			this.reset();
			return true;
		}
		return false;
	}

	/** A user action (choosing a track, pressing play) starts afresh. */
	reset(): void {
		this.#attempts = 0;
		this.#resumeAt = null;
	}
}
