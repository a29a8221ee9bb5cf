import { describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LENGTH, checkPasswordChange } from './password-rules';

describe('checkPasswordChange', () => {
	it('accepts a long enough new password typed twice', () => {
		expect(checkPasswordChange('old-password', 'a-new-password', 'a-new-password')).toBeNull();
	});

	it.each([
		['', 'a-new-password', 'a-new-password', 'current', 'Enter your current password.'],
		['old-password', 'short', 'short', 'new', 'Choose a password of at least 8 characters.'],
		['old-password', 'x'.repeat(MAX_PASSWORD_LENGTH + 1), 'x', 'new', 'Passwords may have at most 1024 characters.'],
		['same-password', 'same-password', 'same-password', 'new', 'The new password must differ from the current one.'],
		['old-password', 'a-new-password', 'a-new-passw0rd', 'confirm', 'The two new passwords do not match.']
	])('refuses %j → %j / %j on the %s field', (current, next, confirm, field, message) => {
		expect(checkPasswordChange(current, next, confirm)).toEqual({ field, message });
	});
});
