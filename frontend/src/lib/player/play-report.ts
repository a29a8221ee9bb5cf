/**
 * When a play counts: the listened time of one play of a track (the sum of the stretches
 * actually played, not the distance a seek jumped) against the rule the server applies —
 * half the track or four minutes, whichever comes first (Last.fm's and ListenBrainz's). The
 * player reports each play once, when it reaches the rule (`recordPlay`).
 */

/** Four minutes: a play of a long track counts from here. */
export const PLAY_RULE_CAP_SECONDS = 240;

/** Seconds of listening after which a play of a track `durationSeconds` long counts. */
export function playThreshold(durationSeconds: number): number {
	return Math.min(durationSeconds / 2, PLAY_RULE_CAP_SECONDS);
}

/**
 * How much a clock step may exceed the wall time it took and still be playing (time updates
 * come every ~250 ms; a seek jumps further than that).
 */
const SLACK_SECONDS = 0.75;

/** What the tracker reports once the rule is reached. */
export interface ListenedPlay {
	trackId: string;
	playedSeconds: number;
	/** When the play began: the first moment the track played. */
	startedAt: Date;
}

/**
 * One play of one track. Feed it the element's time updates (`tick`); it adds each forward
 * step no longer than the wall time since the previous update (plus a little slack), so a
 * seek forward adds nothing and a seek back does not count the same seconds twice over
 * more than they were heard. `tick` answers the play the one time the rule is reached.
 */
export class ListenTracker {
	/** Seconds actually listened so far. */
	listened = 0;
	/** The play has been handed out for reporting (it is not handed out again). */
	reported = false;

	readonly trackId: string;
	readonly threshold: number;
	readonly #now: () => number;
	#lastTime: number | null = null;
	#lastWall = 0;
	#startedAt: number | null = null;

	constructor(trackId: string, durationSeconds: number, now: () => number = Date.now) {
		this.trackId = trackId;
		this.threshold = playThreshold(durationSeconds);
		this.#now = now;
	}

	/**
	 * The element's clock reads `time` (track seconds); `playing` says whether it is
	 * running. Returns the play when this step reaches the rule, else null.
	 */
	tick(time: number, playing: boolean): ListenedPlay | null {
		const wall = this.#now();
		const last = this.#lastTime;
		this.#lastTime = time;
		const elapsed = (wall - this.#lastWall) / 1000;
		this.#lastWall = wall;
		if (!playing || !Number.isFinite(time)) return null;
		this.#startedAt ??= wall;
		if (last === null) return null;
		const step = time - last;
		if (step > 0 && step <= elapsed + SLACK_SECONDS) this.listened += step;
		return this.#due();
	}

	#due(): ListenedPlay | null {
		if (this.reported || this.threshold <= 0 || this.listened + 1e-6 < this.threshold) return null;
		this.reported = true;
		return {
			trackId: this.trackId,
			playedSeconds: Math.round(this.listened * 1000) / 1000,
			startedAt: new Date(this.#startedAt ?? this.#now())
		};
	}
}
