import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests against a real tonearm server (see e2e/global-setup.ts): it builds the
 * player, generates the demo library once, starts two servers (normal and 3 s stream-URL
 * lifetime) and exports their URLs as TONEARM_E2E_URL / TONEARM_E2E_SHORT_TTL_URL.
 *
 * Browser: Debian's Chromium (Playwright's own browser download is not used). Override the
 * path with CHROMIUM_PATH, the tonearm executable with TONEARM_BIN.
 */
export default defineConfig({
	testDir: './e2e',
	globalSetup: './e2e/global-setup.ts',
	outputDir: './test-results',
	fullyParallel: false,
	workers: 1,
	retries: 0,
	timeout: 45_000,
	expect: { timeout: 10_000 },
	reporter: process.env.CI ? [['list']] : [['list']],
	forbidOnly: !!process.env.CI,
	use: {
		browserName: 'chromium',
		viewport: { width: 1280, height: 800 },
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run',
				'--autoplay-policy=no-user-gesture-required'
			]
		}
	}
});
