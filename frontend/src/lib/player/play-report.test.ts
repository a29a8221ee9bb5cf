import { describe, expect, it } from 'vitest';
import { ListenTracker, PLAY_RULE_CAP_SECONDS, playThreshold } from './play-report';

/** A tracker on a fake wall clock, and a way to play `seconds` in 250 ms time updates. */
function tracker(durationSeconds: number) {
	let wall = 1_800_000_000_000;
	const t = new ListenTracker('track-1', durationSeconds, () => wall);
	let time = 0;
	const reports: ReturnType<ListenTracker['tick']>[] = [];
	return {
		t,
		reports,
		play(seconds: number) {
			for (let i = 0; i < seconds * 4; i++) {
				wall += 250;
				time += 0.25;
				const report = t.tick(time, true);
				if (report) reports.push(report);
			}
		},
		seek(to: number, playing = true) {
			wall += 50;
			time = to;
			const report = t.tick(time, playing);
			if (report) reports.push(report);
		},
		pause(seconds: number) {
			for (let i = 0; i < seconds * 4; i++) {
				wall += 250;
				t.tick(time, false);
			}
		},
		get wall() {
			return wall;
		}
	};
}

describe('playThreshold', () => {
	it('is half the track, at most four minutes', () => {
		expect(playThreshold(28)).toBe(14);
		expect(playThreshold(300)).toBe(150);
		expect(playThreshold(480)).toBe(240);
		expect(playThreshold(3600)).toBe(PLAY_RULE_CAP_SECONDS);
	});
});

describe('ListenTracker', () => {
	it('reports once when the listened time reaches half the track', () => {
		const s = tracker(28);
		const begun = s.wall;
		s.play(13.5);
		expect(s.reports).toEqual([]);
		s.play(1);
		expect(s.reports).toHaveLength(1);
		expect(s.reports[0]).toMatchObject({ trackId: 'track-1' });
		expect(s.reports[0]!.playedSeconds).toBeGreaterThanOrEqual(14);
		expect(s.reports[0]!.playedSeconds).toBeLessThan(14.5);
		expect(s.reports[0]!.startedAt.getTime()).toBe(begun + 250);
		s.play(10);
		expect(s.reports).toHaveLength(1); // not again for the same play
		expect(s.t.reported).toBe(true);
	});

	it('does not count a seek forward as listening', () => {
		const s = tracker(28);
		s.play(2);
		s.seek(20);
		expect(s.reports).toEqual([]);
		expect(s.t.listened).toBeLessThan(2);
		s.play(7); // to 27 s on the clock, 9 s heard
		expect(s.reports).toEqual([]);
		expect(s.t.listened).toBeCloseTo(8.75, 5);
	});

	it('counts seconds heard again after a seek back', () => {
		const s = tracker(28);
		s.play(8);
		s.seek(0);
		s.play(7);
		expect(s.reports).toHaveLength(1);
	});

	it('adds nothing while paused, and goes on from there', () => {
		const s = tracker(28);
		s.play(10);
		s.pause(60);
		expect(s.t.listened).toBeCloseTo(9.75, 5);
		s.play(5);
		expect(s.reports).toHaveLength(1);
	});

	it('counts a long track from four minutes', () => {
		const s = tracker(600);
		s.play(239);
		expect(s.reports).toEqual([]);
		s.play(1.5);
		expect(s.reports).toHaveLength(1);
	});

	it('never reports a track without a length', () => {
		const s = tracker(0);
		s.play(30);
		expect(s.reports).toEqual([]);
	});
});
