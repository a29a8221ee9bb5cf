import { SvelteMap } from 'svelte/reactivity';
import { describeError } from '$lib/api/graphql';
import type { SocialApi } from '$lib/api/social';

/** Something with a heart: a track, an album, an artist or a playlist, as its query gave it. */
export interface Likeable {
	id: string;
	likeCount?: number;
	viewerHasLiked?: boolean;
}

export interface LikeView {
	liked: boolean;
	likeCount: number;
	/** A change is on its way to the server. */
	pending: boolean;
}

/**
 * The viewer's likes as the hearts show them, across pages: what a query said, overridden
 * by what the viewer changed since (the same track may be on three pages at once). A click
 * shows at once and is undone when the server refuses or cannot be reached.
 */
export class Likes {
	/** Changes since the queries, by target id. */
	readonly #changed = new SvelteMap<string, LikeView>();
	/** Why the last change failed, in words (null when it did not). */
	error = $state<string | null>(null);

	readonly #api: SocialApi;

	constructor(api: SocialApi) {
		this.#api = api;
	}

	/** The heart of `target`: the viewer's change if there is one, else what the query said. */
	view(target: Likeable): LikeView {
		return (
			this.#changed.get(target.id) ?? {
				liked: target.viewerHasLiked === true,
				likeCount: target.likeCount ?? 0,
				pending: false
			}
		);
	}

	/** Like or unlike `target`; resolves with whether the server took it. */
	async toggle(target: Likeable): Promise<boolean> {
		const before = this.view(target);
		if (before.pending) return false;
		const liked = !before.liked;
		this.#changed.set(target.id, {
			liked,
			likeCount: Math.max(0, before.likeCount + (liked ? 1 : -1)),
			pending: true
		});
		this.error = null;
		try {
			const result = await this.#api.setLiked(target.id, liked);
			if (result.kind === 'ok') {
				this.#changed.set(target.id, { liked: result.liked, likeCount: result.likeCount, pending: false });
				return true;
			}
			this.error = result.message;
		} catch (error) {
			this.error = describeError(error);
		}
		this.#changed.set(target.id, { ...before, pending: false });
		return false;
	}
}
