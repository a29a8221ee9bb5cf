import { TonearmApi } from '$lib/api/graphql';
import type { LibraryStats, TrackOrder } from '$lib/api/types';
import type { BootLibrary } from './boot';
import { TrackList, type LoadStatus } from './track-list.svelte';

export const SEARCH_DEBOUNCE_MS = 250;

/** What the library view shows: totals, the search box, the sort order and the current list. */
export class Library {
	/** Text in the search box (updates on every keystroke). */
	searchText = $state('');
	orderBy = $state<TrackOrder>('ARTIST');
	list = $state.raw<TrackList>() as TrackList;

	stats = $state.raw<LibraryStats | null>(null);
	statsStatus = $state<LoadStatus>('idle');
	statsError = $state.raw<unknown>(null);

	/** The search the list was loaded for (lags `searchText` by the debounce). */
	activeSearch = $derived(this.list.query.search);
	/** The user typed, but the debounce has not fired yet. */
	searchPending = $derived(this.searchText.trim() !== this.list.query.search);

	readonly api: TonearmApi;
	#debounce: ReturnType<typeof setTimeout> | undefined;

	constructor(api: TonearmApi = new TonearmApi()) {
		this.api = api;
		this.list = new TrackList(api, { search: '', orderBy: this.orderBy });
	}

	/**
	 * First load: totals and the first page, or take them from the boot request when it
	 * fetched them for this library's opening query.
	 */
	async start(first?: BootLibrary): Promise<void> {
		const list = this.list;
		if (first && first.orderBy === list.query.orderBy && list.query.search === '') {
			this.stats = first.stats;
			this.statsError = null;
			this.statsStatus = 'ready';
			list.adopt(first.page);
			return;
		}
		await Promise.all([this.loadStats(), list.loadMore()]);
	}

	async loadStats(): Promise<void> {
		this.statsStatus = 'loading';
		try {
			this.stats = await this.api.library();
			this.statsError = null;
			this.statsStatus = 'ready';
		} catch (error) {
			this.statsError = error;
			this.statsStatus = 'error';
		}
	}

	/** Called on each keystroke; the query runs once typing pauses. */
	setSearch(text: string): void {
		this.searchText = text;
		clearTimeout(this.#debounce);
		this.#debounce = setTimeout(() => this.#requery(), SEARCH_DEBOUNCE_MS);
	}

	/** Run the search now (Enter in the search box). */
	searchNow(): void {
		clearTimeout(this.#debounce);
		this.#requery();
	}

	clearSearch(): void {
		this.searchText = '';
		this.searchNow();
	}

	setOrder(order: TrackOrder): void {
		this.orderBy = order;
		clearTimeout(this.#debounce);
		this.#requery(true);
	}

	/** Retry whatever failed. */
	async retry(): Promise<void> {
		const jobs: Promise<void>[] = [];
		if (this.statsStatus === 'error' || this.stats === null) jobs.push(this.loadStats());
		jobs.push(this.list.retry());
		await Promise.all(jobs);
	}

	#requery(force = false): void {
		const search = this.searchText.trim();
		if (!force && search === this.list.query.search && this.orderBy === this.list.query.orderBy) return;
		this.list = new TrackList(this.api, { search, orderBy: this.orderBy });
		void this.list.loadMore();
	}

	destroy(): void {
		clearTimeout(this.#debounce);
	}
}
