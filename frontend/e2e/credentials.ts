/** The accounts global-setup.ts creates in every server's data dir (`tonearm user add`). */
export const E2E_USERNAME = 'e2e-listener';
export const E2E_PASSWORD = 'e2e-password-123';
/** The one admin of each server (accounts.spec.ts manages users with it). */
export const E2E_ADMIN_USERNAME = 'e2e-admin';
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password-123';
