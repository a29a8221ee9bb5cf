import { describe, expect, it } from 'vitest';
import { GraphQLClient, NetworkError, TonearmApi } from '$lib/api/graphql';
import type { AlbumSummary } from '$lib/api/types';
import { connection, graphqlFetch, sampleAlbum } from '$lib/testing';
import { albumBrowse, artistBrowse } from './browse.svelte';

/** A server with `total` albums, paged by the cursor `c<index>`; `fail` makes the next request fail. */
function albumServer(total: number) {
	const all = Array.from({ length: total }, (_, i) => sampleAlbum(i));
	const state = { fail: false };
	const server = graphqlFetch(({ variables }) => {
		if (state.fail) {
			state.fail = false;
			throw new TypeError('connection refused');
		}
		const start = variables.after ? Number(String(variables.after).slice(1)) : 0;
		const nodes = all.slice(start, start + Number(variables.first));
		return { data: { albums: connection(nodes, { start, total, more: start + nodes.length < total }) } };
	});
	// A fetch that rejects is a network failure, as in a browser.
	return { api: new TonearmApi(new GraphQLClient({ fetch: server.fetch })), requests: server.requests, state };
}

const titles = (items: AlbumSummary[]) => items.map((a) => a.title);

describe('PagedList (through the albums grid)', () => {
	it('loads page after page with cursors until there is no next page', async () => {
		const { api, requests } = albumServer(5);
		const browse = albumBrowse(api, 2);
		await browse.show({ search: '', orderBy: 'TITLE' });
		const list = browse.list;
		expect(titles(list.items)).toEqual(['Album 0', 'Album 1']);
		expect(list.totalCount).toBe(5);
		await list.loadMore();
		await list.loadMore();
		await list.loadMore(); // nothing left: no request
		expect(list.items).toHaveLength(5);
		expect(list.hasNextPage).toBe(false);
		expect(requests.map((r) => r.variables.after)).toEqual([null, 'c2', 'c4']);
		expect(requests[0]?.variables).toMatchObject({ first: 2, orderBy: 'TITLE', search: null });
	});

	it('shares one request between concurrent loads', async () => {
		const { api, requests } = albumServer(10);
		const list = albumBrowse(api, 3).list;
		await Promise.all([list.loadMore(), list.loadMore(), list.start()]);
		expect(requests).toHaveLength(1);
		expect(list.items).toHaveLength(3);
	});

	it('keeps what it has after an error and retries from the same cursor', async () => {
		const { api, requests, state } = albumServer(4);
		const list = albumBrowse(api, 2).list;
		await list.start();
		state.fail = true;
		await list.loadMore();
		expect(list.status).toBe('error');
		expect(list.error).toBeInstanceOf(NetworkError);
		expect(list.items).toHaveLength(2);
		await list.loadMore(); // stays put while in error
		expect(requests).toHaveLength(2);
		await list.retry();
		expect(list.status).toBe('ready');
		expect(list.items).toHaveLength(4);
		expect(requests.map((r) => r.variables.after)).toEqual([null, 'c2', 'c2']);
	});

	it('says when a first page came back empty', async () => {
		const { api } = albumServer(0);
		const list = albumBrowse(api).list;
		expect(list.isEmpty).toBe(false);
		const loading = list.start();
		expect(list.isFirstLoad).toBe(true);
		await loading;
		expect(list.isEmpty).toBe(true);
	});
});

describe('Browse', () => {
	it('keeps the pages of the query it shows, and starts over for another', async () => {
		const { api, requests } = albumServer(5);
		const browse = albumBrowse(api, 2);
		await browse.show({ search: '', orderBy: 'ARTIST' });
		await browse.list.loadMore();
		const first = browse.list;

		await browse.show({ search: '', orderBy: 'ARTIST' }); // back to the grid: as it was
		expect(browse.list).toBe(first);
		expect(browse.list.items).toHaveLength(4);
		expect(requests).toHaveLength(2);

		await browse.show({ search: ' rain ', orderBy: 'YEAR' });
		expect(browse.list).not.toBe(first);
		expect(browse.query).toEqual({ search: ' rain ', orderBy: 'YEAR' });
		expect(requests[2]?.variables).toEqual({ first: 2, after: null, search: 'rain', orderBy: 'YEAR' });
	});

	it('loads again only what failed', async () => {
		const { api, requests, state } = albumServer(3);
		const browse = albumBrowse(api, 2);
		await browse.retryFailed(); // nothing failed: nothing asked
		expect(requests).toHaveLength(0);
		state.fail = true;
		await browse.show({ search: '', orderBy: 'ARTIST' });
		expect(browse.list.status).toBe('error');
		await browse.retryFailed();
		expect(browse.list.items).toHaveLength(2);
		await browse.retryFailed();
		expect(requests).toHaveLength(2);
	});

	it('pages through artists by search', async () => {
		const artists = [{ id: 'a1', name: 'Kite Parade', albumCount: 1, trackCount: 3, coverArt: null }];
		const server = graphqlFetch(() => ({ data: { artists: connection(artists) } }));
		const browse = artistBrowse(new TonearmApi(new GraphQLClient({ fetch: server.fetch })), 30);
		await browse.show({ search: 'kite' });
		expect(browse.list.items).toEqual(artists);
		expect(server.requests[0]?.operation).toBe('PlayerArtists');
		expect(server.requests[0]?.variables).toEqual({ first: 30, after: null, search: 'kite' });
	});
});
