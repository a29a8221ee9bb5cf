import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { trashApi, type TrashEntry } from '$lib/api/trash';
import { graphqlFetch } from '$lib/testing';
import { TrashView } from './trash.svelte';
import { UNDO_MS, UndoToast } from './undo.svelte';

function apiWith(answers: unknown[]) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	const api = trashApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
	return { api, requests: server.requests };
}

const entry: TrashEntry = {
	id: 'VHJhY2s6MQ==',
	kind: 'TRACK',
	name: 'Wave 2',
	deletedBy: { id: 'VXNlcjox', username: 'alice' },
	deletedAt: '2026-12-01T10:00:00+00:00',
	purgeAt: '2026-12-31T10:00:00+00:00',
	trackCount: 1
};

const trashPage = (entries: TrashEntry[]) => ({
	data: {
		trash: {
			totalCount: entries.length,
			pageInfo: { hasNextPage: false, endCursor: null },
			edges: entries.map((node) => ({ node }))
		}
	}
});

afterEach(() => {
	vi.useRealTimers();
});

describe('trash API', () => {
	it('flattens the delete union', async () => {
		const { api, requests } = apiWith([
			{ data: { deleteTrack: { __typename: 'TrashEntry', ...entry } } },
			{ data: { deleteTrack: { __typename: 'EditNotAllowedError', message: 'Only an owner may delete this.' } } },
			{ data: { deleteAlbum: { __typename: 'AlbumNotFoundError', message: 'No album has this ID.' } } }
		]);
		expect(await api.deleteTrack(entry.id)).toEqual({ kind: 'ok', entry: { __typename: 'TrashEntry', ...entry } });
		expect(await api.deleteTrack(entry.id)).toEqual({ kind: 'not-allowed', message: 'Only an owner may delete this.' });
		expect(await api.deleteAlbum('QWxidW06MQ==')).toEqual({ kind: 'not-found', message: 'No album has this ID.' });
		expect(requests.map((r) => r.operation)).toEqual(['PlayerDeleteTrack', 'PlayerDeleteTrack', 'PlayerDeleteAlbum']);
	});

	it('says when something is not in the trash', async () => {
		const { api } = apiWith([
			{
				data: { restore: { __typename: 'NotInTrashError', message: 'Nothing you can see in the trash has this ID.' } }
			},
			{ data: { purge: { __typename: 'Purged', id: entry.id } } }
		]);
		expect(await api.restore(entry.id)).toEqual({
			kind: 'not-in-trash',
			message: 'Nothing you can see in the trash has this ID.'
		});
		expect(await api.purge(entry.id)).toEqual({ kind: 'ok', id: entry.id });
	});
});

describe('UndoToast', () => {
	it('offers Undo after a delete and restores on it', async () => {
		vi.useFakeTimers();
		const { api, requests } = apiWith([{ data: { restore: { __typename: 'TrashEntry', ...entry } } }]);
		const undo = new UndoToast(() => api);
		const restored = vi.fn();
		expect(undo.afterDelete({ kind: 'ok', entry }, 'Wave 2', restored)).toBe(true);
		expect(undo.offer?.message).toBe('“Wave 2” moved to the trash');
		await undo.undo();
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([['PlayerRestore', { id: entry.id }]]);
		expect(restored).toHaveBeenCalledOnce();
		expect(undo.offer).toBeNull();
		expect(undo.message).toBe('Restored');
		vi.advanceTimersByTime(UNDO_MS);
		expect(undo.message).toBeNull();
	});

	it('shows why a delete was refused, without Undo', () => {
		const { api } = apiWith([]);
		const undo = new UndoToast(() => api);
		expect(undo.afterDelete({ kind: 'not-allowed', message: 'Only an owner may delete this.' }, 'x')).toBe(false);
		expect(undo.offer).toBeNull();
		expect([undo.message, undo.failed]).toEqual(['Only an owner may delete this.', true]);
	});
});

describe('TrashView', () => {
	it('purges an entry, then reloads the list', async () => {
		const { api, requests } = apiWith([
			trashPage([entry]),
			{ data: { purge: { __typename: 'Purged', id: entry.id } } },
			trashPage([])
		]);
		const view = new TrashView(api);
		await view.list.loadMore();
		expect(view.list.items.map((e) => e.name)).toEqual(['Wave 2']);
		await view.purge(entry);
		expect(view.notice).toEqual({ ok: true, message: 'Deleted “Wave 2” for good' });
		expect(view.list.items).toEqual([]);
		expect(requests.map((r) => r.operation)).toEqual(['PlayerTrash', 'PlayerPurge', 'PlayerTrash']);
	});
});
