import { describe, expect, it } from 'vitest';
import {
	extendShuffleOrder,
	nextIndex,
	nextRepeatMode,
	previousIndex,
	previousRestartsTrack,
	shuffleOrder,
	shuffled,
	type QueuePosition
} from './queue';

const q = (over: Partial<QueuePosition>): QueuePosition => ({
	length: 5,
	current: 0,
	repeat: 'off',
	order: null,
	...over
});

/** Deterministic "random" numbers for shuffle tests. */
function seq(...values: number[]) {
	let i = 0;
	return () => values[i++ % values.length] ?? 0;
}

describe('nextIndex', () => {
	it('moves to the following track', () => {
		expect(nextIndex(q({ current: 1 }), false)).toBe(2);
		expect(nextIndex(q({ current: 1 }), true)).toBe(2);
	});

	it('stops at the end of the list when repeat is off', () => {
		expect(nextIndex(q({ current: 4 }), true)).toBeNull();
		expect(nextIndex(q({ current: 4 }), false)).toBeNull();
	});

	it('wraps to the start when repeating all', () => {
		expect(nextIndex(q({ current: 4, repeat: 'all' }), true)).toBe(0);
	});

	it('replays the same track on auto-advance when repeating one', () => {
		expect(nextIndex(q({ current: 2, repeat: 'one' }), true)).toBe(2);
	});

	it('still moves on when the user presses Next while repeating one', () => {
		expect(nextIndex(q({ current: 2, repeat: 'one' }), false)).toBe(3);
		expect(nextIndex(q({ current: 4, repeat: 'one' }), false)).toBe(0);
	});

	it('starts at the beginning when nothing is playing', () => {
		expect(nextIndex(q({ current: -1 }), false)).toBe(0);
		expect(nextIndex(q({ current: -1, order: [3, 1, 0, 2, 4] }), false)).toBe(3);
	});

	it('returns null for an empty list', () => {
		expect(nextIndex(q({ length: 0, current: -1 }), false)).toBeNull();
	});

	it('follows the shuffle order', () => {
		const order = [2, 0, 4, 1, 3];
		expect(nextIndex(q({ current: 2, order }), true)).toBe(0);
		expect(nextIndex(q({ current: 1, order }), true)).toBe(3);
		expect(nextIndex(q({ current: 3, order }), true)).toBeNull();
		expect(nextIndex(q({ current: 3, order, repeat: 'all' }), true)).toBe(2);
	});
});

describe('previousIndex', () => {
	it('moves to the track before', () => {
		expect(previousIndex(q({ current: 3 }))).toBe(2);
	});

	it('has nothing before the first track unless repeating all', () => {
		expect(previousIndex(q({ current: 0 }))).toBeNull();
		expect(previousIndex(q({ current: 0, repeat: 'one' }))).toBeNull();
		expect(previousIndex(q({ current: 0, repeat: 'all' }))).toBe(4);
	});

	it('walks the shuffle order backwards', () => {
		const order = [2, 0, 4, 1, 3];
		expect(previousIndex(q({ current: 4, order }))).toBe(0);
		expect(previousIndex(q({ current: 2, order }))).toBeNull();
		expect(previousIndex(q({ current: 2, order, repeat: 'all' }))).toBe(3);
	});

	it('returns null when nothing is playing', () => {
		expect(previousIndex(q({ current: -1 }))).toBeNull();
	});
});

describe('previousRestartsTrack', () => {
	it('restarts after three seconds of play', () => {
		expect(previousRestartsTrack(1)).toBe(false);
		expect(previousRestartsTrack(3)).toBe(false);
		expect(previousRestartsTrack(3.5)).toBe(true);
	});
});

describe('nextRepeatMode', () => {
	it('cycles off → all → one → off', () => {
		expect(nextRepeatMode('off')).toBe('all');
		expect(nextRepeatMode('all')).toBe('one');
		expect(nextRepeatMode('one')).toBe('off');
	});
});

describe('shuffling', () => {
	it('shuffled returns a permutation and leaves the input alone', () => {
		const input = [1, 2, 3, 4, 5, 6];
		const out = shuffled(input, seq(0.1, 0.9, 0.5, 0.3, 0.7));
		expect(out.slice().sort()).toEqual(input);
		expect(input).toEqual([1, 2, 3, 4, 5, 6]);
	});

	it('shuffleOrder starts with the chosen track and covers every index once', () => {
		const order = shuffleOrder(8, 5, seq(0.3, 0.6, 0.1, 0.9));
		expect(order[0]).toBe(5);
		expect(order.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
	});

	it('shuffleOrder without a current track is a plain permutation', () => {
		const order = shuffleOrder(4, -1, seq(0.5));
		expect(order.slice().sort()).toEqual([0, 1, 2, 3]);
	});

	it('extendShuffleOrder keeps the played part and mixes new tracks into the rest', () => {
		const order = [2, 0, 4, 1, 3];
		const extended = extendShuffleOrder(order, 0, 8, seq(0.2, 0.8, 0.5));
		expect(extended.slice(0, 2)).toEqual([2, 0]);
		expect(extended.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
	});

	it('extendShuffleOrder is a no-op when nothing new arrived', () => {
		expect(extendShuffleOrder([1, 0, 2], 0, 3)).toEqual([1, 0, 2]);
	});
});
