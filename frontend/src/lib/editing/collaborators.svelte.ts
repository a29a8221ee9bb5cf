import { describeError } from '$lib/api/graphql';
import type { Collaborator, CollaboratorRole, CollaboratorsResult, EditingApi, ShareTarget } from '$lib/api/editing';

/** Why the server said no, in words (its message, after a hint for the common cases). */
function refusal(result: Extract<CollaboratorsResult, { kind: 'refused' }>): string {
	switch (result.reason) {
		case 'LastOwnerError':
			return result.message || 'Someone must stay owner: make another person owner first.';
		case 'UserNotFoundError':
			return result.message || 'There is no such user.';
		default:
			return result.message;
	}
}

/**
 * The collaborators panel of a track or an album (for its owners): who has which role,
 * adding someone by username, changing a role, removing. Roles inherited from the album are
 * listed but cannot be changed here.
 */
export class CollaboratorsPanel {
	collaborators = $state.raw<Collaborator[]>([]);
	status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	loadError = $state<string | null>(null);

	adding = $state(false);
	addError = $state<string | null>(null);
	/** The action in flight per user id. */
	pending = $state.raw<Readonly<Record<string, 'role' | 'remove'>>>({});
	rowErrors = $state.raw<Readonly<Record<string, string>>>({});

	readonly target: ShareTarget;
	readonly #api: EditingApi;

	constructor(api: EditingApi, target: ShareTarget) {
		this.#api = api;
		this.target = target;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			const list = await this.#api.collaborators(this.target);
			this.collaborators = list ?? [];
			this.loadError = list === null ? `This ${this.target.kind} is not there any more.` : null;
			this.status = list === null ? 'error' : 'ready';
		} catch (error) {
			this.loadError = describeError(error);
			this.status = 'error';
		}
	}

	/** Add someone by username; resolves true when they are on the list. */
	async add(username: string, role: CollaboratorRole): Promise<boolean> {
		if (this.adding) return false;
		const name = username.trim();
		if (!name) {
			this.addError = 'Enter a username.';
			return false;
		}
		this.adding = true;
		this.addError = null;
		try {
			const user = await this.#api.userByUsername(name);
			if (!user) {
				this.addError = `There is no user named “${name}”.`;
				return false;
			}
			const result = await this.#api.addCollaborator(this.target, user.id, role);
			if (result.kind === 'refused') {
				this.addError = refusal(result);
				return false;
			}
			this.collaborators = result.collaborators;
			return true;
		} catch (error) {
			this.addError = `Not added. ${describeError(error)}`;
			return false;
		} finally {
			this.adding = false;
		}
	}

	setRole(collaborator: Collaborator, role: CollaboratorRole): Promise<void> {
		return this.#act(collaborator, 'role', () => this.#api.updateCollaborator(this.target, collaborator.user.id, role));
	}

	remove(collaborator: Collaborator): Promise<void> {
		return this.#act(collaborator, 'remove', () => this.#api.removeCollaborator(this.target, collaborator.user.id));
	}

	async #act(collaborator: Collaborator, action: 'role' | 'remove', run: () => Promise<CollaboratorsResult>) {
		const id = collaborator.user.id;
		if (collaborator.inherited || this.pending[id]) return;
		this.pending = { ...this.pending, [id]: action };
		this.rowErrors = without(this.rowErrors, id);
		try {
			const result = await run();
			if (result.kind === 'updated') this.collaborators = result.collaborators;
			else this.rowErrors = { ...this.rowErrors, [id]: refusal(result) };
		} catch (error) {
			this.rowErrors = { ...this.rowErrors, [id]: describeError(error) };
		}
		this.pending = without(this.pending, id);
	}
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
	const copy = { ...record };
	delete copy[key];
	return copy;
}
