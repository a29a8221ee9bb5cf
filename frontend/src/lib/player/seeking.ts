/**
 * Seeking while a variant is still being made (its first play). The server then answers the
 * stream URL with `200`, no `Content-Length`, `Accept-Ranges: none` and the encoder's output
 * as it is written; `HEAD` says whether the variant is complete yet; `&start=<seconds>`
 * streams the encoding from a time offset. These pure rules pick how to reach a seek target;
 * see seeking.test.ts.
 *
 * What Chromium (156, Debian) does with such a response, measured with a throttled server
 * sending Ogg Opus and MP3 at 20–50× real time (not guessed; the design rests on it):
 *  1. The resource counts as streaming. `seekable` is `[0, duration]` only when the duration
 *     is infinite — Ogg Opus from an encoder has no duration, so it is `[0, ∞]` — and is
 *     `[0, 0]` when the stream carries a finite one (an MP3 with a Xing header): then every
 *     seek, even into buffered audio, snaps to 0. So native seeking needs the target inside
 *     `seekable`, checked, never assumed.
 *  2. With `[0, ∞]`, a seek past what has arrived keeps `seeking` true (`currentTime` already
 *     reports the target) and is served by reading on in the same response: no new request;
 *     it completes when the encoder's output reaches the target (at 50× real time a target
 *     200 s ahead took ~8 s). Fine for a near target, far too slow for a far one: there the
 *     time offset is used.
 *  3. `buffered` lists only what has been demuxed (~3 s ahead of the playhead), not what has
 *     been downloaded, so it cannot tell how far the stream has got. The player estimates
 *     that from the time since the request and a conservative encoder speed.
 *  4. What arrived stays in the media cache while it is small (a 2.7 MB response was kept
 *     whole: seeking back was instant, no request). A larger one (12 MB) is evicted from the
 *     start; seeking back then sends `Range: bytes=N-`, and the server's `200` from byte 0 is
 *     accepted (Chromium reads from 0 up to N again): slow but correct.
 *  5. Nothing of this makes the element report a time of 0 before the seek completes — except
 *     case 1's snap, and loading a new URL (the player shows its own position meanwhile).
 */
import type { TimeRange } from './stream-url';

export type SeekAction =
	/** Set `currentTime`: the audio is there, or the browser fetches it by Range. */
	| 'native'
	/** The variant is complete now: load the plain URL again and seek (Range, 206). */
	| 'reload'
	/** The target is about to arrive in the running response: seek natively and wait. */
	| 'wait'
	/** Far ahead (or behind an offset stream's start): stream from the target (`&start=`). */
	| 'offset';

export interface SeekSituation {
	/** Where to go, in track time. */
	target: number;
	/** Track time at the element's time 0 (the `start` of an offset stream, else 0). */
	base: number;
	/** The element's `buffered` ranges (element time). */
	buffered: readonly TimeRange[];
	/** The element's `seekable` ranges (element time). */
	seekable: readonly TimeRange[];
	/** The element's source answers Range requests (an original, or a variant loaded complete). */
	ranged: boolean;
	/** The variant is known to be complete now (`HEAD`: `Accept-Ranges: bytes`). */
	complete: boolean;
	/** Track time up to which the running response has most likely delivered the audio. */
	arrivedUntil: number;
}

/** A target at most this far past the estimated arrival is waited for (about a second). */
export const NEAR_SECONDS = 20;

/**
 * Encoder speed assumed for the estimate of what has arrived, in seconds of audio per second:
 * well under the 50–100× the server's encoder runs at, so the estimate errs on the short side.
 */
export const ASSUMED_ENCODER_SPEED = 20;

/** A target this close to the start loads the plain URL (which starts there anyway). */
export const RESTART_SECONDS = 1;

/** A `wait` that has not completed after this long is given up for the time offset. */
export const WAIT_LIMIT_MS = 1_500;

/** Whether `t` lies inside one of `ranges` (`end` exclusive, with a margin before it). */
export function inRanges(t: number, ranges: readonly TimeRange[], margin = 0.25): boolean {
	return ranges.some((r) => t >= r.start && (r.end === Number.POSITIVE_INFINITY || t < r.end - margin));
}

export function seekAction(s: SeekSituation): SeekAction {
	const t = s.target - s.base;
	if (t >= 0 && s.ranged) return 'native';
	const seekable = t >= 0 && inRanges(t, s.seekable, 0);
	if (seekable && inRanges(t, s.buffered)) return 'native';
	// Back to the start (or a variant complete by now): the plain URL again.
	if (s.complete || s.target < RESTART_SECONDS) return 'reload';
	if (seekable && s.target <= s.arrivedUntil + NEAR_SECONDS) return 'wait';
	return 'offset';
}

/**
 * Track time up to which a response started `elapsedMs` ago at track time `base` has most
 * likely delivered the audio: the larger of what the element has demuxed and what a slow
 * encoder would have sent by now.
 */
export function arrivedUntil(opts: { base: number; elapsedMs: number; buffered: readonly TimeRange[] }): number {
	const demuxed = Math.max(0, ...opts.buffered.map((r) => r.end));
	const sent = (Math.max(0, opts.elapsedMs) / 1000) * ASSUMED_ENCODER_SPEED;
	return opts.base + Math.max(demuxed, sent);
}

/** The time the player shows: an offset stream's element counts from its `start`. */
export function trackTime(base: number, elementTime: number): number {
	return base + elementTime;
}

/** The stream URL that starts at `seconds` into the track (the server's time offset). */
export function offsetUrl(url: string, seconds: number): string {
	const start = Math.max(0, Math.round(seconds * 1000) / 1000);
	return `${url}${url.includes('?') ? '&' : '?'}start=${start}`;
}

/** What a `HEAD` on a stream URL says about it. */
export type StreamProbe =
	/** Complete: plain Range requests work. */
	| 'complete'
	/** Still being made: `200` from byte 0 only, no length. */
	| 'encoding'
	/** The URL is no longer accepted (expired token): mint a new one. */
	| 'refused'
	/** The variant failed (`503`) or the encoders are busy (`429`): play the original. */
	| 'unavailable'
	/** No answer, or one that says nothing (treated as not complete). */
	| 'unknown';

export function readProbe(status: number, headers: { get(name: string): string | null }): StreamProbe {
	if (status === 401 || status === 403 || status === 404) return 'refused';
	if (status === 429 || status === 503) return 'unavailable';
	if (status !== 200) return 'unknown';
	const ranges = headers.get('accept-ranges')?.toLowerCase();
	if (headers.get('x-tonearm-variant')?.toLowerCase() === 'encoding' || ranges === 'none') return 'encoding';
	if (ranges === 'bytes' && headers.get('content-length') !== null) return 'complete';
	return 'unknown';
}

export type Prober = (url: string) => Promise<StreamProbe>;

/** `HEAD` the URL (it starts no encoder) and read the answer. */
export const probeStream: Prober = async (url) => {
	try {
		const response = await fetch(url, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin' });
		return readProbe(response.status, response.headers);
	} catch {
		return 'unknown';
	}
};
