/** The account global-setup.ts creates in every server's data dir (`tonearm user add`). */
export const E2E_USERNAME = 'e2e-listener';
export const E2E_PASSWORD = 'e2e-password-123';
