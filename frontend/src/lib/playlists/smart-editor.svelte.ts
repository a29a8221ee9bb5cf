import { describeError } from '$lib/api/graphql';
import type { Playlist, PlaylistsApi, SmartMatch, SmartOrder, SmartRules } from '$lib/api/playlists';
import { newRow, toRow, toRules, withField, type RuleRow } from './smart-rules';

/** How long the editor waits after the last change before asking for a preview. */
export const PREVIEW_DELAY_MS = 400;

export interface Timers {
	set(run: () => void, ms: number): unknown;
	clear(handle: unknown): void;
}

const realTimers: Timers = {
	set: (run, ms) => setTimeout(run, ms),
	clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

export type PreviewState =
	| { kind: 'idle' }
	| { kind: 'loading' }
	| { kind: 'ready'; trackCount: number; durationSeconds: number; titles: string[] }
	| { kind: 'invalid'; message: string }
	| { kind: 'error'; message: string };

/**
 * The smart playlist editor: rule rows (field, operator, value), match all or any, order,
 * period and limit; a live count of the matching tracks (`smartPlaylistPreview`, asked
 * `PREVIEW_DELAY_MS` after the last change, an older answer never overwriting a newer one);
 * save as a new smart playlist or into an existing one, with the server's refusal shown
 * against the rule it names.
 */
export class SmartEditor {
	name = $state('');
	match = $state<SmartMatch>('ALL');
	rows = $state<RuleRow[]>([newRow()]);
	orderBy = $state<SmartOrder>('ARTIST');
	orderPeriodDays = $state('');
	limit = $state('');

	preview = $state.raw<PreviewState>({ kind: 'idle' });
	saving = $state(false);
	/** Problems by row index (the client's, or the server's `InvalidSmartRulesError`). */
	rowErrors = $state.raw<(string | null)[]>([]);
	/** A problem of the limit or period, the name, or the save as a whole. */
	formError = $state<string | null>(null);
	nameError = $state<string | null>(null);

	/** The draft as rules, or null while a row is incomplete. */
	rules = $derived.by<SmartRules | null>(() => {
		const result = toRules({
			match: this.match,
			rows: this.rows,
			orderBy: this.orderBy,
			orderPeriodDays: this.orderPeriodDays,
			limit: this.limit
		});
		return 'rules' in result ? result.rules : null;
	});

	readonly playlistId: string | null;
	readonly #api: PlaylistsApi;
	readonly #timers: Timers;
	#timer: unknown = null;
	#previewSeq = 0;

	constructor(api: PlaylistsApi, playlist: Playlist | null = null, timers: Timers = realTimers) {
		this.#api = api;
		this.#timers = timers;
		this.playlistId = playlist?.id ?? null;
		if (playlist) {
			this.name = playlist.name;
			const rules = playlist.rules;
			if (rules) {
				this.match = rules.match;
				this.rows = rules.rules.length > 0 ? rules.rules.map(toRow) : [newRow()];
				this.orderBy = rules.orderBy;
				this.orderPeriodDays = rules.orderPeriodDays == null ? '' : String(rules.orderPeriodDays);
				this.limit = rules.limit == null ? '' : String(rules.limit);
			}
		}
	}

	addRow(): void {
		this.rows = [...this.rows, newRow()];
		this.changed();
	}

	removeRow(index: number): void {
		this.rows = this.rows.filter((_, i) => i !== index);
		this.rowErrors = this.rowErrors.filter((_, i) => i !== index);
		this.changed();
	}

	setField(index: number, field: string): void {
		const row = this.rows[index];
		if (!row) return;
		this.rows = this.rows.map((r, i) => (i === index ? withField(row, field) : r));
		this.changed();
	}

	/** Something in the draft changed: clear what it invalidated and preview again, later. */
	changed(): void {
		this.rowErrors = [];
		this.formError = null;
		if (this.#timer !== null) this.#timers.clear(this.#timer);
		this.#timer = this.#timers.set(() => {
			this.#timer = null;
			void this.refreshPreview();
		}, PREVIEW_DELAY_MS);
	}

	/** Ask for the count of matching tracks now. */
	async refreshPreview(): Promise<void> {
		const rules = this.rules;
		const seq = ++this.#previewSeq;
		if (!rules) {
			this.preview = { kind: 'idle' };
			return;
		}
		this.preview = { kind: 'loading' };
		try {
			const result = await this.#api.preview(rules);
			if (seq !== this.#previewSeq) return;
			if (result.kind === 'preview') {
				this.preview = {
					kind: 'ready',
					trackCount: result.trackCount,
					durationSeconds: result.durationSeconds,
					titles: result.tracks.map((t) => t.title)
				};
			} else {
				this.preview = { kind: 'invalid', message: result.message };
				this.#showRulesError(result.ruleIndex, result.message);
			}
		} catch (error) {
			if (seq === this.#previewSeq) this.preview = { kind: 'error', message: describeError(error) };
		}
	}

	/** Save; resolves with the playlist, or null with the problems shown. */
	async save(): Promise<Playlist | null> {
		const name = this.name.trim();
		this.nameError = name ? null : 'Give the playlist a name.';
		const result = toRules({
			match: this.match,
			rows: this.rows,
			orderBy: this.orderBy,
			orderPeriodDays: this.orderPeriodDays,
			limit: this.limit
		});
		if (!('rules' in result)) {
			this.rowErrors = result.problems;
			this.formError = result.limitProblem;
			return null;
		}
		if (this.nameError) return null;
		this.saving = true;
		this.formError = null;
		try {
			const saved = this.playlistId
				? await this.#api.update(this.playlistId, { name, rules: result.rules })
				: await this.#api.createSmart({ name, rules: result.rules });
			if (saved.kind === 'ok') return saved.playlist;
			if (saved.kind === 'invalid-rules') this.#showRulesError(saved.ruleIndex, saved.message);
			else if (saved.kind === 'invalid' && saved.field === 'name') this.nameError = saved.message;
			else this.formError = saved.message;
			return null;
		} catch (error) {
			this.formError = describeError(error);
			return null;
		} finally {
			this.saving = false;
		}
	}

	/** Stop the pending preview (the editor closes). */
	destroy(): void {
		if (this.#timer !== null) this.#timers.clear(this.#timer);
		this.#timer = null;
		this.#previewSeq += 1;
	}

	#showRulesError(ruleIndex: number | null, message: string): void {
		if (ruleIndex !== null && ruleIndex >= 0 && ruleIndex < this.rows.length) {
			this.rowErrors = this.rows.map((_, i) => (i === ruleIndex ? message : null));
		} else {
			this.formError = message;
		}
	}
}
