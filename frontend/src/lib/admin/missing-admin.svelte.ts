import { describeError } from '$lib/api/graphql';
import type { MissingApi, MissingTrack } from '$lib/api/missing';
import { PagedList } from '$lib/library/paged-list.svelte';

/** Missing tracks per page of the admins' list. */
export const MISSING_PAGE_SIZE = 50;

/**
 * The admins' Missing files view: the tracks whose files are gone, the longest missing first,
 * page by page, and Purge for each — asked once ("Purge?" then "Purge for good"), since a
 * purged track's likes, plays and playlist places go with it.
 */
export class MissingAdmin {
	readonly list: PagedList<MissingTrack>;
	/** The track whose purge is being confirmed, if any. */
	confirming = $state<string | null>(null);
	/** Ids of the purges in flight. */
	purging = $state.raw<Readonly<Record<string, true>>>({});
	/** The last refusal of a purge, per track id. */
	purgeErrors = $state.raw<Readonly<Record<string, string>>>({});
	/** Tracks purged since the list was loaded (taken off the list at once). */
	purgedCount = $state(0);

	readonly #api: MissingApi;

	constructor(api: MissingApi) {
		this.#api = api;
		this.list = new PagedList((after) => api.missingTracks(MISSING_PAGE_SIZE, after));
	}

	/** Ask to purge a track: the next `purge` of it goes ahead. */
	askPurge(track: MissingTrack): void {
		this.confirming = track.id;
		this.purgeErrors = without(this.purgeErrors, track.id);
	}

	cancelPurge(): void {
		this.confirming = null;
	}

	/** Purge a track asked about (`askPurge`); on success it leaves the list. */
	async purge(track: MissingTrack): Promise<void> {
		if (this.confirming !== track.id || this.purging[track.id]) return;
		this.purging = { ...this.purging, [track.id]: true };
		try {
			const result = await this.#api.purge(track.id);
			if (result.kind === 'ok') {
				this.list.items = this.list.items.filter((item) => item.id !== track.id);
				if (this.list.totalCount !== null) this.list.totalCount = Math.max(0, this.list.totalCount - 1);
				this.purgedCount += 1;
			} else {
				// Purged by someone else meanwhile, or its file came back: it is not missing now.
				this.purgeErrors = { ...this.purgeErrors, [track.id]: result.message };
			}
		} catch (error) {
			this.purgeErrors = { ...this.purgeErrors, [track.id]: `Not purged. ${describeError(error)}` };
		}
		this.purging = without(this.purging, track.id);
		this.confirming = null;
	}
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
	const copy = { ...record };
	delete copy[key];
	return copy;
}
