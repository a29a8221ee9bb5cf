import { describe, expect, it } from 'vitest';
import {
	ClockFilter,
	FAST_INTERVAL_MS,
	monotonicClock,
	nextSampleDelay,
	sampleOf,
	SAMPLE_WINDOW,
	ServerClock,
	SLOW_INTERVAL_MS,
	type ServerTimeAnswer
} from './clock';

const HOURS = 3_600_000;

/**
 * A simulated network and server: the server's clock is `skewMs` ahead of the client's, the
 * request takes `upMs`, the server `processMs`, the answer `downMs`. Time advances only
 * through `clientNow`, which the clock under test reads.
 */
function simulation(skewMs: number) {
	let clientNow = 1_700_000_000_000;
	const delays: { upMs: number; downMs: number; processMs?: number }[] = [];
	const ask = async (clientSentAt: number): Promise<ServerTimeAnswer> => {
		const { upMs, downMs, processMs = 1 } = delays.shift() ?? { upMs: 10, downMs: 10 };
		clientNow += upMs;
		const serverReceivedAt = clientNow + skewMs;
		clientNow += processMs;
		const serverSentAt = clientNow + skewMs;
		clientNow += downMs;
		return { clientSentAt, serverReceivedAt, serverSentAt };
	};
	return {
		ask,
		delays,
		now: () => clientNow,
		advance: (ms: number) => {
			clientNow += ms;
		}
	};
}

describe('sampleOf', () => {
	it('is exact with symmetric delays', () => {
		// client 0 → server receives at 1000+50, sends at 1000+52 → client at 102
		const sample = sampleOf({ clientSentAt: 0, serverReceivedAt: 1050, serverSentAt: 1052 }, 102);
		expect(sample).toEqual({ offsetMs: 1000, roundTripMs: 100, at: 102 });
	});

	it('errs by half the asymmetry, within half the round trip', () => {
		// up 80 ms, down 20 ms, server 1000 ahead: offset reads 1030
		const sample = sampleOf({ clientSentAt: 0, serverReceivedAt: 1080, serverSentAt: 1080 }, 100);
		expect(sample.offsetMs).toBe(1030);
		expect(sample.roundTripMs).toBe(100);
		expect(Math.abs(sample.offsetMs - 1000)).toBeLessThanOrEqual(sample.roundTripMs / 2);
	});

	it('clamps a negative round trip to 0', () => {
		expect(sampleOf({ clientSentAt: 0, serverReceivedAt: 10, serverSentAt: 50 }, 20).roundTripMs).toBe(0);
	});
});

describe('ClockFilter', () => {
	it('keeps the sample with the smallest round trip of the last eight', () => {
		const filter = new ClockFilter();
		filter.add({ offsetMs: 5, roundTripMs: 2, at: 0 });
		for (let i = 1; i <= SAMPLE_WINDOW - 1; i++) filter.add({ offsetMs: 100 + i, roundTripMs: 40 + i, at: i });
		expect(filter.best?.offsetMs).toBe(5);
		filter.add({ offsetMs: 200, roundTripMs: 45, at: 99 }); // pushes the best one out
		expect(filter.size).toBe(SAMPLE_WINDOW);
		expect(filter.best?.offsetMs).toBe(101);
	});

	it('ignores samples that are not numbers', () => {
		const filter = new ClockFilter();
		filter.add({ offsetMs: Number.NaN, roundTripMs: 1, at: 0 });
		expect(filter.best).toBeNull();
	});
});

describe('nextSampleDelay', () => {
	it('samples every 2 s for the first 20 s, then every minute', () => {
		expect(nextSampleDelay(0)).toBe(FAST_INTERVAL_MS);
		expect(nextSampleDelay(19_999)).toBe(FAST_INTERVAL_MS);
		expect(nextSampleDelay(20_000)).toBe(SLOW_INTERVAL_MS);
	});
});

describe('monotonicClock', () => {
	it('anchors to the wall clock once and then ignores its jumps', () => {
		let perf = 1000;
		let wall = 5_000_000;
		const now = monotonicClock({ now: () => perf }, { now: () => wall });
		expect(now()).toBe(5_000_000);
		perf += 250;
		wall -= 2 * HOURS; // the user sets the clock back two hours
		expect(now()).toBe(5_000_250);
	});
});

describe('ServerClock', () => {
	it('finds a server clock hours ahead', async () => {
		const sim = simulation(5 * HOURS + 123);
		const clock = new ServerClock(sim.ask, { now: sim.now });
		expect(clock.serverNow()).toBeNull();
		expect(await clock.sample()).toBe(true);
		expect(clock.offsetMs).toBeCloseTo(5 * HOURS + 123, 6);
		expect(clock.serverNow()).toBeCloseTo(sim.now() + 5 * HOURS + 123, 6);
	});

	it('finds a server clock hours behind', async () => {
		const sim = simulation(-7 * HOURS);
		const clock = new ServerClock(sim.ask, { now: sim.now });
		await clock.sample();
		expect(clock.offsetMs).toBeCloseTo(-7 * HOURS, 6);
	});

	it('prefers the fast exchange when delays are asymmetric', async () => {
		const sim = simulation(2 * HOURS);
		sim.delays.push(
			{ upMs: 300, downMs: 20 }, // slow and lopsided: errs by 140 ms
			{ upMs: 6, downMs: 4 }, // quick: errs by 1 ms
			{ upMs: 20, downMs: 200 }
		);
		const clock = new ServerClock(sim.ask, { now: sim.now });
		await clock.sample();
		expect(Math.abs((clock.offsetMs ?? 0) - 2 * HOURS)).toBeCloseTo(140, 6);
		await clock.sample();
		await clock.sample();
		expect(Math.abs((clock.offsetMs ?? 0) - 2 * HOURS)).toBeCloseTo(1, 6);
		expect(clock.roundTripMs).toBe(10);
	});

	it('skips a failed exchange and an answer to another question', async () => {
		const sim = simulation(0);
		let fail = true;
		const clock = new ServerClock(
			async (sentAt) => {
				if (fail) throw new Error('offline');
				const answer = await sim.ask(sentAt);
				return { ...answer, clientSentAt: sentAt - 1 };
			},
			{ now: sim.now }
		);
		expect(await clock.sample()).toBe(false);
		fail = false;
		expect(await clock.sample()).toBe(false);
		expect(clock.synced).toBe(false);
	});

	it('resamples on the schedule until stopped', async () => {
		const sim = simulation(1000);
		const timers: { callback: () => void; ms: number }[] = [];
		const clock = new ServerClock(sim.ask, {
			now: sim.now,
			setTimeout: (callback, ms) => timers.push({ callback, ms }),
			clearTimeout: () => undefined
		});
		clock.start();
		await Promise.resolve();
		await Promise.resolve();
		const waits: number[] = [];
		for (let i = 0; i < 12; i++) {
			const timer = timers.shift();
			if (!timer) break;
			waits.push(timer.ms);
			sim.advance(timer.ms);
			timer.callback();
			await Promise.resolve();
			await Promise.resolve();
		}
		expect(waits.slice(0, 10)).toEqual(Array(10).fill(FAST_INTERVAL_MS));
		expect(waits[10]).toBe(SLOW_INTERVAL_MS);
		clock.stop();
		const pending = timers.shift();
		pending?.callback();
		await Promise.resolve();
		await Promise.resolve();
		expect(timers).toEqual([]);
	});
});
