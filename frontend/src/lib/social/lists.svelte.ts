import type { LikeKind, LikedItem, Play, PlayPeriod, SocialApi, TopTrack } from '$lib/api/social';
import type { Track } from '$lib/api/types';
import { describeError } from '$lib/api/graphql';
import { PagedList } from '$lib/library/paged-list.svelte';
import type { LoadStatus } from '$lib/library/track-list.svelte';
import type { Queue } from '$lib/player/player.svelte';

export const SOCIAL_PAGE_SIZE = 50;

/** The tracks of a paged list as a queue (loading further pages as the player nears the end). */
export class PagedQueue<T> implements Queue {
	tracks = $derived.by<readonly Track[]>(() =>
		this.list.items.flatMap((item) => {
			const track = this.#toTrack(item);
			return track ? [track] : [];
		})
	);
	readonly list: PagedList<T>;
	readonly source: string;
	readonly #toTrack: (item: T) => Track | null;

	constructor(list: PagedList<T>, toTrack: (item: T) => Track | null, source: string) {
		this.list = list;
		this.#toTrack = toTrack;
		this.source = source;
	}

	get hasNextPage(): boolean {
		return this.list.hasNextPage;
	}

	loadMore(): Promise<void> {
		return this.list.loadMore();
	}

	/** Where `item`'s track is in `tracks` (items without a track are not in the queue). */
	indexOf(item: T): number {
		let index = 0;
		for (const other of this.list.items) {
			if (other === item) return index;
			if (this.#toTrack(other)) index += 1;
		}
		return -1;
	}
}

export const LIKE_TABS: readonly { kind: LikeKind | null; label: string }[] = [
	{ kind: null, label: 'All' },
	{ kind: 'TRACK', label: 'Tracks' },
	{ kind: 'ALBUM', label: 'Albums' },
	{ kind: 'ARTIST', label: 'Artists' },
	{ kind: 'PLAYLIST', label: 'Playlists' }
];

/** The Liked page: the viewer's likes of one kind (or all), newest first; its tracks play as a queue. */
export class LikedView {
	kind = $state<LikeKind | null>(null);
	queue = $state.raw<PagedQueue<LikedItem>>() as PagedQueue<LikedItem>;
	readonly #api: SocialApi;

	constructor(api: SocialApi) {
		this.#api = api;
		this.queue = this.#queueFor(null);
	}

	get list(): PagedList<LikedItem> {
		return this.queue.list;
	}

	/** Show another tab (from its first page). */
	show(kind: LikeKind | null): Promise<void> {
		if (kind !== this.kind) {
			this.kind = kind;
			this.queue = this.#queueFor(kind);
		}
		return this.queue.list.start();
	}

	/** The same tab from its first page again (a track went to the trash or came back). */
	reload(): Promise<void> {
		this.queue = this.#queueFor(this.kind);
		return this.queue.list.start();
	}

	#queueFor(kind: LikeKind | null): PagedQueue<LikedItem> {
		const list = new PagedList((after) => this.#api.liked({ first: SOCIAL_PAGE_SIZE, after, kind }));
		return new PagedQueue(list, (item) => (item.kind === 'TRACK' ? item.track : null), `liked:${kind ?? 'all'}`);
	}
}

/** The History page: the viewer's plays, newest first. */
export function historyQueue(api: SocialApi): PagedQueue<Play> {
	const list = new PagedList((after) => api.history({ first: SOCIAL_PAGE_SIZE, after }));
	return new PagedQueue(list, (play) => play.track, 'history');
}

export const PLAY_PERIODS: readonly { value: PlayPeriod; label: string }[] = [
	{ value: 'WEEK', label: 'Last 7 days' },
	{ value: 'MONTH', label: 'Last 30 days' },
	{ value: 'YEAR', label: 'Last 365 days' },
	{ value: 'ALL', label: 'All time' }
];

/** The Most played page: the viewer's most played tracks over a period. */
export class TopTracksView {
	period = $state<PlayPeriod>('MONTH');
	entries = $state.raw<TopTrack[]>([]);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	problem = $derived(this.status === 'error' ? describeError(this.error) : null);
	queue = $derived<Queue>({
		tracks: this.entries.map((entry) => entry.track),
		hasNextPage: false,
		loadMore: () => Promise.resolve(),
		source: `top:${this.period}`
	});

	readonly #api: SocialApi;
	readonly #first: number;
	#seq = 0;

	constructor(api: SocialApi, first = SOCIAL_PAGE_SIZE) {
		this.#api = api;
		this.#first = first;
	}

	/** Load the period (an answer for a period no longer shown is dropped). */
	async show(period: PlayPeriod = this.period): Promise<void> {
		this.period = period;
		const seq = ++this.#seq;
		this.status = 'loading';
		this.error = null;
		try {
			const entries = await this.#api.topTracks(period, this.#first);
			if (seq !== this.#seq) return;
			this.entries = entries;
			this.status = 'ready';
		} catch (error) {
			if (seq !== this.#seq) return;
			this.error = error;
			this.status = 'error';
		}
	}
}
