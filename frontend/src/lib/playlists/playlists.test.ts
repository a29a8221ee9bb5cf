import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { playlistsApi, type PlaylistItem } from '$lib/api/playlists';
import { connection, graphqlFetch, samplePlaylist, sampleTrack } from '$lib/testing';
import { PlaylistView, moveItem, withoutItem } from './playlist.svelte';
import { Playlists } from './playlists.svelte';

function item(n: number, position = n): PlaylistItem {
	return {
		id: `item-${n}`,
		position,
		addedAt: '2026-12-01T10:00:00Z',
		addedBy: { id: 'user-1', username: 'ada' },
		track: sampleTrack(n)
	};
}

function serverWith(answers: unknown[]) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	return { api: playlistsApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch }))), requests: server.requests };
}

const totals = (trackCount: number) => ({
	__typename: 'Playlist',
	id: 'playlist-1',
	name: 'Playlist 1',
	trackCount,
	durationSeconds: trackCount * 180
});

describe('moveItem and withoutItem', () => {
	const items = [item(0), item(1), item(2), item(3)];

	it('moves down and up, re-dealing the positions', () => {
		expect(moveItem(items, 0, 2).map((i) => [i.id, i.position])).toEqual([
			['item-1', 0],
			['item-2', 1],
			['item-0', 2],
			['item-3', 3]
		]);
		expect(moveItem(items, 3, 1).map((i) => i.id)).toEqual(['item-0', 'item-3', 'item-1', 'item-2']);
	});

	it('keeps the places of items the viewer does not see', () => {
		const gappy = [item(0, 0), item(1, 4), item(2, 5)];
		expect(moveItem(gappy, 2, 0).map((i) => [i.id, i.position])).toEqual([
			['item-2', 0],
			['item-0', 4],
			['item-1', 5]
		]);
	});

	it('removes one item and moves the later ones up', () => {
		expect(withoutItem(items, items[1]!).map((i) => [i.id, i.position])).toEqual([
			['item-0', 0],
			['item-2', 1],
			['item-3', 2]
		]);
	});
});

