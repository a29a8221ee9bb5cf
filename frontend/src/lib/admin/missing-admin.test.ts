import { describe, expect, it, vi } from 'vitest';
import { GraphQLError } from '$lib/api/graphql';
import type { MissingTrack, PurgeResult } from '$lib/api/missing';
import type { Page } from '$lib/api/types';
import { MISSING_PAGE_SIZE, MissingAdmin } from './missing-admin.svelte';

const gone = (n: number): MissingTrack => ({
	id: `VHJhY2s6${n}`,
	title: `Song ${n}`,
	artist: 'Band',
	albumTitle: 'Record',
	album: null,
	state: 'MISSING',
	missingSince: `2026-12-0${n}T10:00:00Z`
});

function page(items: MissingTrack[], hasNextPage = false, endCursor: string | null = null): Page<MissingTrack> {
	return { items, pageInfo: { hasNextPage, endCursor }, totalCount: 3 };
}

function fakeApi() {
	return {
		missingTracks: vi.fn(async (_first: number, after: string | null) =>
			after === null ? page([gone(1), gone(2)], true, 'c2') : page([gone(3)])
		),
		purge: vi.fn<(id: string) => Promise<PurgeResult>>(async (id) => ({ kind: 'ok', id }))
	};
}

describe('MissingAdmin', () => {
	it('loads the missing tracks page by page, the longest missing first', async () => {
		const api = fakeApi();
		const admin = new MissingAdmin(api);
		await admin.list.start();
		await admin.list.loadMore();
		expect(api.missingTracks.mock.calls).toEqual([
			[MISSING_PAGE_SIZE, null],
			[MISSING_PAGE_SIZE, 'c2']
		]);
		expect(admin.list.items.map((track) => track.title)).toEqual(['Song 1', 'Song 2', 'Song 3']);
		expect(admin.list.hasNextPage).toBe(false);
	});

	it('purges only after the admin confirmed, and takes the track off the list', async () => {
		const api = fakeApi();
		const admin = new MissingAdmin(api);
		await admin.list.start();
		await admin.purge(gone(1));
		expect(api.purge).not.toHaveBeenCalled();

		admin.askPurge(gone(1));
		expect(admin.confirming).toBe(gone(1).id);
		const purging = admin.purge(gone(1));
		expect(admin.purging[gone(1).id]).toBe(true);
		await purging;

		expect(api.purge).toHaveBeenCalledWith(gone(1).id);
		expect(admin.list.items.map((track) => track.id)).toEqual([gone(2).id]);
		expect(admin.list.totalCount).toBe(2);
		expect(admin.purging).toEqual({});
		expect(admin.confirming).toBeNull();
	});

	it('cancelling a purge keeps the track', async () => {
		const api = fakeApi();
		const admin = new MissingAdmin(api);
		await admin.list.start();
		admin.askPurge(gone(2));
		admin.cancelPurge();
		await admin.purge(gone(2));
		expect(api.purge).not.toHaveBeenCalled();
		expect(admin.list.items).toHaveLength(2);
	});

	it('keeps a refused purge on its row with the server’s reason', async () => {
		const api = fakeApi();
		api.purge.mockResolvedValueOnce({ kind: 'not-in-trash', message: 'This is not in the trash.' });
		const admin = new MissingAdmin(api);
		await admin.list.start();
		admin.askPurge(gone(1));
		await admin.purge(gone(1));
		expect(admin.purgeErrors[gone(1).id]).toBe('This is not in the trash.');
		expect(admin.list.items).toHaveLength(2);
	});

	it('says why a purge failed when the request does', async () => {
		const api = fakeApi();
		api.purge.mockRejectedValueOnce(new GraphQLError('Admins only', 'FORBIDDEN', 200, []));
		const admin = new MissingAdmin(api);
		await admin.list.start();
		admin.askPurge(gone(2));
		await admin.purge(gone(2));
		expect(admin.purgeErrors[gone(2).id]).toMatch(/^Not purged\. .*FORBIDDEN/);
		expect(admin.purging).toEqual({});
	});
});
