import { SvelteSet } from 'svelte/reactivity';
import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { BrowserSession } from '$lib/api/types';
import type { LoadStatus } from '$lib/library/track-list.svelte';

/** The viewer's signed-in browsers on the settings page: list them, sign one out. */
export class SessionList {
	sessions = $state.raw<BrowserSession[]>([]);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	/** Sessions being ended right now. */
	readonly ending = new SvelteSet<string>();
	/** Why the last end did not work (shown beside the list). */
	actionError = $state<string | null>(null);

	/** The other browsers (not this one). */
	others = $derived(this.sessions.filter((s) => !s.current));

	readonly #api: Pick<TonearmApi, 'sessions' | 'endSession'>;

	constructor(api: Pick<TonearmApi, 'sessions' | 'endSession'>) {
		this.#api = api;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			this.sessions = await this.#api.sessions();
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** Sign one browser out. One that had already ended just leaves the list. */
	async end(id: string): Promise<void> {
		if (this.ending.has(id)) return;
		this.ending.add(id);
		this.actionError = null;
		try {
			await this.#api.endSession(id);
			this.sessions = this.sessions.filter((s) => s.id !== id);
		} catch (error) {
			this.actionError = `Could not sign that browser out. ${describeError(error)}`;
		} finally {
			this.ending.delete(id);
		}
	}
}
