import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { connection, graphqlFetch, sampleAlbum, sampleTrack, type SeenRequest } from '$lib/testing';
import { ArtistView } from './artist.svelte';

const kite = { id: 'QXJ0aXN0OjE=', name: 'Kite Parade', albumCount: 2, trackCount: 4, coverArt: null };
const own = [sampleAlbum(1, { title: 'Paper Planets' }), sampleAlbum(2, { title: 'Later' })];
const sampler = sampleAlbum(3, { title: 'Summer Sampler', artistCredit: 'Various Artists', isCompilation: true });
const all = [...own, sampler];

/** The artist with `all` as their albums (the last an appearance), `first` at a time. */
function server(handle?: (request: SeenRequest) => unknown) {
	const fake = graphqlFetch((request) => {
		const answer = handle?.(request);
		if (answer !== undefined) return answer;
		const start = request.variables.after ? Number(String(request.variables.after).slice(1)) : 0;
		const nodes = all.slice(start, start + Number(request.variables.first));
		const albums = connection(nodes, {
			start,
			total: all.length,
			more: start + nodes.length < all.length,
			edge: (album) => ({ isAppearance: album === sampler })
		});
		return { data: { artist: { ...kite, albums } } };
	});
	const api = new TonearmApi(new GraphQLClient({ fetch: fake.fetch }));
	return { api, requests: fake.requests };
}

describe('ArtistView', () => {
	it('loads the artist with their first albums, then appearances on further pages', async () => {
		const { api, requests } = server();
		const view = new ArtistView(api, kite.id, 2);
		await view.load();

		expect(view.artist).toEqual(kite);
		expect(view.own.map((a) => a.title)).toEqual(['Paper Planets', 'Later']);
		expect(view.appearances).toEqual([]);
		expect(view.albums.hasNextPage).toBe(true);

		await view.albums.loadMore();
		expect(view.appearances.map((a) => a.title)).toEqual(['Summer Sampler']);
		expect(view.albums.hasNextPage).toBe(false);
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			['PlayerArtist', { id: kite.id, first: 2, after: null }],
			['PlayerArtist', { id: kite.id, first: 2, after: 'c2' }]
		]);
	});

	it('says when there is no such artist', async () => {
		const { api } = server(() => ({ data: { artist: null } }));
		const view = new ArtistView(api, 'QXJ0aXN0Ojk=');
		await view.load();
		expect(view.notFound).toBe(true);
		expect(view.artist).toBeNull();
		expect(view.albums.items).toEqual([]);
	});

	it('fetches every track for Play all once, and again after a failure', async () => {
		let fail = true;
		const tracks = [sampleTrack(1, { artists: [kite] }), sampleTrack(2, { artists: [kite] })];
		const { api, requests } = server((request) => {
			if (request.operation !== 'PlayerArtistTracks') return undefined;
			if (fail) {
				fail = false;
				return { data: null, errors: [{ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
			}
			const edges = [{ isAppearance: false, node: { tracks } }];
			return { data: { artist: { albums: { pageInfo: { hasNextPage: false, endCursor: 'c1' }, edges } } } };
		});
		const view = new ArtistView(api, kite.id);

		await expect(view.tracks()).resolves.toEqual([]);
		expect(view.tracksStatus).toBe('error');
		expect(view.tracksError).toMatch(/INTERNAL_SERVER_ERROR/);

		await expect(view.tracks()).resolves.toEqual(tracks);
		await expect(view.tracks()).resolves.toEqual(tracks);
		expect(view.tracksStatus).toBe('ready');
		expect(view.tracksError).toBeNull();
		expect(requests.filter((r) => r.operation === 'PlayerArtistTracks')).toHaveLength(2);
	});
});
