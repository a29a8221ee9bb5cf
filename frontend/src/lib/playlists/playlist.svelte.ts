import { describeError } from '$lib/api/graphql';
import type { Playlist, PlaylistItem, PlaylistTotals, PlaylistsApi } from '$lib/api/playlists';
import type { Track } from '$lib/api/types';
import { PagedList } from '$lib/library/paged-list.svelte';
import type { LoadStatus } from '$lib/library/track-list.svelte';
import type { Queue } from '$lib/player/player.svelte';

export const PLAYLIST_PAGE_SIZE = 50;

/** The `Queue.source` of a playlist's items. */
export function playlistSource(id: string): string {
	return `playlist:${id}`;
}

/**
 * `items` with the item at `from` moved to `to` (both indexes in `items`), each keeping the
 * positions in the order they were: the loaded items hold the same places, re-dealt.
 */
export function moveItem(items: readonly PlaylistItem[], from: number, to: number): PlaylistItem[] {
	const positions = items.map((item) => item.position);
	const next = [...items];
	const [moved] = next.splice(from, 1);
	if (!moved) return [...items];
	next.splice(to, 0, moved);
	return next.map((item, i) => (item.position === positions[i] ? item : { ...item, position: positions[i] ?? i }));
}

/** `items` without `removed`, the items after it one place up. */
export function withoutItem(items: readonly PlaylistItem[], removed: PlaylistItem): PlaylistItem[] {
	return items
		.filter((item) => item.id !== removed.id)
		.map((item) => (item.position > removed.position ? { ...item, position: item.position - 1 } : item));
}

/**
 * One playlist's page: its header, its items page by page (a queue the player plays through,
 * loading further pages as it nears the end), and removing and reordering them. A change
 * shows at once and is undone when the server refuses it or cannot be reached.
 */
export class PlaylistView implements Queue {
	playlist = $state.raw<Playlist | null>(null);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	notFound = $state(false);
	/** Why the last change was undone, in words. */
	changeError = $state<string | null>(null);
	/** What the last move did, for the screen reader ("Moved … to 3 of 12"). */
	announcement = $state('');

	readonly items: PagedList<PlaylistItem>;
	readonly id: string;
	readonly source: string;

	/** The items' tracks, in order: the queue. */
	tracks = $derived.by<readonly Track[]>(() => this.items.items.map((item) => item.track));
	problem = $derived(this.status === 'error' ? describeError(this.error) : null);
	canReorder = $derived(!!this.playlist?.viewerCanAddTracks && !this.playlist.isSmart && !this.playlist.isReadOnly);

	readonly #api: PlaylistsApi;
	readonly #pageSize: number;
	readonly #onTotals: (totals: PlaylistTotals) => void;

	constructor(
		api: PlaylistsApi,
		id: string,
		{
			pageSize = PLAYLIST_PAGE_SIZE,
			onTotals = () => {}
		}: { pageSize?: number; onTotals?: (t: PlaylistTotals) => void } = {}
	) {
		this.#api = api;
		this.id = id;
		this.source = playlistSource(id);
		this.#pageSize = pageSize;
		this.#onTotals = onTotals;
		this.items = new PagedList((after) => api.items(id, pageSize, after));
	}

	get hasNextPage(): boolean {
		return this.items.hasNextPage;
	}

	loadMore(): Promise<void> {
		return this.items.loadMore();
	}

	/** The playlist and its first page (again: after a change made elsewhere). */
	async load(): Promise<void> {
		this.status = 'loading';
		this.error = null;
		try {
			const found = await this.#api.playlist(this.id, this.#pageSize);
			this.notFound = found === null;
			this.playlist = found?.playlist ?? null;
			this.items.items = [];
			this.items.status = 'idle';
			this.items.hasNextPage = true;
			if (found) this.items.adopt(found.items);
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** Take the header fields of a playlist changed elsewhere (rename, settings). */
	update(playlist: Playlist): void {
		if (playlist.id === this.id) this.playlist = { ...this.playlist, ...playlist };
	}

	/** Move the item at `from` to `to` (indexes in the loaded items). */
	async move(from: number, to: number): Promise<boolean> {
		const before = this.items.items;
		const item = before[from];
		const target = before[to];
		if (!item || !target || from === to || !this.canReorder) return false;
		const toPosition = target.position;
		this.items.items = moveItem(before, from, to);
		this.changeError = null;
		this.announcement = `Moved “${item.track.title}” to position ${toPosition + 1} of ${this.playlist?.trackCount ?? before.length}.`;
		const ok = await this.#change(() => this.#api.move(this.id, item.id, toPosition), before);
		if (!ok) this.announcement = `“${item.track.title}” is back where it was.`;
		return ok;
	}

	/** Take an item out of the playlist. */
	async remove(item: PlaylistItem): Promise<boolean> {
		const before = this.items.items;
		const total = this.items.totalCount;
		this.items.items = withoutItem(before, item);
		this.items.totalCount = Math.max(0, (total ?? 1) - 1);
		this.changeError = null;
		const ok = await this.#change(() => this.#api.remove(this.id, [item.id]), before);
		if (!ok) this.items.totalCount = total;
		return ok;
	}

	async #change(send: () => ReturnType<PlaylistsApi['move']>, before: PlaylistItem[]): Promise<boolean> {
		try {
			const result = await send();
			if (result.kind === 'ok') {
				if (this.playlist) {
					this.playlist = {
						...this.playlist,
						trackCount: result.playlist.trackCount,
						durationSeconds: result.playlist.durationSeconds
					};
				}
				this.#onTotals(result.playlist);
				return true;
			}
			this.changeError = result.message;
		} catch (error) {
			this.changeError = describeError(error);
		}
		this.items.items = before;
		return false;
	}
}
