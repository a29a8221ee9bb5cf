import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { socialApi } from '$lib/api/social';
import { graphqlFetch } from '$lib/testing';
import { Likes } from './likes.svelte';

function likesWith(answers: unknown[]) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	const api = new TonearmApi(new GraphQLClient({ fetch: server.fetch }));
	return { likes: new Likes(socialApi(api)), requests: server.requests };
}

const track = { id: 'VHJhY2s6MQ==', likeCount: 2, viewerHasLiked: false };

describe('Likes', () => {
	it('shows what the query said until the viewer changes it', () => {
		const { likes } = likesWith([]);
		expect(likes.view(track)).toEqual({ liked: false, likeCount: 2, pending: false });
		expect(likes.view({ id: 'x' })).toEqual({ liked: false, likeCount: 0, pending: false });
	});

	it('likes at once, then takes the server’s count', async () => {
		const { likes, requests } = likesWith([
			{ data: { setLiked: { __typename: 'LikeState', id: track.id, liked: true, likeCount: 5 } } }
		]);
		const done = likes.toggle(track);
		expect(likes.view(track)).toEqual({ liked: true, likeCount: 3, pending: true });
		expect(await done).toBe(true);
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			['PlayerSetLiked', { id: track.id, liked: true }]
		]);
		expect(likes.view(track)).toEqual({ liked: true, likeCount: 5, pending: false });
		// The same track elsewhere, from an older query, shows the change too.
		expect(likes.view({ ...track, likeCount: 1 }).liked).toBe(true);
	});

	it('unlikes a liked target', async () => {
		const { likes, requests } = likesWith([
			{ data: { setLiked: { __typename: 'LikeState', id: 'a', liked: false, likeCount: 0 } } }
		]);
		await likes.toggle({ id: 'a', likeCount: 1, viewerHasLiked: true });
		expect(requests[0]?.variables).toEqual({ id: 'a', liked: false });
		expect(likes.view({ id: 'a', likeCount: 1, viewerHasLiked: true })).toEqual({
			liked: false,
			likeCount: 0,
			pending: false
		});
	});

	it('rolls back when the target is not there', async () => {
		const { likes } = likesWith([
			{ data: { setLiked: { __typename: 'LikeTargetNotFoundError', message: 'No such track.', id: track.id } } }
		]);
		expect(await likes.toggle(track)).toBe(false);
		expect(likes.view(track)).toEqual({ liked: false, likeCount: 2, pending: false });
		expect(likes.error).toBe('No such track.');
	});

	it('rolls back when the server cannot be reached', async () => {
		const { likes } = likesWith([new TypeError('connection refused')]);
		expect(await likes.toggle(track)).toBe(false);
		expect(likes.view(track).liked).toBe(false);
		expect(likes.error).toMatch(/Cannot reach the tonearm server/);
	});

	it('ignores a second click while the first is on its way', async () => {
		const { likes, requests } = likesWith([
			{ data: { setLiked: { __typename: 'LikeState', id: track.id, liked: true, likeCount: 3 } } }
		]);
		const first = likes.toggle(track);
		expect(await likes.toggle(track)).toBe(false);
		await first;
		expect(requests).toHaveLength(1);
	});
});
