/**
 * Pure rules of following the session's playback: where the track should be now, and what
 * the `<audio>` element must do to be there. No playback-rate tricks (they sound bad on
 * music): a member more than the threshold off the expected position seeks.
 *
 * The server's state is a position at a server time (`updatedAt`, ms since the epoch) and
 * a status. While PLAYING the position moves at rate 1 from `updatedAt` on; `updatedAt`
 * may lie ahead (the scheduled start after WAITING), and until then the member waits,
 * paused at `positionSeconds`. While PAUSED or WAITING the position holds still.
 */

export type PlaybackStatus = 'PAUSED' | 'WAITING' | 'PLAYING';

/** The fields of `SessionPlayback` the rules read. */
export interface PlaybackTiming {
	status: PlaybackStatus;
	positionSeconds: number;
	updatedAt: number;
}

/** What the element says about itself. */
export interface AudioReading {
	currentTime: number;
	paused: boolean;
	/** A seek is under way (the element's `seeking`). */
	seeking: boolean;
	/** The track's length in seconds, when known. */
	durationSeconds: number | null;
}

/**
 * Off by more than this, a playing member seeks. Seeks into buffered audio in Chromium land
 * within about 10 ms once the seek lead has been learnt (see `learnSeekLead`), and a reading
 * of `currentTime` jitters by a few ms, so 50 ms leaves room below the 100 ms target
 * without seeking over and over (measured in e2e/listen.spec.ts).
 */
export const DRIFT_THRESHOLD_MS = 50;
/** A paused member this far from the held position seeks there (silently; no hurry). */
export const HOLD_THRESHOLD_MS = 20;
/** A scheduled start this close is a start now. */
export const START_NOW_MS = 15;
/** The first guess of how long a seek takes before playback goes on from the target. */
export const INITIAL_SEEK_LEAD_MS = 30;
export const MAX_SEEK_LEAD_MS = 500;

/** The position (s) the track should be at, at server time `serverNow` (ms). Before a scheduled start it is below `positionSeconds`. */
export function expectedPosition(playback: PlaybackTiming, serverNow: number): number {
	if (playback.status !== 'PLAYING') return playback.positionSeconds;
	return playback.positionSeconds + (serverNow - playback.updatedAt) / 1000;
}

/** How long (ms) until a scheduled start; 0 when it has passed or nothing is scheduled. */
export function startDelayMs(playback: PlaybackTiming, serverNow: number): number {
	if (playback.status !== 'PLAYING') return 0;
	return Math.max(0, playback.updatedAt - serverNow);
}

/** How far (ms) the element is ahead (+) or behind (-) the expected position. */
export function driftMs(playback: PlaybackTiming, serverNow: number, currentTime: number): number {
	return (currentTime - expectedPosition(playback, serverNow)) * 1000;
}

export type SyncAction =
	/** Be paused at `position` (PAUSED, WAITING); `seek` when the element is elsewhere. */
	| { kind: 'hold'; position: number; seek: boolean }
	/** A start is scheduled in `inMs`: be paused at `position` until then. */
	| { kind: 'start-at'; position: number; inMs: number; seek: boolean }
	/** Should be playing and is not: start, from `seekTo` when it is elsewhere. */
	| { kind: 'play'; seekTo: number | null }
	/** Playing, off by `driftMs`: seek to `seekTo`. */
	| { kind: 'seek'; seekTo: number; driftMs: number }
	/** Playing within the threshold. */
	| { kind: 'in-sync'; driftMs: number }
	/** A seek is under way: leave it alone. */
	| { kind: 'seeking' }
	/** The expected position is past the end of the track: the server moves on by itself. */
	| { kind: 'ended' };

export interface SyncOptions {
	thresholdMs?: number;
	/** Seek this far (ms) past the target, for the time the seek itself takes. */
	seekLeadMs?: number;
}

/** What the element must do now to follow `playback`. */
export function decide(
	playback: PlaybackTiming,
	serverNow: number,
	audio: AudioReading,
	{ thresholdMs = DRIFT_THRESHOLD_MS, seekLeadMs = INITIAL_SEEK_LEAD_MS }: SyncOptions = {}
): SyncAction {
	const offBy = (position: number, limitMs: number) => Math.abs(audio.currentTime - position) * 1000 > limitMs;
	if (playback.status !== 'PLAYING') {
		const position = playback.positionSeconds;
		return { kind: 'hold', position, seek: offBy(position, HOLD_THRESHOLD_MS) };
	}
	const delay = startDelayMs(playback, serverNow);
	if (delay > START_NOW_MS) {
		const position = playback.positionSeconds;
		return { kind: 'start-at', position, inMs: delay, seek: offBy(position, HOLD_THRESHOLD_MS) };
	}
	const expected = expectedPosition(playback, serverNow);
	if (audio.durationSeconds !== null && expected >= audio.durationSeconds) return { kind: 'ended' };
	if (audio.seeking) return { kind: 'seeking' };
	const target = Math.max(0, expected + seekLeadMs / 1000);
	if (audio.paused) return { kind: 'play', seekTo: offBy(expected, thresholdMs) ? target : null };
	const drift = (audio.currentTime - expected) * 1000;
	if (Math.abs(drift) > thresholdMs) return { kind: 'seek', seekTo: target, driftMs: drift };
	return { kind: 'in-sync', driftMs: drift };
}

/**
 * The next seek lead, from the drift measured once a correcting seek settled: a seek that
 * landed `residualMs` ahead used too much lead, one that landed behind too little. Half the
 * error each time, so one odd reading cannot throw it off.
 */
export function learnSeekLead(leadMs: number, residualMs: number): number {
	return Math.min(MAX_SEEK_LEAD_MS, Math.max(0, leadMs - residualMs / 2));
}

export type SyncState = 'IN_SYNC' | 'CATCHING_UP';

/** What a member reports (`reportSyncState`): in sync when playing within the threshold or holding still where it should. */
export function syncStateOf(action: SyncAction): SyncState {
	switch (action.kind) {
		case 'in-sync':
		case 'ended':
			return 'IN_SYNC';
		case 'hold':
		case 'start-at':
			return action.seek ? 'CATCHING_UP' : 'IN_SYNC';
		default:
			return 'CATCHING_UP';
	}
}

/** Values of a distribution (drift samples), for the test report and the member's own view. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank] as number;
}
