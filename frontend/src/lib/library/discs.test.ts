import { describe, expect, it } from 'vitest';
import { sampleTrack } from '$lib/testing';
import { groupByDisc } from './discs';

describe('groupByDisc', () => {
	it('groups by disc number in ascending order, each track with its index in the album', () => {
		const tracks = [
			sampleTrack(1, { discNumber: 2, discSubtitle: 'Live' }),
			sampleTrack(2, { discNumber: 1 }),
			sampleTrack(3, { discNumber: 2 })
		];
		expect(groupByDisc(tracks).map((d) => [d.number, d.subtitle, d.tracks.map((t) => t.index)])).toEqual([
			[1, null, [1]],
			[2, 'Live', [0, 2]]
		]);
	});

	it('puts tracks without a disc number on disc 1 and takes the first subtitle tagged', () => {
		const tracks = [
			sampleTrack(1, { discNumber: null }),
			sampleTrack(2, { discNumber: 1, discSubtitle: '  ' }),
			sampleTrack(3, { discNumber: 1, discSubtitle: ' Sides ' })
		];
		const [disc, ...rest] = groupByDisc(tracks);
		expect(rest).toEqual([]);
		expect(disc?.number).toBe(1);
		expect(disc?.subtitle).toBe('Sides');
		expect(disc?.tracks.map((t) => t.track.id)).toEqual(['id-1', 'id-2', 'id-3']);
	});

	it('has no discs without tracks', () => {
		expect(groupByDisc([])).toEqual([]);
	});
});
