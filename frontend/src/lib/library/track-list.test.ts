import { describe, expect, it, vi } from 'vitest';
import { NetworkError, type TonearmApi, type TracksArgs } from '$lib/api/graphql';
import type { Track, TrackPage } from '$lib/api/types';
import { sampleTrack } from '$lib/testing';
import { Library } from './library.svelte';
import { TrackList } from './track-list.svelte';

const track = (n: number): Track =>
	sampleTrack(n, { artist: 'Artist', album: { id: 'album-1', title: 'Album' }, durationSeconds: 60 + n });

/** A fake API over `total` tracks with cursor = index of the last item returned. */
function fakeApi(total: number, fail: { next: boolean } = { next: false }) {
	const calls: TracksArgs[] = [];
	const tracks = vi.fn(async (args: TracksArgs): Promise<TrackPage> => {
		calls.push(args);
		if (fail.next) {
			fail.next = false;
			throw new NetworkError('down');
		}
		const start = args.after ? Number(args.after) : 0;
		const items = Array.from({ length: Math.max(0, Math.min(args.first, total - start)) }, (_, i) => track(start + i));
		return {
			tracks: items,
			totalCount: total,
			pageInfo: { hasNextPage: start + items.length < total, endCursor: String(start + items.length) }
		};
	});
	return { api: { tracks } as unknown as TonearmApi, calls, tracks };
}

describe('TrackList', () => {
	it('loads page after page with cursors until there is no next page', async () => {
		const { api, calls } = fakeApi(5);
		const list = new TrackList(api, { search: '  rain ', orderBy: 'TITLE' }, 2);
		await list.loadMore();
		expect(list.tracks.map((t) => t.id)).toEqual(['id-0', 'id-1']);
		expect(list.totalCount).toBe(5);
		await list.loadMore();
		await list.loadMore();
		expect(list.tracks).toHaveLength(5);
		expect(list.hasNextPage).toBe(false);
		await list.loadMore(); // nothing left: no request
		expect(calls.map((c) => c.after ?? null)).toEqual([null, '2', '4']);
		expect(calls[0]).toMatchObject({ first: 2, search: 'rain', orderBy: 'TITLE' });
		expect(list.status).toBe('ready');
	});

	it('shares one request between concurrent loadMore calls', async () => {
		const { api, tracks } = fakeApi(10);
		const list = new TrackList(api, { search: '', orderBy: 'ARTIST' }, 3);
		await Promise.all([list.loadMore(), list.loadMore(), list.loadMore()]);
		expect(tracks).toHaveBeenCalledTimes(1);
		expect(list.tracks).toHaveLength(3);
	});

	it('sends a null search for an empty query and reports an empty result', async () => {
		const { api, calls } = fakeApi(0);
		const list = new TrackList(api, { search: '', orderBy: 'ARTIST' });
		await list.loadMore();
		expect(calls[0]?.search).toBeNull();
		expect(list.isEmpty).toBe(true);
	});

	it('keeps what it has after an error and retries from the same cursor', async () => {
		const fail = { next: false };
		const { api, calls } = fakeApi(4, fail);
		const list = new TrackList(api, { search: '', orderBy: 'ARTIST' }, 2);
		await list.loadMore();
		fail.next = true;
		await list.loadMore();
		expect(list.status).toBe('error');
		expect(list.error).toBeInstanceOf(NetworkError);
		expect(list.tracks).toHaveLength(2);
		await list.loadMore(); // stays put while in error
		expect(calls).toHaveLength(2);
		await list.retry();
		expect(list.status).toBe('ready');
		expect(list.tracks).toHaveLength(4);
		expect(calls.map((c) => c.after ?? null)).toEqual([null, '2', '2']);
	});

	it('takes a first page fetched elsewhere and continues from its cursor', async () => {
		const { api, calls } = fakeApi(5);
		const list = new TrackList(api, { search: '', orderBy: 'ARTIST' }, 2);
		list.adopt({ tracks: [track(0), track(1)], totalCount: 5, pageInfo: { hasNextPage: true, endCursor: '2' } });
		expect(list.status).toBe('ready');
		expect(list.tracks.map((t) => t.id)).toEqual(['id-0', 'id-1']);
		expect(list.totalCount).toBe(5);
		expect(calls).toHaveLength(0);
		await list.loadMore();
		expect(calls.map((c) => c.after)).toEqual(['2']);
		expect(list.tracks).toHaveLength(4);
		list.adopt({ tracks: [track(9)], totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null } });
		expect(list.tracks).toHaveLength(4); // ignored once it has loaded
	});
});

describe('TrackList.replace', () => {
	it('shows an edited track in its place, and ignores one it does not hold', async () => {
		const { api } = fakeApi(3);
		const list = new TrackList(api, { search: '', orderBy: 'ARTIST' }, 3);
		await list.loadMore();
		list.replace({ ...track(1), title: 'Edited' });
		list.replace({ ...track(9), title: 'Elsewhere' });
		expect(list.tracks.map((t) => t.title)).toEqual(['Track 0', 'Edited', 'Track 2']);
	});
});

describe('Library.start', () => {
	const stats = { trackCount: 5, artistCount: 1, albumCount: 1, totalDurationSeconds: 300 };
	const page = { tracks: [track(0)], totalCount: 5, pageInfo: { hasNextPage: true, endCursor: '1' } };

	it('takes the totals and first page of the boot request without asking again', async () => {
		const { api, tracks } = fakeApi(5);
		const library = vi.fn();
		const lib = new Library(Object.assign(api, { library }));
		await lib.start({ stats, page, orderBy: 'ARTIST' });
		expect(lib.stats).toEqual(stats);
		expect(lib.statsStatus).toBe('ready');
		expect(lib.list.tracks.map((t) => t.id)).toEqual(['id-0']);
		expect(tracks).not.toHaveBeenCalled();
		expect(library).not.toHaveBeenCalled();
	});

	it('loads for itself when the boot answer was for another order', async () => {
		const { api, tracks } = fakeApi(5);
		const library = vi.fn(async () => stats);
		const lib = new Library(Object.assign(api, { library }));
		await lib.start({ stats, page, orderBy: 'TITLE' });
		expect(tracks).toHaveBeenCalledTimes(1);
		expect(library).toHaveBeenCalledTimes(1);
	});
});
