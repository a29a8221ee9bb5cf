import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import type { Album } from '$lib/api/types';
import { graphqlFetch, sampleAlbum, sampleTrack } from '$lib/testing';
import { AlbumView, albumSource } from './album.svelte';

const twoDiscs: Album = {
	...sampleAlbum(1, { id: 'QWxidW06MQ==', title: 'Loose Ends' }),
	discCount: 2,
	trackCount: 3,
	durationSeconds: 68,
	genres: ['Lo-fi'],
	tracks: [
		sampleTrack(1, { discNumber: 1, discSubtitle: 'Sides' }),
		sampleTrack(2, { discNumber: 1, discSubtitle: 'Sides' }),
		sampleTrack(3, { discNumber: 2, discSubtitle: 'Live at the Basement', trackNumber: 1 })
	]
};

function viewWith(answers: unknown[]) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	const api = new TonearmApi(new GraphQLClient({ fetch: server.fetch }));
	return { view: new AlbumView(api, 'QWxidW06MQ=='), requests: server.requests };
}

describe('AlbumView', () => {
	it('loads the album with its tracks in one request and groups them by disc', async () => {
		const { view, requests } = viewWith([{ data: { album: twoDiscs } }]);
		const loading = view.load();
		expect(view.status).toBe('loading');
		await loading;

		expect(requests.map((r) => [r.operation, r.variables])).toEqual([['PlayerAlbum', { id: 'QWxidW06MQ==' }]]);
		expect(view.album?.title).toBe('Loose Ends');
		expect(view.discs.map((d) => [d.number, d.subtitle, d.tracks.map((t) => t.index)])).toEqual([
			[1, 'Sides', [0, 1]],
			[2, 'Live at the Basement', [2]]
		]);
		expect(view.notFound).toBe(false);
	});

	it('plays from one queue of the album’s tracks, marked as this album', async () => {
		const { view } = viewWith([{ data: { album: twoDiscs } }]);
		await view.load();
		const queue = view.queue;
		expect(queue?.tracks.map((t) => t.id)).toEqual(['id-1', 'id-2', 'id-3']);
		expect(queue?.hasNextPage).toBe(false);
		expect(queue?.source).toBe(albumSource('QWxidW06MQ=='));
		expect(view.queue).toBe(queue); // the same object for every play on the page
	});

	it('says when there is no such album', async () => {
		const { view } = viewWith([{ data: { album: null } }]);
		await view.load();
		expect(view.status).toBe('ready');
		expect(view.notFound).toBe(true);
		expect(view.album).toBeNull();
		expect(view.queue).toBeNull();
	});

	it('reports a failure in words and loads on retry', async () => {
		const { view } = viewWith([new TypeError('connection refused'), { data: { album: twoDiscs } }]);
		await view.load();
		expect(view.status).toBe('error');
		expect(view.problem).toMatch(/Cannot reach the tonearm server/);
		await view.load();
		expect(view.status).toBe('ready');
		expect(view.problem).toBeNull();
		expect(view.album?.trackCount).toBe(3);
	});
});
