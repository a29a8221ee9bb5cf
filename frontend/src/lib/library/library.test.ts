import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { connection, graphqlFetch, sampleAlbum, sampleTrack, type SeenRequest } from '$lib/testing';
import { Library, SEARCH_ALBUMS, SEARCH_ARTISTS } from './library.svelte';
import { PAGE_SIZE } from './track-list.svelte';

const rainArtist = { id: 'a1', name: 'Rain Dogs', albumCount: 1, trackCount: 2, coverArt: null };

/** Answers searches for `text` with one artist, one album and `tracks` tracks (more than a page). */
function searchAnswer(text: string, { more = true } = {}) {
	return {
		data: {
			artistMatches: connection([{ ...rainArtist, name: `${text} artist` }]),
			albumMatches: connection([sampleAlbum(1, { title: `${text} album` })]),
			trackMatches: connection([sampleTrack(1, { title: `${text} song` })], { total: 2, more })
		}
	};
}

function libraryWith(respond: (request: SeenRequest) => unknown) {
	const server = graphqlFetch(respond);
	return {
		library: new Library(new TonearmApi(new GraphQLClient({ fetch: server.fetch }))),
		requests: server.requests
	};
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Library search', () => {
	it('asks for artists, albums and tracks in one request, then further tracks by cursor', async () => {
		const { library, requests } = libraryWith((request) =>
			request.operation === 'PlayerSearch'
				? searchAnswer('rain')
				: { data: { tracks: connection([sampleTrack(2)], { start: 1, total: 2 }) } }
		);
		library.showSearch(' rain ');
		await settle();

		expect(requests.map((r) => r.operation)).toEqual(['PlayerSearch']);
		expect(requests[0]?.variables).toEqual({
			search: 'rain',
			artists: SEARCH_ARTISTS,
			albums: SEARCH_ALBUMS,
			tracks: PAGE_SIZE,
			orderBy: 'ARTIST'
		});
		expect(library.matches?.search).toBe('rain');
		expect(library.matches?.artists.items.map((a) => a.name)).toEqual(['rain artist']);
		expect(library.matches?.albums.items.map((a) => a.title)).toEqual(['rain album']);
		expect(library.list.tracks.map((t) => t.title)).toEqual(['rain song']);

		await library.list.loadMore();
		expect(requests[1]?.operation).toBe('PlayerTracks');
		expect(requests[1]?.variables).toEqual({ first: PAGE_SIZE, after: 'c1', search: 'rain', orderBy: 'ARTIST' });
		expect(library.list.tracks).toHaveLength(2);
	});

	it('shows no artists or albums without a search', async () => {
		const { library, requests } = libraryWith((request) =>
			request.operation === 'PlayerSearch' ? searchAnswer('rain') : { data: { tracks: connection([sampleTrack(1)]) } }
		);
		library.showSearch('rain');
		await settle();
		expect(library.matches).not.toBeNull();
		library.clearSearch();
		expect(library.matches).toBeNull();
		await settle();
		expect(requests.map((r) => r.operation)).toEqual(['PlayerSearch', 'PlayerTracks']);
		expect(requests[1]?.variables.search).toBeNull();
	});

	it('never shows the artists and albums of a search answered after a newer one', async () => {
		const pending: { text: string; answer: (body: unknown) => void }[] = [];
		const { library } = libraryWith(
			(request) => new Promise((resolve) => pending.push({ text: String(request.variables.search), answer: resolve }))
		);
		library.showSearch('ra');
		library.showSearch('rain');
		await settle();
		expect(pending.map((p) => p.text)).toEqual(['ra', 'rain']);

		pending[1]!.answer(searchAnswer('rain', { more: false }));
		await settle();
		pending[0]!.answer(searchAnswer('ra', { more: false }));
		await settle();

		expect(library.matches?.search).toBe('rain');
		expect(library.matches?.artists.items.map((a) => a.name)).toEqual(['rain artist']);
		expect(library.list.tracks.map((t) => t.title)).toEqual(['rain song']);
	});
});
