import { describeError } from '$lib/api/graphql';
import type { AlbumInput, EditableTrack, EditingApi, TrackInput } from '$lib/api/editing';
import type { Track } from '$lib/api/types';

/** The edit form's fields, as the inputs hold them (numbers as text, artists `; `-separated). */
export interface TrackFields {
	title: string;
	artists: string;
	album: string;
	albumArtist: string;
	trackNumber: string;
	discNumber: string;
	year: string;
	genre: string;
	lyrics: string;
	explicit: boolean;
	published: boolean;
}

export type TrackField = keyof TrackFields;

/** Several artists go in one input, separated by `;` (names may hold commas: "Crosby, Stills & Nash"). */
export const ARTIST_SEPARATOR = ';';

export function fieldsOf(track: EditableTrack): TrackFields {
	const text = (v: string | null) => v ?? '';
	const num = (v: number | null) => (v == null ? '' : String(v));
	return {
		title: track.title,
		artists: track.artists.map((a) => a.name).join(`${ARTIST_SEPARATOR} `),
		album: text(track.album?.title ?? null),
		albumArtist: text(track.albumArtist),
		trackNumber: num(track.trackNumber),
		discNumber: num(track.discNumber),
		year: num(track.year),
		genre: text(track.genre),
		lyrics: text(track.lyrics),
		explicit: track.isExplicit,
		published: track.isPublished
	};
}

/**
 * A field name as the server may spell it (`track_number`, `is_explicit`, `albumArtist`)
 * as the form's name, or null for one the form does not have.
 */
export function formField(name: string): TrackField | null {
	const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
	const field = camel === 'isExplicit' ? 'explicit' : camel === 'isPublished' ? 'published' : camel;
	return field in EMPTY ? (field as TrackField) : null;
}

const EMPTY: TrackFields = {
	title: '',
	artists: '',
	album: '',
	albumArtist: '',
	trackNumber: '',
	discNumber: '',
	year: '',
	genre: '',
	lyrics: '',
	explicit: false,
	published: true
};

type Errors = Partial<Record<string, string>>;

/** A whole number in `[min, max]` or empty (null); else the reason. */
function parseNumber(text: string, min: number, max: number): number | null | string {
	const value = text.trim();
	if (value === '') return null;
	if (!/^\d+$/.test(value)) return 'Enter a whole number.';
	const n = Number(value);
	return n < min || n > max ? `Enter a number from ${min} to ${max}.` : n;
}

/** The TrackInput for what differs between `original` and `values`, or the fields' problems. */
export function trackChanges(original: TrackFields, values: TrackFields): { input: TrackInput; errors: Errors } {
	const input: TrackInput = {};
	const errors: Errors = {};
	const text = (v: string) => (v.trim() === '' ? null : v.trim());
	if (values.title !== original.title) {
		if (values.title.trim() === '') errors.title = 'A track needs a title.';
		else input.title = values.title.trim();
	}
	if (values.artists !== original.artists) {
		input.artists = values.artists
			.split(ARTIST_SEPARATOR)
			.map((a) => a.trim())
			.filter((a) => a !== '');
	}
	for (const field of ['album', 'albumArtist', 'genre'] as const) {
		if (values[field] !== original[field]) input[field] = text(values[field]);
	}
	if (values.lyrics !== original.lyrics) input.lyrics = values.lyrics.trim() === '' ? null : values.lyrics;
	const numbers = [
		['trackNumber', 1, 999],
		['discNumber', 1, 999],
		['year', 1000, 9999]
	] as const;
	for (const [field, min, max] of numbers) {
		if (values[field] === original[field]) continue;
		const parsed = parseNumber(values[field], min, max);
		if (typeof parsed === 'string') errors[field] = parsed;
		else input[field] = parsed;
	}
	if (values.explicit !== original.explicit) input.explicit = values.explicit;
	if (values.published !== original.published) input.published = values.published;
	return { input, errors };
}

/**
 * The edit dialog of one track: loads what it edits, sends only the changed fields, and
 * keeps the server's refusal next to its field (`InvalidTrackInputError.field`).
 */
export class TrackEditForm {
	track = $state.raw<EditableTrack | null>(null);
	values = $state<TrackFields>({ ...EMPTY });
	original = $state.raw<TrackFields>({ ...EMPTY });
	status = $state<'loading' | 'ready' | 'gone' | 'error'>('loading');
	saving = $state(false);
	fieldErrors = $state.raw<Errors>({});
	formError = $state<string | null>(null);
	/** Shown after a save. */
	saved = $state(false);

