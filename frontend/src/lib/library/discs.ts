/** An album's tracks grouped by disc. Pure; see discs.test.ts. */
import type { Track } from '$lib/api/types';

export interface Disc {
	number: number;
	/** The disc subtitle of its tracks (the first one tagged), if any. */
	subtitle: string | null;
	/** The disc's tracks, each with its index in the album's track list (the queue). */
	tracks: { track: Track; index: number }[];
}

/**
 * The discs of an album whose tracks come in disc order (as `Album.tracks` does); a track
 * without a disc number is on disc 1. Discs come in ascending order however they arrive.
 */
export function groupByDisc(tracks: readonly Track[]): Disc[] {
	const discs = new Map<number, Disc>();
	tracks.forEach((track, index) => {
		const number = track.discNumber ?? 1;
		let disc = discs.get(number);
		if (!disc) {
			disc = { number, subtitle: null, tracks: [] };
			discs.set(number, disc);
		}
		disc.subtitle ??= track.discSubtitle?.trim() || null;
		disc.tracks.push({ track, index });
	});
	return [...discs.values()].sort((a, b) => a.number - b.number);
}
