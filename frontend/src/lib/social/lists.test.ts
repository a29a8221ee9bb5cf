import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { socialApi } from '$lib/api/social';
import { connection, graphqlFetch, sampleAlbum, sampleTrack } from '$lib/testing';
import { LikedView, TopTracksView, historyQueue } from './lists.svelte';

function apiWith(respond: (operation: string, variables: Record<string, unknown>) => unknown) {
	const server = graphqlFetch((r) => respond(r.operation, r.variables));
	return { api: socialApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch }))), requests: server.requests };
}

describe('LikedView', () => {
	it('lists every kind of like, and plays the liked tracks among them', async () => {
		const { api, requests } = apiWith(() => ({
			data: {
				liked: connection([
					{ likedAt: '2026-12-01T10:00:00Z', item: { __typename: 'Track', ...sampleTrack(1) } },
					{
						likedAt: '2026-12-01T09:00:00Z',
						item: { __typename: 'Album', ...sampleAlbum(1), likeCount: 1, viewerHasLiked: true }
					},
					{ likedAt: '2026-12-01T08:00:00Z', item: { __typename: 'Track', ...sampleTrack(2) } }
				])
			}
		}));
		const view = new LikedView(api);
		await view.show(null);
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			['PlayerLiked', { first: 50, after: null, kind: null }]
		]);
		expect(view.list.items.map((i) => i.kind)).toEqual(['TRACK', 'ALBUM', 'TRACK']);
		expect(view.queue.tracks.map((t) => t.id)).toEqual(['id-1', 'id-2']);
		expect(view.queue.indexOf(view.list.items[2]!)).toBe(1);
	});

	it('switches tabs with a list of that kind', async () => {
		const { api, requests } = apiWith(() => ({ data: { liked: connection([]) } }));
		const view = new LikedView(api);
		await view.show(null);
		await view.show('TRACK');
		await view.show('TRACK'); // already shown: no new request
		expect(requests.map((r) => r.variables.kind)).toEqual([null, 'TRACK']);
		expect(view.queue.source).toBe('liked:TRACK');
	});
});

describe('history', () => {
	it('pages through the plays, newest first', async () => {
		const { api, requests } = apiWith(() => ({
			data: {
				history: connection(
					[{ id: 'play-1', startedAt: '2026-12-01T10:00:00Z', playedSeconds: 20, track: sampleTrack(3) }],
					{ more: true, total: 2 }
				)
			}
		}));
		const queue = historyQueue(api);
		await queue.loadMore();
		expect(requests[0]).toMatchObject({ operation: 'PlayerHistory', variables: { first: 50, after: null } });
		expect(queue.tracks.map((t) => t.id)).toEqual(['id-3']);
		expect(queue.hasNextPage).toBe(true);
	});
});

describe('TopTracksView', () => {
	it('loads the period asked for and keeps the latest answer', async () => {
		let release: (() => void) | null = null;
		const { api, requests } = apiWith(async (_op, variables) => {
			if (variables.period === 'WEEK') await new Promise<void>((resolve) => (release = resolve));
			return { data: { topTracks: [{ playCount: variables.period === 'WEEK' ? 1 : 9, track: sampleTrack(1) }] } };
		});
		const view = new TopTracksView(api, 20);
		const week = view.show('WEEK');
		await new Promise((resolve) => setTimeout(resolve, 0));
		await view.show('YEAR');
		release!();
		await week;
		expect(requests.map((r) => r.variables)).toEqual([
			{ period: 'WEEK', first: 20 },
			{ period: 'YEAR', first: 20 }
		]);
		expect(view.period).toBe('YEAR');
		expect(view.entries.map((e) => e.playCount)).toEqual([9]);
		expect(view.queue.tracks.map((t) => t.id)).toEqual(['id-1']);
	});
});
