import { describe, expect, it } from 'vitest';
import { connection, graphqlFetch, sampleAlbum, sampleTrack } from '$lib/testing';
import { GraphQLClient, GraphQLError, TonearmApi } from './graphql';

const apiWith = (respond: Parameters<typeof graphqlFetch>[0]) => {
	const server = graphqlFetch(respond);
	return { api: new TonearmApi(new GraphQLClient({ fetch: server.fetch })), requests: server.requests };
};

const error = (code: string, message = 'no') => ({ data: null, errors: [{ message, extensions: { code } }] });

describe('TonearmApi albums and artists', () => {
	it('asks for a page of albums in an order and flattens the connection', async () => {
		const albums = [sampleAlbum(1), sampleAlbum(2)];
		const { api, requests } = apiWith(() => ({ data: { albums: connection(albums, { total: 7, more: true }) } }));

		const page = await api.albums({ first: 2, search: '  ', orderBy: 'YEAR' });

		expect(page).toEqual({ items: albums, totalCount: 7, pageInfo: { hasNextPage: true, endCursor: 'c2' } });
		expect(requests[0]?.operation).toBe('PlayerAlbums');
		expect(requests[0]?.variables).toEqual({ first: 2, after: null, search: null, orderBy: 'YEAR' });
		// The tile's cover: the placeholder and the made sizes, by alias.
		expect(requests[0]?.query).toMatch(/coverArt \{\s*placeholder\s*small: url\(size: 64\)\s*medium: url\(size: 300\)/);
	});

	it('reads an album, and no album for an unknown or malformed id', async () => {
		const album = { ...sampleAlbum(1), discCount: 1, trackCount: 1, durationSeconds: 180, genres: [], tracks: [] };
		const answers = [{ data: { album } }, { data: { album: null } }, error('INVALID_ID')];
		const { api, requests } = apiWith(() => answers.shift());

		await expect(api.album('QWxidW06MQ==')).resolves.toEqual(album);
		await expect(api.album('QWxidW06Mg==')).resolves.toBeNull();
		await expect(api.album('not an id')).resolves.toBeNull();
		expect(requests.map((r) => r.variables)).toEqual([
			{ id: 'QWxidW06MQ==' },
			{ id: 'QWxidW06Mg==' },
			{ id: 'not an id' }
		]);
	});

	it('passes other errors of the album query on', async () => {
		const { api } = apiWith(() => error('INTERNAL_SERVER_ERROR', 'boom'));
		await expect(api.album('x')).rejects.toBeInstanceOf(GraphQLError);
	});

	it('splits an artist from their albums, marking the ones they appear on', async () => {
		const own = sampleAlbum(1);
		const guest = sampleAlbum(2, { isCompilation: true, artistCredit: 'Various Artists' });
		const albums = connection([own, guest], { total: 3, more: true, edge: (a) => ({ isAppearance: a === guest }) });
		const artist = { id: 'artist-1', name: 'Artist', albumCount: 2, trackCount: 9, coverArt: null, albums };
		const { api, requests } = apiWith(() => ({ data: { artist } }));

		const found = await api.artist('artist-1', { first: 2 });

		expect(found).toEqual({
			artist: { id: 'artist-1', name: 'Artist', albumCount: 2, trackCount: 9, coverArt: null },
			albums: {
				items: [
					{ album: own, isAppearance: false },
					{ album: guest, isAppearance: true }
				],
				totalCount: 3,
				pageInfo: { hasNextPage: true, endCursor: 'c2' }
			}
		});
		expect(requests[0]?.variables).toEqual({ id: 'artist-1', first: 2, after: null });
	});

	it('collects an artist’s tracks page by page, and on appearances only the ones crediting them', async () => {
		const me = { id: 'artist-1', name: 'Me' };
		const other = { id: 'artist-2', name: 'Other' };
		const own = [sampleTrack(1, { artists: [me] }), sampleTrack(2, { artists: [me] })];
		const compilation = [sampleTrack(3, { artists: [other] }), sampleTrack(4, { artists: [other, me] })];
		const pages = [
			{ hasNextPage: true, endCursor: 'c1', edges: [{ isAppearance: false, node: { tracks: own } }] },
			{ hasNextPage: false, endCursor: 'c2', edges: [{ isAppearance: true, node: { tracks: compilation } }] }
		];
		const { api, requests } = apiWith(() => {
			const page = pages.shift()!;
			const { edges, ...pageInfo } = page;
			return { data: { artist: { albums: { pageInfo, edges } } } };
		});

		const tracks = await api.artistTracks('artist-1', 1);

		expect(tracks.map((t) => t.id)).toEqual(['id-1', 'id-2', 'id-4']);
		expect(requests.map((r) => r.variables)).toEqual([
			{ id: 'artist-1', first: 1, after: null },
			{ id: 'artist-1', first: 1, after: 'c1' }
		]);
	});

	it('finds artists, albums and tracks in one request with three aliased fields', async () => {
		const artists = [{ id: 'artist-1', name: 'Rain Dogs', albumCount: 1, trackCount: 3, coverArt: null }];
		const albums = [sampleAlbum(1, { title: 'Rain' })];
		const tracks = [sampleTrack(1, { title: 'Rain Song' })];
		const { api, requests } = apiWith(() => ({
			data: {
				artistMatches: connection(artists),
				albumMatches: connection(albums, { total: 20, more: true }),
				trackMatches: connection(tracks)
			}
		}));

		const found = await api.search({ search: ' rain ', artists: 6, albums: 12, tracks: 100, orderBy: 'ARTIST' });

		expect(requests).toHaveLength(1);
		expect(requests[0]?.query).toMatch(/artistMatches: artists\(/);
		expect(requests[0]?.query).toMatch(/albumMatches: albums\(/);
		expect(requests[0]?.query).toMatch(/trackMatches: tracks\(/);
		expect(requests[0]?.variables).toEqual({ search: 'rain', artists: 6, albums: 12, tracks: 100, orderBy: 'ARTIST' });
		expect(found.artists.items).toEqual(artists);
		expect(found.albums).toEqual({ items: albums, totalCount: 20, pageInfo: { hasNextPage: true, endCursor: 'c1' } });
		expect(found.tracks).toEqual({ tracks, totalCount: 1, pageInfo: { hasNextPage: false, endCursor: 'c1' } });
	});
});
