import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { ArtistAlbum, ArtistSummary, Page, Track } from '$lib/api/types';
import { PagedList } from './paged-list.svelte';
import type { LoadStatus } from './track-list.svelte';

/** Albums per page of an artist's page. */
export const ARTIST_ALBUMS_PAGE_SIZE = 50;

/**
 * One artist's page: the artist, their albums (page by page: theirs first, then the ones they
 * appear on), and every track of theirs for "Play all", fetched when first asked for.
 */
export class ArtistView {
	artist = $state.raw<ArtistSummary | null>(null);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	/** Answered, and there is no such artist. */
	notFound = $state(false);
	/** Their albums, theirs first; the first page comes with `load()`. */
	readonly albums = new PagedList<ArtistAlbum>((after) => this.#albumsAfter(after));

	/** Albums they are an album artist of. */
	own = $derived(this.albums.items.filter((a) => !a.isAppearance).map((a) => a.album));
	/** Albums they only appear on (compilations, guest spots). */
	appearances = $derived(this.albums.items.filter((a) => a.isAppearance).map((a) => a.album));
	problem = $derived(this.status === 'error' ? describeError(this.error) : null);

	/** "Play all": fetching the tracks, or why that failed. */
	tracksStatus = $state<LoadStatus>('idle');
	tracksError = $state<string | null>(null);

	readonly id: string;
	readonly #api: TonearmApi;
	readonly #pageSize: number;
	#tracks: Promise<Track[]> | null = null;

	constructor(api: TonearmApi, id: string, pageSize = ARTIST_ALBUMS_PAGE_SIZE) {
		this.#api = api;
		this.id = id;
		this.#pageSize = pageSize;
	}

	/** The artist and the first page of their albums, in one request. */
	async load(): Promise<void> {
		this.status = 'loading';
		this.error = null;
		try {
			const found = await this.#api.artist(this.id, { first: this.#pageSize });
			this.artist = found?.artist ?? null;
			this.notFound = found === null;
			if (found) this.albums.adopt(found.albums);
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	async #albumsAfter(after: string | null): Promise<Page<ArtistAlbum>> {
		const found = await this.#api.artist(this.id, { first: this.#pageSize, after });
		return found?.albums ?? { items: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } };
	}

	/** Every track of theirs, album by album (asked once; asked again after a failure). */
	async tracks(): Promise<Track[]> {
		this.#tracks ??= this.#api.artistTracks(this.id);
		this.tracksStatus = 'loading';
		this.tracksError = null;
		try {
			const tracks = await this.#tracks;
			this.tracksStatus = 'ready';
			return tracks;
		} catch (error) {
			this.#tracks = null;
			this.tracksStatus = 'error';
			this.tracksError = describeError(error);
			return [];
		}
	}
}