	dirty = $derived(Object.keys(trackChanges(this.original, this.values).input).length > 0);
	/** Fields whose value comes from an edit, not the file (form names). */
	overridden = $derived<TrackField[]>(
		(this.track?.overriddenFields ?? []).map(formField).filter((f): f is TrackField => f !== null)
	);
	isOwner = $derived(this.track?.viewerRole === 'OWNER');

	readonly #api: EditingApi;
	readonly id: string;

	constructor(api: EditingApi, id: string) {
		this.#api = api;
		this.id = id;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			const track = await this.#api.editableTrack(this.id);
			if (!track) {
				this.status = 'gone';
				return;
			}
			this.#take(track);
			this.status = 'ready';
		} catch (error) {
			this.formError = describeError(error);
			this.status = 'error';
		}
	}

	/** Send the changed fields; resolves with the updated track (for the lists), or null. */
	async save(): Promise<Track | null> {
		if (this.saving) return null;
		this.saved = false;
		this.formError = null;
		const { input, errors } = trackChanges(this.original, this.values);
		this.fieldErrors = errors;
		if (Object.keys(errors).length > 0) return null;
		if (Object.keys(input).length === 0) {
			this.formError = 'Nothing has changed.';
			return null;
		}
		this.saving = true;
		try {
			const result = await this.#api.updateTrack(this.id, input);
			if (result.kind === 'updated') {
				this.#take(result.editable);
				this.saved = true;
				return result.track;
			}
			if (result.kind === 'invalid') {
				const field = result.field ? formField(result.field) : null;
				if (field) this.fieldErrors = { [field]: result.message };
				else this.formError = result.message;
			} else {
				this.formError = result.message;
			}
			return null;
		} catch (error) {
			this.formError = `Not saved. ${describeError(error)}`;
			return null;
		} finally {
			this.saving = false;
		}
	}

	#take(track: EditableTrack): void {
		this.track = track;
		this.original = fieldsOf(track);
		this.values = fieldsOf(track);
		this.fieldErrors = {};
	}
}

/** The album bulk edit's fields. */
export interface AlbumFields {
	title: string;
	albumArtist: string;
	year: string;
	genre: string;
}

export function albumChanges(original: AlbumFields, values: AlbumFields): { input: AlbumInput; errors: Errors } {
	const input: AlbumInput = {};
	const errors: Errors = {};
	if (values.title !== original.title) {
		if (values.title.trim() === '') errors.title = 'An album needs a title.';
		else input.title = values.title.trim();
	}
	if (values.albumArtist !== original.albumArtist) input.albumArtist = values.albumArtist.trim() || null;
	if (values.genre !== original.genre) input.genre = values.genre.trim() || null;
	if (values.year !== original.year) {
		const parsed = parseNumber(values.year, 1000, 9999);
		if (typeof parsed === 'string') errors.year = parsed;
		else input.year = parsed;
	}
	return { input, errors };
}

/** The album page's bulk edit: the album fields written onto every track of it you may edit. */
export class AlbumEditForm {
	values = $state<AlbumFields>({ title: '', albumArtist: '', year: '', genre: '' });
	original: AlbumFields;
	saving = $state(false);
	fieldErrors = $state.raw<Errors>({});
	formError = $state<string | null>(null);
	/** The album's id after the last save: a new title or artist may regroup it under a new one. */
	savedId = $state<string | null>(null);

	readonly #api: EditingApi;
	readonly id: string;

	constructor(api: EditingApi, id: string, fields: AlbumFields) {
		this.#api = api;
		this.id = id;
		this.original = { ...fields };
		this.values = { ...fields };
	}

	/** Resolves true once saved (the page then loads the album again). */
	async save(): Promise<boolean> {
		if (this.saving) return false;
		this.formError = null;
		const { input, errors } = albumChanges(this.original, this.values);
		this.fieldErrors = errors;
		if (Object.keys(errors).length > 0) return false;
		if (Object.keys(input).length === 0) {
			this.formError = 'Nothing has changed.';
			return false;
		}
		this.saving = true;
		try {
			const result = await this.#api.updateAlbum(this.id, input);
			if (result.kind === 'updated') {
				this.original = { ...this.values };
				this.savedId = result.albumId;
				return true;
			}
			if (result.kind === 'invalid' && result.field && result.field in this.values) {
				this.fieldErrors = { [result.field]: result.message };
			} else {
				this.formError = result.message;
			}
			return false;
		} catch (error) {
			this.formError = `Not saved. ${describeError(error)}`;
			return false;
		} finally {
			this.saving = false;
		}
	}
}
