import { describeError } from '$lib/api/graphql';
import {
	MAX_TRACKS_PER_ADD,
	type Playlist,
	type PlaylistRefusal,
	type PlaylistTotals,
	type PlaylistUpdateInput,
	type PlaylistsApi
} from '$lib/api/playlists';
import { PagedList } from '$lib/library/paged-list.svelte';

export const SIDEBAR_PAGE_SIZE = 100;

/** What an action on a playlist ended with, for a status line. */
export type Outcome = { ok: true; message: string } | { ok: false; message: string; refusal?: PlaylistRefusal };

/** Sorted by name as the server sorts the list (near enough for an inserted one). */
function byName(a: Playlist, b: Playlist): number {
	return a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id.localeCompare(b.id);
}

function tracksLabel(n: number): string {
	return n === 1 ? '1 track' : `${n} tracks`;
}

/**
 * The playlists of the sidebar (the viewer's and public ones, `playlists(scope: ALL)`) and
 * what the viewer does with them from anywhere: create, rename, settings, delete, and "Add
 * to playlist" from a track row, an album or a selection.
 */
export class Playlists {
	readonly list: PagedList<Playlist>;
	/** The playlists a track can be added to (`viewerCanAddTracks`). */
	addable = $derived.by(() => this.list.items.filter((p) => p.viewerCanAddTracks && !p.isSmart));
	/** Bumped whenever a playlist's items change, so an open playlist page reloads. */
	itemsVersion = $state(0);
	/** What the last "Add to playlist" did, for the status line every page shows. */
	notice = $state.raw<{ ok: boolean; message: string } | null>(null);

	readonly #api: PlaylistsApi;

	constructor(api: PlaylistsApi) {
		this.#api = api;
		this.list = new PagedList((after) => api.playlists({ first: SIDEBAR_PAGE_SIZE, after, scope: 'ALL' }));
	}

	get api(): PlaylistsApi {
		return this.#api;
	}

	/** A new empty playlist of the viewer's, in the sidebar at once. */
	async create(name: string): Promise<{ ok: true; playlist: Playlist } | { ok: false; message: string }> {
		const trimmed = name.trim();
		if (!trimmed) return { ok: false, message: 'Give the playlist a name.' };
		try {
			const result = await this.#api.create({ name: trimmed });
			if (result.kind !== 'ok') return { ok: false, message: result.message };
			this.#put(result.playlist);
			return { ok: true, playlist: result.playlist };
		} catch (error) {
			return { ok: false, message: describeError(error) };
		}
	}

	/** Show a playlist created or changed elsewhere (the smart editor, the playlist page). */
	put(playlist: Playlist): void {
		this.#put(playlist);
	}

	rename(id: string, name: string): Promise<Outcome> {
		const trimmed = name.trim();
		if (!trimmed) return Promise.resolve({ ok: false, message: 'Give the playlist a name.' });
		return this.update(id, { name: trimmed }, 'Renamed.');
	}

	/**
	 * Change a playlist's settings. The sidebar shows the change at once and goes back to
	 * what it was when the server refuses.
	 */
	async update(id: string, input: PlaylistUpdateInput, done = 'Saved.'): Promise<Outcome> {
		const before = this.list.items.find((p) => p.id === id);
		if (before) {
			const { rules: _rules, ...shown } = input;
			this.#put({ ...before, ...shown });
		}
		try {
			const result = await this.#api.update(id, input);
			if (result.kind === 'ok') {
				this.#put(result.playlist);
				return { ok: true, message: done };
			}
			if (before) this.#put(before);
			if (result.kind === 'not-found') this.#drop(id);
			return { ok: false, message: result.message, refusal: result };
		} catch (error) {
			if (before) this.#put(before);
			return { ok: false, message: describeError(error) };
		}
	}

	async delete(id: string): Promise<Outcome> {
		try {
			const result = await this.#api.delete(id);
			if (result.kind === 'deleted' || result.kind === 'not-found') {
				this.#drop(id);
				return { ok: true, message: 'Playlist moved to the trash.' };
			}
			return { ok: false, message: result.message, refusal: result };
		} catch (error) {
			return { ok: false, message: describeError(error) };
		}
	}

	/** A playlist came back from the trash: show it in the sidebar again. */
	async restored(id: string): Promise<void> {
		try {
			const found = await this.#api.playlist(id, 1);
			if (found) this.#put(found.playlist);
		} catch {
			// The sidebar shows it after the next reload.
		}
		this.itemsVersion += 1;
	}

	/** Append tracks to a playlist (in calls of at most MAX_TRACKS_PER_ADD ids). */
	async addTracks(playlist: { id: string; name: string }, trackIds: readonly string[]): Promise<Outcome> {
		const outcome = await this.#addTracks(playlist, trackIds);
		this.notice = { ok: outcome.ok, message: outcome.message };
		return outcome;
	}

	async #addTracks(playlist: { id: string; name: string }, trackIds: readonly string[]): Promise<Outcome> {
		if (trackIds.length === 0) return { ok: false, message: 'Nothing to add.' };
		let totals: PlaylistTotals | null = null;
		try {
			for (let start = 0; start < trackIds.length; start += MAX_TRACKS_PER_ADD) {
				const result = await this.#api.add(playlist.id, trackIds.slice(start, start + MAX_TRACKS_PER_ADD));
				if (result.kind !== 'ok') {
					if (start > 0) this.itemsVersion += 1;
					return { ok: false, message: result.message, refusal: result };
				}
				totals = result.playlist;
			}
		} catch (error) {
			return { ok: false, message: describeError(error) };
		}
		this.#setTotals(totals);
		this.itemsVersion += 1;
		return { ok: true, message: `Added ${tracksLabel(trackIds.length)} to “${totals?.name ?? playlist.name}”.` };
	}

	/** A playlist's counts changed (items added, removed on its page). */
	setTotals(totals: PlaylistTotals): void {
		this.#setTotals(totals);
	}

	#setTotals(totals: PlaylistTotals | null): void {
		if (!totals) return;
		const shown = this.list.items.find((p) => p.id === totals.id);
		if (shown) this.#put({ ...shown, trackCount: totals.trackCount, durationSeconds: totals.durationSeconds });
	}

	#put(playlist: Playlist): void {
		const items = this.list.items;
		const at = items.findIndex((p) => p.id === playlist.id);
		if (at >= 0) {
			const next = [...items];
			next[at] = { ...items[at], ...playlist };
			this.list.items = next.sort(byName);
			return;
		}
		this.list.items = [...items, playlist].sort(byName);
		this.list.totalCount = (this.list.totalCount ?? 0) + 1;
	}

	#drop(id: string): void {
		const items = this.list.items;
		if (!items.some((p) => p.id === id)) return;
		this.list.items = items.filter((p) => p.id !== id);
		this.list.totalCount = Math.max(0, (this.list.totalCount ?? 1) - 1);
	}
}
