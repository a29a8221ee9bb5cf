import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { AccountUser, Role, UserChanges } from '$lib/api/types';
import type { LoadStatus } from '$lib/library/track-list.svelte';

type AdminApi = Pick<TonearmApi, 'users' | 'createUser' | 'updateUser' | 'resetUserPassword'>;

/** A one-time password just issued: shown once, with whom it is for and why. */
export interface IssuedPassword {
	userId: string;
	username: string;
	password: string;
	reason: 'created' | 'reset';
}

export type UserAction = 'role' | 'disabled' | 'upload' | 'reset';

/**
 * The admin page: the list of accounts and what an admin does to them. Refusals the server
 * explains (duplicate name, last admin…) are kept per form or row and shown inline.
 */
export class UserAdmin {
	users = $state.raw<AccountUser[]>([]);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);

	creating = $state(false);
	createError = $state<string | null>(null);
	/** The last one-time password handed out; never kept anywhere else, gone when dismissed. */
	issued = $state.raw<IssuedPassword | null>(null);

	/** The action in flight per user id. */
	pending = $state.raw<Readonly<Record<string, UserAction>>>({});
	/** The last refusal per user id. */
	rowErrors = $state.raw<Readonly<Record<string, string>>>({});

	readonly #api: AdminApi;

	constructor(api: AdminApi) {
		this.#api = api;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			this.users = await this.#api.users();
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** Add an account; resolves true once its one-time password is on show. */
	async create(username: string, role: Role): Promise<boolean> {
		if (this.creating) return false;
		const name = username.trim();
		if (!name) {
			this.createError = 'Enter a username.';
			return false;
		}
		this.creating = true;
		this.createError = null;
		try {
			const result = await this.#api.createUser(name, role);
			if (result.kind !== 'created') {
				this.createError = result.message;
				return false;
			}
			this.users = sortByName([...this.users, result.user]);
			this.issued = {
				userId: result.user.id,
				username: result.user.username,
				password: result.oneTimePassword,
				reason: 'created'
			};
			return true;
		} catch (error) {
			this.createError = `The user was not created. ${describeError(error)}`;
			return false;
		} finally {
			this.creating = false;
		}
	}

	setRole(user: AccountUser, role: Role): Promise<void> {
		return this.#update(user, 'role', { role });
	}

	setDisabled(user: AccountUser, disabled: boolean): Promise<void> {
		return this.#update(user, 'disabled', { disabled });
	}

	/** Allow or stop uploads by a listener (admins may always upload). */
	setCanUpload(user: AccountUser, canUpload: boolean): Promise<void> {
		return this.#update(user, 'upload', { canUpload });
	}

	/** A new one-time password for the user (their sessions and API tokens end). */
	async resetPassword(user: AccountUser): Promise<void> {
		await this.#act(user, 'reset', async () => {
			const result = await this.#api.resetUserPassword(user.id);
			if (result.kind !== 'reset') return result.message;
			this.#replace(result.user);
			this.issued = {
				userId: user.id,
				username: result.user.username,
				password: result.oneTimePassword,
				reason: 'reset'
			};
			return null;
		});
	}

	dismissIssued(): void {
		this.issued = null;
	}

	async #update(user: AccountUser, action: UserAction, changes: UserChanges): Promise<void> {
		await this.#act(user, action, async () => {
			const result = await this.#api.updateUser(user.id, changes);
			if (result.kind !== 'updated') return result.message;
			this.#replace(result.user);
			return null;
		});
	}

	/** Run one action on a row: one at a time per user, its refusal kept for the row. */
	async #act(user: AccountUser, action: UserAction, run: () => Promise<string | null>): Promise<void> {
		if (this.pending[user.id]) return;
		this.pending = { ...this.pending, [user.id]: action };
		this.rowErrors = without(this.rowErrors, user.id);
		let problem: string | null;
		try {
			problem = await run();
		} catch (error) {
			problem = describeError(error);
		}
		if (problem) this.rowErrors = { ...this.rowErrors, [user.id]: problem };
		this.pending = without(this.pending, user.id);
	}

	#replace(user: AccountUser): void {
		this.users = this.users.map((u) => (u.id === user.id ? user : u));
	}
}

function sortByName(users: AccountUser[]): AccountUser[] {
	return [...users].sort((a, b) => a.username.toLocaleLowerCase().localeCompare(b.username.toLocaleLowerCase()));
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
	const copy = { ...record };
	delete copy[key];
	return copy;
}
