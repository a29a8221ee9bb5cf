import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { socialApi, type Comment } from '$lib/api/social';
import { connection, graphqlFetch } from '$lib/testing';
import { CommentsThread, commentProblem } from './comments.svelte';

const ALBUM = 'QWxidW06MQ==';

function comment(n: number, overrides: Partial<Comment> = {}): Comment {
	return {
		id: `comment-${n}`,
		body: `Comment ${n}`,
		author: { id: 'user-1', username: 'ada' },
		createdAt: '2026-12-01T10:00:00Z',
		editedAt: null,
		viewerCanEdit: true,
		viewerCanDelete: true,
		...overrides
	};
}

function threadWith(answers: unknown[]) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	const api = new TonearmApi(new GraphQLClient({ fetch: server.fetch }));
	return { thread: new CommentsThread(socialApi(api), ALBUM, 2), requests: server.requests };
}

const firstPage = {
	data: { node: { __typename: 'Album', comments: connection([comment(2), comment(1)], { total: 3, more: true }) } }
};

describe('CommentsThread', () => {
	it('loads the comments of the target page by page, newest first', async () => {
		const { thread, requests } = threadWith([
			firstPage,
			{ data: { node: { __typename: 'Album', comments: connection([comment(0)], { start: 2, total: 3 }) } } }
		]);
		await thread.list.loadMore();
		await thread.list.loadMore();
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			['PlayerComments', { id: ALBUM, first: 2, after: null }],
			['PlayerComments', { id: ALBUM, first: 2, after: 'c2' }]
		]);
		expect(thread.list.items.map((c) => c.id)).toEqual(['comment-2', 'comment-1', 'comment-0']);
		expect(thread.list.hasNextPage).toBe(false);
	});

	it('posts the draft exactly as typed and puts it on top', async () => {
		const body = '  <img src=x onerror=alert(1)>\nsecond line ';
		const { thread, requests } = threadWith([
			firstPage,
			{ data: { addComment: { __typename: 'Comment', ...comment(3, { body }) } } }
		]);
		await thread.list.loadMore();
		thread.draft = body;
		expect(await thread.post()).toBe(true);
		expect(requests[1]?.operation).toBe('PlayerAddComment');
		expect(requests[1]?.variables).toEqual({ targetId: ALBUM, body });
		expect(thread.list.items[0]?.body).toBe(body);
		expect(thread.list.totalCount).toBe(4);
		expect(thread.draft).toBe('');
	});

	it('shows the rate limit and keeps the draft', async () => {
		const { thread } = threadWith([
			{
				data: {
					addComment: { __typename: 'CommentRateLimited', message: 'Too many comments.', retryAfterSeconds: 42 }
				}
			}
		]);
		thread.draft = 'hello';
		expect(await thread.post()).toBe(false);
		expect(thread.postError).toBe('Too many comments. Try again in 42 seconds.');
		expect(thread.draft).toBe('hello');
	});

	it('shows an invalid comment refusal in the server’s words', async () => {
		const { thread } = threadWith([
			{ data: { addComment: { __typename: 'InvalidCommentError', message: 'A comment is at most 2000 characters.' } } }
		]);
		thread.draft = 'x';
		await thread.post();
		expect(thread.postError).toBe('A comment is at most 2000 characters.');
	});

	it('will not post an empty or too long draft', async () => {
		const { thread, requests } = threadWith([]);
		thread.draft = '   \n ';
		expect(thread.canPost).toBe(false);
		thread.draft = 'x'.repeat(2001);
		expect(thread.canPost).toBe(false);
		expect(thread.draftProblem).toBe('That is 1 characters over the limit of 2000.');
		expect(await thread.post()).toBe(false);
		expect(requests).toEqual([]);
	});

	it('counts characters as the server does (an emoji is one)', () => {
		expect(commentProblem('🎵'.repeat(2000))).toBeNull();
		expect(commentProblem('🎵'.repeat(2001))).not.toBeNull();
	});

	it('edits the viewer’s comment in place', async () => {
		const { thread, requests } = threadWith([
			firstPage,
			{
				data: {
					editComment: { __typename: 'Comment', ...comment(1, { body: 'Better', editedAt: '2026-12-01T11:00:00Z' }) }
				}
			}
		]);
		await thread.list.loadMore();
		thread.startEdit(thread.list.items[1]!);
		thread.editing!.body = 'Better';
		expect(await thread.saveEdit()).toBe(true);
		expect(requests[1]?.variables).toEqual({ id: 'comment-1', body: 'Better' });
		expect(thread.list.items[1]?.body).toBe('Better');
		expect(thread.editing).toBeNull();
	});

	it('deletes at once and puts the comment back when the server refuses', async () => {
		const { thread } = threadWith([
			firstPage,
			{ data: { deleteComment: { __typename: 'EditNotAllowedError', message: 'Not yours.' } } },
			{ data: { deleteComment: { __typename: 'DeletedComment', id: 'comment-2' } } }
		]);
		await thread.list.loadMore();
		const removing = thread.remove(thread.list.items[0]!);
		expect(thread.list.items.map((c) => c.id)).toEqual(['comment-1']);
		expect(await removing).toBe(false);
		expect(thread.list.items.map((c) => c.id)).toEqual(['comment-2', 'comment-1']);
		expect(thread.list.totalCount).toBe(3);
		expect(thread.deleteError).toBe('Not yours.');

		expect(await thread.remove(thread.list.items[0]!)).toBe(true);
		expect(thread.list.items.map((c) => c.id)).toEqual(['comment-1']);
		expect(thread.list.totalCount).toBe(2);
	});
});
