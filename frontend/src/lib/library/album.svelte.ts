import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { Album } from '$lib/api/types';
import { fixedQueue, type Queue } from '$lib/player/player.svelte';
import { groupByDisc } from './discs';
import type { LoadStatus } from './track-list.svelte';

/** The `Queue.source` of an album's tracks. */
export function albumSource(id: string): string {
	return `album:${id}`;
}

/** One album's page: the album with its tracks, by disc, and the queue its buttons play. */
export class AlbumView {
	album = $state.raw<Album | null>(null);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	/** Answered, and there is no such album (or the id in the URL is not one). */
	notFound = $state(false);

	discs = $derived(this.album ? groupByDisc(this.album.tracks) : []);
	/** The album's tracks as one queue, the same object for every play on this page. */
	queue = $state.raw<Queue | null>(null);
	/** Why loading failed, in words. */
	problem = $derived(this.status === 'error' ? describeError(this.error) : null);

	readonly id: string;
	readonly #api: TonearmApi;

	constructor(api: TonearmApi, id: string) {
		this.#api = api;
		this.id = id;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		this.error = null;
		try {
			const album = await this.#api.album(this.id);
			this.album = album;
			this.queue = album ? fixedQueue(album.tracks, albumSource(album.id)) : null;
			this.notFound = album === null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}
}
