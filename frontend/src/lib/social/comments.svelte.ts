import { describeError } from '$lib/api/graphql';
import { MAX_COMMENT_LENGTH, commentLength, type Comment, type CommentRefusal, type SocialApi } from '$lib/api/social';
import { PagedList } from '$lib/library/paged-list.svelte';

export const COMMENTS_PAGE_SIZE = 20;

/** A refusal in words: the server's message, with the wait of a rate limit. */
export function describeRefusal(refusal: CommentRefusal): string {
	if (refusal.kind === 'rate-limited') {
		const s = refusal.retryAfterSeconds;
		return `${refusal.message} Try again in ${s} ${s === 1 ? 'second' : 'seconds'}.`;
	}
	return refusal.message;
}

/** Empty after trimming, or too long: what the server would refuse, said before sending. */
export function commentProblem(body: string): string | null {
	if (body.trim() === '') return null; // the button is off; nothing to say yet
	const length = commentLength(body);
	if (length > MAX_COMMENT_LENGTH) {
		return `That is ${length - MAX_COMMENT_LENGTH} characters over the limit of ${MAX_COMMENT_LENGTH}.`;
	}
	return null;
}

/**
 * The comments of one track or album, newest first: page after page, a new comment (shown
 * at the top once the server has it), and the viewer's own edited or deleted.
 */
export class CommentsThread {
	readonly list: PagedList<Comment>;
	/** The new comment being written. */
	draft = $state('');
	posting = $state(false);
	/** Why the last post failed (the server's words: too long, rate limited…). */
	postError = $state<string | null>(null);
	/** The comment being edited, with its text, and why its save failed. */
	editing = $state<{ id: string; body: string; error: string | null; saving: boolean } | null>(null);
	/** Why the last delete failed. */
	deleteError = $state<string | null>(null);

	/** Characters typed, as the server counts them. */
	draftLength = $derived(commentLength(this.draft));
	draftProblem = $derived(commentProblem(this.draft));
	canPost = $derived(!this.posting && this.draft.trim() !== '' && this.draftProblem === null);

	readonly targetId: string;
	readonly #api: SocialApi;

	constructor(api: SocialApi, targetId: string, pageSize = COMMENTS_PAGE_SIZE) {
		this.#api = api;
		this.targetId = targetId;
		this.list = new PagedList((after) => api.comments(targetId, pageSize, after));
	}

	/** Post the draft; on success it tops the list and the draft empties. */
	async post(): Promise<boolean> {
		if (!this.canPost) return false;
		this.posting = true;
		this.postError = null;
		try {
			const result = await this.#api.addComment(this.targetId, this.draft);
			if (result.kind !== 'ok') {
				this.postError = describeRefusal(result);
				return false;
			}
			this.list.items = [result.comment, ...this.list.items];
			this.list.totalCount = (this.list.totalCount ?? 0) + 1;
			this.draft = '';
			return true;
		} catch (error) {
			this.postError = describeError(error);
			return false;
		} finally {
			this.posting = false;
		}
	}

	startEdit(comment: Comment): void {
		this.editing = { id: comment.id, body: comment.body, error: null, saving: false };
	}

	cancelEdit(): void {
		this.editing = null;
	}

	/** Save the comment being edited; it stays open with the reason when that fails. */
	async saveEdit(): Promise<boolean> {
		const editing = this.editing;
		if (!editing || editing.saving) return false;
		const problem = editing.body.trim() === '' ? 'A comment cannot be empty.' : commentProblem(editing.body);
		if (problem) {
			this.editing = { ...editing, error: problem };
			return false;
		}
		this.editing = { ...editing, saving: true, error: null };
		try {
			const result = await this.#api.editComment(editing.id, editing.body);
			if (result.kind !== 'ok') {
				this.editing = { ...editing, saving: false, error: describeRefusal(result) };
				return false;
			}
			this.list.items = this.list.items.map((c) => (c.id === editing.id ? result.comment : c));
			this.editing = null;
			return true;
		} catch (error) {
			this.editing = { ...editing, saving: false, error: describeError(error) };
			return false;
		}
	}

	/** Delete a comment (it leaves the list at once, and comes back if the server refuses). */
	async remove(comment: Comment): Promise<boolean> {
		const before = this.list.items;
		const total = this.list.totalCount;
		this.deleteError = null;
		this.list.items = before.filter((c) => c.id !== comment.id);
		this.list.totalCount = Math.max(0, (total ?? 1) - 1);
		try {
			const result = await this.#api.deleteComment(comment.id);
			if (result.kind === 'deleted') return true;
			this.deleteError = describeRefusal(result);
		} catch (error) {
			this.deleteError = describeError(error);
		}
		this.list.items = before;
		this.list.totalCount = total;
		return false;
	}
}
