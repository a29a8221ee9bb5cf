import { TonearmApi } from '$lib/api/graphql';
import type { AlbumSummary, ArtistSummary, LibraryStats, Page, TrackOrder } from '$lib/api/types';
import type { BootLibrary } from './boot';
import { PAGE_SIZE, TrackList, type LoadStatus, type TrackQuery } from './track-list.svelte';

export const SEARCH_DEBOUNCE_MS = 250;
/** How many artists and albums a search shows above its tracks (the rest: "See all"). */
export const SEARCH_ARTISTS = 6;
export const SEARCH_ALBUMS = 12;

/** The artists and albums one search found. */
export interface SearchMatches {
	search: string;
	artists: Page<ArtistSummary>;
	albums: Page<AlbumSummary>;
}

/** What the library view shows: totals, the search box, the sort order and the current list. */
export class Library {
	/** Text in the search box (updates on every keystroke). */
	searchText = $state('');
	orderBy = $state<TrackOrder>('ARTIST');
	list = $state.raw<TrackList>() as TrackList;

	/** Artists and albums of the last search answered (see `matches` for the current one's). */
	#matches = $state.raw<SearchMatches | null>(null);

	stats = $state.raw<LibraryStats | null>(null);
	statsStatus = $state<LoadStatus>('idle');
	statsError = $state.raw<unknown>(null);

	/** The search the list was loaded for (lags `searchText` by the debounce). */
	activeSearch = $derived(this.list.query.search);
	/** The user typed, but the debounce has not fired yet. */
	searchPending = $derived(this.searchText.trim() !== this.list.query.search);
	/** The artists and albums matching the search the list shows; null without a search. */
	matches = $derived(
		this.#matches && this.list.query.search && this.#matches.search === this.list.query.search ? this.#matches : null
	);

	readonly api: TonearmApi;
	#debounce: ReturnType<typeof setTimeout> | undefined;

	constructor(api: TonearmApi = new TonearmApi()) {
		this.api = api;
		this.list = this.#listFor({ search: '', orderBy: this.orderBy });
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

	/** Show the results for `text` now (the search in the page's URL). */
	showSearch(text: string): void {
		this.searchText = text;
		this.searchNow();
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

	/** Load the totals and the current query's first page again (the library changed: an upload). */
	reload(): Promise<void> {
		clearTimeout(this.#debounce);
		this.#requery(true);
		return this.loadStats();
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
		this.list = this.#listFor({ search, orderBy: this.orderBy });
		void this.list.loadMore();
	}

	/** A search's first page comes with its artists and albums, in one request. */
	#listFor(query: TrackQuery): TrackList {
		if (!query.search.trim()) return new TrackList(this.api, query);
		const list: TrackList = new TrackList(this.api, query, PAGE_SIZE, async () => {
			const found = await this.api.search({
				search: query.search,
				artists: SEARCH_ARTISTS,
				albums: SEARCH_ALBUMS,
				tracks: PAGE_SIZE,
				orderBy: query.orderBy
			});
			// An answer for a list that has been replaced meanwhile is nobody's.
			if (this.list === list)
				this.#matches = { search: list.query.search, artists: found.artists, albums: found.albums };
			return found.tracks;
		});
		return list;
	}

	destroy(): void {
		clearTimeout(this.#debounce);
	}
}