describe('Playlists (the sidebar)', () => {
	it('lists every playlist the viewer sees, by name, and which can take tracks', async () => {
		const { api, requests } = serverWith([
			{
				data: {
					playlists: connection([
						samplePlaylist(1),
						samplePlaylist(2, { viewerCanAddTracks: false, isPublic: true }),
						samplePlaylist(3, { isSmart: true })
					])
				}
			}
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			['PlayerPlaylists', { first: 100, after: null, scope: 'ALL' }]
		]);
		expect(playlists.addable.map((p) => p.id)).toEqual(['playlist-1']);
	});

	it('creates a playlist with its name and shows it in order', async () => {
		const { api, requests } = serverWith([
			{ data: { playlists: connection([samplePlaylist(1, { name: 'B' })]) } },
			{ data: { createPlaylist: { __typename: 'Playlist', ...samplePlaylist(2, { name: 'A road trip' }) } } }
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		const created = await playlists.create('  A road trip ');
		expect(created.ok).toBe(true);
		expect(requests[1]?.variables).toEqual({ input: { name: 'A road trip' } });
		expect(playlists.list.items.map((p) => p.name)).toEqual(['A road trip', 'B']);
		expect(playlists.list.totalCount).toBe(2);
	});

	it('says why a name is refused', async () => {
		const { api } = serverWith([
			{ data: { createPlaylist: { __typename: 'InvalidPlaylistInputError', message: 'Too long.', field: 'name' } } }
		]);
		const playlists = new Playlists(api);
		expect(await playlists.create('x'.repeat(300))).toEqual({ ok: false, message: 'Too long.' });
		expect(await playlists.create('   ')).toEqual({ ok: false, message: 'Give the playlist a name.' });
	});

	it('renames at once and goes back when the server refuses', async () => {
		const { api, requests } = serverWith([
			{ data: { playlists: connection([samplePlaylist(1)]) } },
			{ data: { updatePlaylist: { __typename: 'EditNotAllowedError', message: 'Not yours.' } } }
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		const renaming = playlists.rename('playlist-1', 'New name');
		expect(playlists.list.items[0]?.name).toBe('New name');
		expect(await renaming).toMatchObject({ ok: false, message: 'Not yours.' });
		expect(requests[1]?.variables).toEqual({ id: 'playlist-1', input: { name: 'New name' } });
		expect(playlists.list.items[0]?.name).toBe('Playlist 1');
	});

	it('makes a playlist public and collaborative', async () => {
		const { api, requests } = serverWith([
			{ data: { playlists: connection([samplePlaylist(1)]) } },
			{ data: { updatePlaylist: { __typename: 'Playlist', ...samplePlaylist(1, { isPublic: true }) } } }
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		expect((await playlists.update('playlist-1', { isPublic: true })).ok).toBe(true);
		expect(requests[1]?.variables).toEqual({ id: 'playlist-1', input: { isPublic: true } });
		expect(playlists.list.items[0]?.isPublic).toBe(true);
	});

	it('deletes a playlist', async () => {
		const { api } = serverWith([
			{ data: { playlists: connection([samplePlaylist(1), samplePlaylist(2)]) } },
			{ data: { deletePlaylist: { __typename: 'DeletedPlaylist', id: 'playlist-1' } } }
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		expect((await playlists.delete('playlist-1')).ok).toBe(true);
		expect(playlists.list.items.map((p) => p.id)).toEqual(['playlist-2']);
	});

	it('adds tracks in calls of at most 1,000 and updates the count', async () => {
		const { api, requests } = serverWith([
			{ data: { playlists: connection([samplePlaylist(1)]) } },
			{ data: { addToPlaylist: totals(1000) } },
			{ data: { addToPlaylist: totals(1500) } }
		]);
		const playlists = new Playlists(api);
		await playlists.list.loadMore();
		const ids = Array.from({ length: 1500 }, (_, i) => `t${i}`);
		const outcome = await playlists.addTracks(samplePlaylist(1), ids);
		expect(outcome).toEqual({ ok: true, message: 'Added 1500 tracks to “Playlist 1”.' });
		expect(requests.slice(1).map((r) => (r.variables.trackIds as string[]).length)).toEqual([1000, 500]);
		expect(requests[1]?.variables).toMatchObject({ playlistId: 'playlist-1', position: null });
		expect(playlists.list.items[0]?.trackCount).toBe(1500);
		expect(playlists.itemsVersion).toBe(1);
	});

	it('says when a playlist is full', async () => {
		const { api } = serverWith([
			{ data: { addToPlaylist: { __typename: 'PlaylistTooLongError', message: 'At most 50000.', limit: 50000 } } }
		]);
		const outcome = await new Playlists(api).addTracks(samplePlaylist(1), ['t1']);
		expect(outcome).toMatchObject({
			ok: false,
			message: 'At most 50000.',
			refusal: { kind: 'too-long', limit: 50000 }
		});
	});
});

describe('PlaylistView', () => {
	const loaded = (items: PlaylistItem[], more = false) => ({
		data: {
			playlist: {
				...samplePlaylist(1, { trackCount: items.length + (more ? 10 : 0) }),
				rules: null,
				items: connection(items, { more, total: items.length + (more ? 10 : 0) })
			}
		}
	});

	it('loads the playlist with its first page and is the queue of its tracks', async () => {
		const { api, requests } = serverWith([
			loaded([item(0), item(1)], true),
			{ data: { playlist: { id: 'playlist-1', items: connection([item(2)], { start: 2, total: 12 }) } } }
		]);
		const view = new PlaylistView(api, 'playlist-1', { pageSize: 2 });
		await view.load();
		expect(requests[0]).toMatchObject({
			operation: 'PlayerPlaylist',
			variables: { id: 'playlist-1', first: 2, after: null }
		});
		expect(view.tracks.map((t) => t.id)).toEqual(['id-0', 'id-1']);
		expect(view.hasNextPage).toBe(true);
		expect(view.source).toBe('playlist:playlist-1');
		await view.loadMore();
		expect(requests[1]).toMatchObject({
			operation: 'PlayerPlaylistItems',
			variables: { id: 'playlist-1', first: 2, after: 'c2' }
		});
		expect(view.tracks.map((t) => t.id)).toEqual(['id-0', 'id-1', 'id-2']);
	});

	it('says when there is no such playlist', async () => {
		const { api } = serverWith([{ data: { playlist: null } }]);
		const view = new PlaylistView(api, 'nope');
		await view.load();
		expect(view.notFound).toBe(true);
		expect(view.playlist).toBeNull();
	});

	it('moves an item at once and asks the server for the place of the item it lands on', async () => {
		const { api, requests } = serverWith([
			loaded([item(0), item(1), item(2)]),
			{ data: { movePlaylistItem: totals(3) } }
		]);
		const view = new PlaylistView(api, 'playlist-1');
		await view.load();
		const moving = view.move(0, 2);
		expect(view.items.items.map((i) => i.id)).toEqual(['item-1', 'item-2', 'item-0']);
		expect(await moving).toBe(true);
		expect(requests[1]).toMatchObject({
			operation: 'PlayerMovePlaylistItem',
			variables: { playlistId: 'playlist-1', itemId: 'item-0', toPosition: 2 }
		});
		expect(view.items.items.map((i) => i.id)).toEqual(['item-1', 'item-2', 'item-0']);
		expect(view.announcement).toBe('Moved “Track 0” to position 3 of 3.');
	});

	it('puts the item back when the move fails', async () => {
		const { api } = serverWith([
			loaded([item(0), item(1), item(2)]),
			{
				data: { movePlaylistItem: { __typename: 'EditNotAllowedError', message: 'You may not reorder this playlist.' } }
			},
			new TypeError('connection refused')
		]);
		const view = new PlaylistView(api, 'playlist-1');
		await view.load();
		expect(await view.move(2, 0)).toBe(false);
		expect(view.items.items.map((i) => i.id)).toEqual(['item-0', 'item-1', 'item-2']);
		expect(view.changeError).toBe('You may not reorder this playlist.');
		expect(await view.move(1, 0)).toBe(false);
		expect(view.items.items.map((i) => i.id)).toEqual(['item-0', 'item-1', 'item-2']);
		expect(view.changeError).toMatch(/Cannot reach the tonearm server/);
	});

	it('will not reorder a playlist the viewer may not change', async () => {
		const { api, requests } = serverWith([
			{
				data: {
					playlist: {
						...samplePlaylist(1, { viewerCanAddTracks: false }),
						items: connection([item(0), item(1)])
					}
				}
			}
		]);
		const view = new PlaylistView(api, 'playlist-1');
		await view.load();
		expect(await view.move(0, 1)).toBe(false);
		expect(requests).toHaveLength(1);
	});

	it('removes an item at once, and brings it back when that fails', async () => {
		const { api, requests } = serverWith([
			loaded([item(0), item(1), item(2)]),
			{ data: { removeFromPlaylist: { __typename: 'PlaylistItemNotFoundError', message: 'Gone.' } } },
			{ data: { removeFromPlaylist: totals(2) } }
		]);
		const totalsSeen: number[] = [];
		const view = new PlaylistView(api, 'playlist-1', { onTotals: (t) => totalsSeen.push(t.trackCount) });
		await view.load();
		const removing = view.remove(view.items.items[1]!);
		expect(view.items.items.map((i) => i.id)).toEqual(['item-0', 'item-2']);
		expect(view.items.totalCount).toBe(2);
		expect(await removing).toBe(false);
		expect(view.items.items.map((i) => i.id)).toEqual(['item-0', 'item-1', 'item-2']);
		expect(view.items.totalCount).toBe(3);

		expect(await view.remove(view.items.items[1]!)).toBe(true);
		expect(requests[2]?.variables).toEqual({ playlistId: 'playlist-1', itemIds: ['item-1'] });
		expect(view.items.items.map((i) => [i.id, i.position])).toEqual([
			['item-0', 0],
			['item-2', 1]
		]);
		expect(view.playlist?.trackCount).toBe(2);
		expect(totalsSeen).toEqual([2]);
	});
});
