/**
 * Queue navigation: which track comes next or before, with shuffle and repeat.
 * Pure functions over indices into the track list; see queue.test.ts.
 */

export type RepeatMode = 'off' | 'all' | 'one';

export const REPEAT_MODES: readonly RepeatMode[] = ['off', 'all', 'one'];

export function nextRepeatMode(mode: RepeatMode): RepeatMode {
	return REPEAT_MODES[(REPEAT_MODES.indexOf(mode) + 1) % REPEAT_MODES.length] ?? 'off';
}

export interface QueuePosition {
	/** Number of tracks in the list. */
	length: number;
	/** Index of the current track in the list, -1 for none. */
	current: number;
	repeat: RepeatMode;
	/** Play order when shuffling: a permutation of 0..length-1; `null` when not shuffling. */
	order: readonly number[] | null;
}

/**
 * The index to play after the current one, or `null` to stop.
 * `auto` is true when the current track ended by itself: only then does "repeat one" replay it;
 * pressing Next always moves on.
 */
export function nextIndex(q: QueuePosition, auto: boolean): number | null {
	if (q.length === 0) return null;
	if (q.current < 0) return q.order ? (q.order[0] ?? 0) : 0;
	if (auto && q.repeat === 'one') return q.current;
	const order = q.order;
	if (order) {
		const at = order.indexOf(q.current);
		const following = order[at + 1];
		if (at >= 0 && following !== undefined) return following;
		return q.repeat === 'off' ? null : (order[0] ?? null);
	}
	if (q.current + 1 < q.length) return q.current + 1;
	return q.repeat === 'off' ? null : 0;
}

/** The index to play for Previous, or `null` when there is nothing before (restart instead). */
export function previousIndex(q: QueuePosition): number | null {
	if (q.length === 0 || q.current < 0) return null;
	const order = q.order;
	if (order) {
		const at = order.indexOf(q.current);
		if (at > 0) return order[at - 1] ?? null;
		return q.repeat === 'all' ? (order[order.length - 1] ?? null) : null;
	}
	if (q.current > 0) return q.current - 1;
	return q.repeat === 'all' ? q.length - 1 : null;
}

/** Previous restarts the current track when it has played for longer than this. */
export const RESTART_THRESHOLD_SECONDS = 3;

export function previousRestartsTrack(currentTime: number): boolean {
	return currentTime > RESTART_THRESHOLD_SECONDS;
}

export type Random = () => number;

/** Fisher–Yates shuffle of `items` (copied). */
export function shuffled<T>(items: readonly T[], random: Random = Math.random): T[] {
	const out = items.slice();
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}

/** A shuffled play order of `length` tracks that starts with `first` (when it is valid). */
export function shuffleOrder(length: number, first: number, random: Random = Math.random): number[] {
	const rest = shuffled(
		Array.from({ length }, (_, i) => i).filter((i) => i !== first),
		random
	);
	return first >= 0 && first < length ? [first, ...rest] : rest;
}

/**
 * The list grew (another page loaded): mix the new indices into the part of the order that
 * has not been played yet, so they come up at random rather than all at the end.
 */
export function extendShuffleOrder(
	order: readonly number[],
	current: number,
	newLength: number,
	random: Random = Math.random
): number[] {
	const known = new Set(order);
	const added: number[] = [];
	for (let i = 0; i < newLength; i++) if (!known.has(i)) added.push(i);
	if (added.length === 0) return order.slice();
	const at = order.indexOf(current);
	const played = order.slice(0, at + 1);
	const upcoming = shuffled([...order.slice(at + 1), ...added], random);
	return [...played, ...upcoming];
}
