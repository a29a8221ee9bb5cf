/**
 * The server's clock as this browser estimates it, by the NTP method over `serverTime`.
 *
 * One exchange: the client notes `clientSentAt`, the server answers with the moments it
 * received the request and sent its answer, and the client notes `clientReceivedAt`. Then
 *
 *     offset     = ((serverReceivedAt - clientSentAt) + (serverSentAt - clientReceivedAt)) / 2
 *     round trip = (clientReceivedAt - clientSentAt) - (serverSentAt - serverReceivedAt)
 *
 * The offset is exact when both legs take as long; an asymmetry of d ms errs by d/2, and it
 * is bounded by half the round trip. So of the last eight samples the one with the smallest
 * round trip is kept: it is the one whose error can be smallest. Samples come every 2 s for
 * the first 20 s, then every 60 s.
 *
 * Client times are not `Date.now()`: a wall clock hours off does not matter (it cancels in
 * the offset), but one that jumps (NTP step, the user changing it, a laptop waking) would
 * make every sample and every derived position wrong at once. `monotonicNow` reads
 * `performance.now()` anchored to `Date.now()` once, so it never jumps.
 */

/** What `serverTime(clientSentAt)` answers (server ms since the epoch; `clientSentAt` echoed). */
export interface ServerTimeAnswer {
	clientSentAt: number;
	serverReceivedAt: number;
	serverSentAt: number;
}

/** One exchange, reduced: how far the server's clock is ahead of ours, and the round trip. */
export interface ClockSample {
	offsetMs: number;
	roundTripMs: number;
	/** Our (monotonic) time at which the answer came. */
	at: number;
}

/** How many samples are kept; the one with the smallest round trip wins. */
export const SAMPLE_WINDOW = 8;
/** Resampling: every FAST_INTERVAL_MS for the first FAST_PERIOD_MS, then every SLOW_INTERVAL_MS. */
export const FAST_INTERVAL_MS = 2_000;
export const FAST_PERIOD_MS = 20_000;
export const SLOW_INTERVAL_MS = 60_000;

export type Now = () => number;

/**
 * A client clock in ms since the epoch that never jumps: `Date.now()` read once, then the
 * monotonic `performance.now()`. A wrong wall clock only shifts it, which the offset absorbs.
 */
export function monotonicClock(perf: { now(): number } = globalThis.performance, wall: { now(): number } = Date): Now {
	const anchor = wall.now() - perf.now();
	return () => anchor + perf.now();
}

/** The NTP arithmetic of one exchange. A negative round trip (a server clock step) is clamped to 0. */
export function sampleOf(answer: ServerTimeAnswer, clientReceivedAt: number): ClockSample {
	const { clientSentAt, serverReceivedAt, serverSentAt } = answer;
	const offsetMs = (serverReceivedAt - clientSentAt + (serverSentAt - clientReceivedAt)) / 2;
	const roundTripMs = Math.max(0, clientReceivedAt - clientSentAt - (serverSentAt - serverReceivedAt));
	return { offsetMs, roundTripMs, at: clientReceivedAt };
}

/** The wait before the next sample, given how long the clock has been sampling. */
export function nextSampleDelay(sinceStartMs: number): number {
	return sinceStartMs < FAST_PERIOD_MS ? FAST_INTERVAL_MS : SLOW_INTERVAL_MS;
}

/** The last SAMPLE_WINDOW samples and the best of them (pure; no timers). */
export class ClockFilter {
	readonly #samples: ClockSample[] = [];

	add(sample: ClockSample): void {
		if (!Number.isFinite(sample.offsetMs) || !Number.isFinite(sample.roundTripMs)) return;
		this.#samples.push(sample);
		if (this.#samples.length > SAMPLE_WINDOW) this.#samples.shift();
	}

	/** The sample with the smallest round trip (the newest of equals), or null before any. */
	get best(): ClockSample | null {
		let best: ClockSample | null = null;
		for (const sample of this.#samples) {
			if (!best || sample.roundTripMs <= best.roundTripMs) best = sample;
		}
		return best;
	}

	get size(): number {
		return this.#samples.length;
	}
}

/** Ask the server for its time, as `serverTime(clientSentAt)`. */
export type AskServerTime = (clientSentAt: number) => Promise<ServerTimeAnswer>;

export interface ServerClockOptions {
	now?: Now;
	setTimeout?: (callback: () => void, ms: number) => unknown;
	clearTimeout?: (handle: unknown) => void;
	/** Called after every sample that was kept (for a UI that shows the offset). */
	onSample?: (clock: ServerClock) => void;
}

/**
 * The server clock estimate with its resampling schedule. `serverNow()` is null until the
 * first answer; a failed exchange is skipped (the next one is on schedule).
 */
export class ServerClock {
	readonly now: Now;
	readonly #ask: AskServerTime;
	readonly #filter = new ClockFilter();
	readonly #setTimeout: NonNullable<ServerClockOptions['setTimeout']>;
	readonly #clearTimeout: NonNullable<ServerClockOptions['clearTimeout']>;
	readonly #onSample: ServerClockOptions['onSample'];
	#startedAt: number | null = null;
	#timer: unknown = null;
	#running = false;

	constructor(ask: AskServerTime, options: ServerClockOptions = {}) {
		this.#ask = ask;
		this.now = options.now ?? monotonicClock();
		this.#setTimeout = options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
		this.#clearTimeout =
			options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>));
		this.#onSample = options.onSample;
	}

	/** The offset in ms to add to our clock to read the server's (null before the first sample). */
	get offsetMs(): number | null {
		return this.#filter.best?.offsetMs ?? null;
	}

	/** The round trip of the sample in use (what `reportReady` reports). */
	get roundTripMs(): number | null {
		return this.#filter.best?.roundTripMs ?? null;
	}

	get synced(): boolean {
		return this.#filter.size > 0;
	}

	/** The server's time now, in ms since the epoch, or null before the first sample. */
	serverNow(): number | null {
		const offset = this.offsetMs;
		return offset === null ? null : this.now() + offset;
	}

	/** Take one sample now. Resolves true when it was kept. */
	async sample(): Promise<boolean> {
		const sentAt = this.now();
		let answer: ServerTimeAnswer;
		try {
			answer = await this.#ask(sentAt);
		} catch {
			return false;
		}
		const receivedAt = this.now();
		// The server echoes clientSentAt; anything else is not the answer to this question.
		if (answer.clientSentAt !== sentAt) return false;
		this.#filter.add(sampleOf(answer, receivedAt));
		this.#onSample?.(this);
		return true;
	}

	/** Sample now and then on the schedule, until `stop()`. */
	start(): void {
		if (this.#running) return;
		this.#running = true;
		this.#startedAt = this.now();
		void this.#tick();
	}

	stop(): void {
		this.#running = false;
		if (this.#timer !== null) this.#clearTimeout(this.#timer);
		this.#timer = null;
	}

	async #tick(): Promise<void> {
		await this.sample();
		if (!this.#running) return;
		const delay = nextSampleDelay(this.now() - (this.#startedAt ?? this.now()));
		this.#timer = this.#setTimeout(() => void this.#tick(), delay);
	}
}
