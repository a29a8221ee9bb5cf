/**
 * Pure rules of choosing a password, checked in the browser before anything is sent. The
 * server applies its own (the same lengths, `tonearm/accounts/passwords.py`) and has the
 * last word; these only spare a round trip for the obvious cases.
 */

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export type PasswordField = 'current' | 'new' | 'confirm';

export interface PasswordProblem {
	/** The field to mark and focus (null: not about one field). */
	field: PasswordField | null;
	message: string;
}

/** What is wrong with a change-password form, or null when it may be sent. */
export function checkPasswordChange(current: string, next: string, confirm: string): PasswordProblem | null {
	if (!current) return { field: 'current', message: 'Enter your current password.' };
	if (next.length < MIN_PASSWORD_LENGTH) {
		return { field: 'new', message: `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.` };
	}
	if (next.length > MAX_PASSWORD_LENGTH) {
		return { field: 'new', message: `Passwords may have at most ${MAX_PASSWORD_LENGTH} characters.` };
	}
	if (next === current) return { field: 'new', message: 'The new password must differ from the current one.' };
	if (confirm !== next) return { field: 'confirm', message: 'The two new passwords do not match.' };
	return null;
}
