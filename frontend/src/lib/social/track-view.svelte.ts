import { describeError } from '$lib/api/graphql';
import type { SocialApi, TrackDetails } from '$lib/api/social';
import type { LoadStatus } from '$lib/library/track-list.svelte';
import { fixedQueue, type Queue } from '$lib/player/player.svelte';

/** One track's page: the track with its play counts, and the queue its Play button plays. */
export class TrackView {
	track = $state.raw<TrackDetails | null>(null);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	notFound = $state(false);
	queue = $state.raw<Queue | null>(null);
	problem = $derived(this.status === 'error' ? describeError(this.error) : null);

	readonly id: string;
	readonly #api: SocialApi;

	constructor(api: SocialApi, id: string) {
		this.#api = api;
		this.id = id;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		this.error = null;
		try {
			const track = await this.#api.trackDetails(this.id);
			this.track = track;
			this.notFound = track === null;
			this.queue = track ? fixedQueue([track], `track:${track.id}`) : null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** The server counted a play of this track: its new overall count. */
	counted(trackId: string, playCount: number): void {
		if (this.track && this.track.id === trackId && this.track.playCount !== playCount) {
			this.track = { ...this.track, playCount, viewerPlayCount: this.track.viewerPlayCount + 1 };
		}
	}
}
