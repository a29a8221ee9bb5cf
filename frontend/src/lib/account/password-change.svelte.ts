import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { Viewer } from '$lib/api/types';
import { checkPasswordChange, type PasswordField } from './password-rules';

export type PasswordChangeState =
	| { kind: 'idle' }
	| { kind: 'submitting' }
	| { kind: 'changed' }
	| { kind: 'problem'; field: PasswordField | null; message: string };

const IDLE: PasswordChangeState = { kind: 'idle' };

/**
 * The change-password form (settings page, and the screen after a one-time password):
 * current + new + confirmation, checked locally, then `changePassword`. The server ends the
 * viewer's other sessions and keeps this one.
 */
export class PasswordChange {
	current = $state('');
	next = $state('');
	confirm = $state('');
	state = $state.raw<PasswordChangeState>(IDLE);

	submitting = $derived(this.state.kind === 'submitting');
	/** The field the last problem was about (mark it invalid). */
	invalidField = $derived(this.state.kind === 'problem' ? this.state.field : null);

	readonly #api: Pick<TonearmApi, 'changePassword'>;

	constructor(api: Pick<TonearmApi, 'changePassword'>) {
		this.#api = api;
	}

	/** Send the form; resolves with the updated viewer once the password is changed. */
	async submit(): Promise<Viewer | null> {
		if (this.submitting) return null;
		const problem = checkPasswordChange(this.current, this.next, this.confirm);
		if (problem) {
			this.state = { kind: 'problem', ...problem };
			return null;
		}
		this.state = { kind: 'submitting' };
		let result;
		try {
			result = await this.#api.changePassword(this.current, this.next);
		} catch (error) {
			this.state = { kind: 'problem', field: null, message: `The password was not changed. ${describeError(error)}` };
			return null;
		}
		switch (result.kind) {
			case 'changed':
				this.current = this.next = this.confirm = '';
				this.state = { kind: 'changed' };
				return result.viewer;
			case 'wrong-password':
				this.current = '';
				this.state = { kind: 'problem', field: 'current', message: result.message };
				return null;
			case 'rejected':
				this.state = { kind: 'problem', field: 'new', message: result.message };
				return null;
			case 'rate-limited':
				this.state = { kind: 'problem', field: 'current', message: result.message };
				return null;
		}
	}

	/** Forget what the last attempt said (e.g. when the user edits a field again). */
	clearMessage(): void {
		if (this.state.kind !== 'submitting') this.state = IDLE;
	}
}
