import { SvelteSet } from 'svelte/reactivity';
import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { ApiToken, CreatedApiToken } from '$lib/api/types';
import type { LoadStatus } from '$lib/library/track-list.svelte';

type TokenApi = Pick<TonearmApi, 'apiTokens' | 'createApiToken' | 'revokeApiToken'>;

/** The viewer's personal API tokens on the settings page: list, create (shown once), revoke. */
export class ApiTokenList {
	tokens = $state.raw<ApiToken[]>([]);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);

	/** The token just created, with its secret: shown until dismissed, never again. */
	created = $state.raw<CreatedApiToken | null>(null);
	creating = $state(false);
	createError = $state<string | null>(null);

	readonly revoking = new SvelteSet<string>();
	actionError = $state<string | null>(null);

	readonly #api: TokenApi;

	constructor(api: TokenApi) {
		this.#api = api;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			this.tokens = await this.#api.apiTokens();
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** Create a token named `name`; resolves true once its secret is on show. */
	async create(name: string): Promise<boolean> {
		const label = name.trim();
		if (this.creating) return false;
		if (!label) {
			this.createError = 'Give the token a name, e.g. the script or device that will use it.';
			return false;
		}
		this.creating = true;
		this.createError = null;
		try {
			const created = await this.#api.createApiToken(label);
			this.created = created;
			this.tokens = [created.apiToken, ...this.tokens.filter((t) => t.id !== created.apiToken.id)];
			return true;
		} catch (error) {
			this.createError = `The token was not created. ${describeError(error)}`;
			return false;
		} finally {
			this.creating = false;
		}
	}

	/** Forget the secret on show (it cannot be shown again). */
	dismissCreated(): void {
		this.created = null;
	}

	async revoke(id: string): Promise<void> {
		if (this.revoking.has(id)) return;
		this.revoking.add(id);
		this.actionError = null;
		try {
			await this.#api.revokeApiToken(id); // false: it was revoked already — gone either way
			this.tokens = this.tokens.filter((t) => t.id !== id);
			if (this.created?.apiToken.id === id) this.created = null;
		} catch (error) {
			this.actionError = `Could not revoke that token. ${describeError(error)}`;
		} finally {
			this.revoking.delete(id);
		}
	}
}
