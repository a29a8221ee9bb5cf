import {
	LONG_TRACK,
	audioState,
	clickSeek,
	expect,
	test,
	trackButton,
	tracksList,
	unbufferedFraction,
	waitForTime
} from './fixtures';
import type { Page } from '@playwright/test';

/** Count createStreamUrl mutations the page sends. */
function countMints(page: Page) {
	const counter = { count: 0 };
	page.on('request', (request) => {
		if (
			request.url().endsWith('/graphql') &&
			request.method() === 'POST' &&
			(request.postData() ?? '').includes('createStreamUrl')
		) {
			counter.count += 1;
		}
	});
	return counter;
}

test.describe('stream URL lifetime (3 s)', () => {
	test.use({
		serverUrl: async ({}, use) => {
			const url = process.env.TONEARM_E2E_SHORT_TTL_URL;
			if (!url) throw new Error('TONEARM_E2E_SHORT_TTL_URL is not set');
			await use(url);
		},
		// A rejected stream request is logged by Chromium as a failed resource load.
		allowedConsoleErrors: [/Failed to load resource: the server responded with a status of 403/]
	});

	test('seeking after the URL expired re-mints and keeps playing', async ({ signedInPage: page }) => {
		const mints = countMints(page);
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.3);
		expect(mints.count).toBe(1);
		await page.waitForTimeout(4_000); // longer than the 3 s lifetime
		// Seek past what Chromium has read ahead, so the browser has to fetch with the old URL.
		const state = await audioState(page);
		const { duration } = state;
		const fraction = unbufferedFraction(state, 0.5);
		await clickSeek(page, fraction);
		await waitForTime(page, duration * fraction - 3);
		const at = (await audioState(page)).currentTime;
		expect(at).toBeGreaterThan(duration * fraction - 5);
		expect(mints.count).toBeGreaterThanOrEqual(2);
		await page.waitForTimeout(1000);
		expect((await audioState(page)).currentTime).toBeGreaterThan(at + 0.5);
		await expect(page.getByRole('alert')).toHaveCount(0);
	});

	test('resuming after the URL expired during a pause continues at the same position', async ({
		signedInPage: page
	}) => {
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 1);
		await page.getByRole('button', { name: 'Pause' }).click();
		const pausedAt = (await audioState(page)).currentTime;
		await page.waitForTimeout(4_000);
		await page.getByRole('button', { name: 'Play', exact: true }).click();
		await waitForTime(page, pausedAt + 0.5);
		const resumed = (await audioState(page)).currentTime;
		expect(resumed).toBeLessThan(pausedAt + 3);
		await expect(page.getByRole('alert')).toHaveCount(0);
	});

	test('a stream the server rejects (403) is re-minted and resumes playing at the same position', async ({
		signedInPage: page
	}) => {
		const mints = countMints(page);
		const rejected: number[] = [];
		page.on('response', (response) => {
			if (response.url().includes('/stream?') && response.status() === 403) rejected.push(response.status());
		});
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 1);
		// Swap in a URL whose token the server refuses, as if it had expired mid-listen.
		const before = await page.locator('audio').evaluate((audio: HTMLAudioElement) => {
			const at = audio.currentTime;
			audio.src = audio.currentSrc.replace(/token=[^&]+/, 'token=tampered');
			return at;
		});
		await expect.poll(() => rejected.length, { message: 'the server answered 403' }).toBeGreaterThan(0);
		await expect.poll(() => mints.count).toBeGreaterThanOrEqual(2);
		await waitForTime(page, before + 0.3);
		const state = await audioState(page);
		expect(state.src).not.toContain('token=tampered');
		expect(state.currentTime).toBeLessThan(before + 5);
		await expect(page.getByRole('alert')).toHaveCount(0);
	});
});

test.describe('stream URLs that come with the track list (default lifetime)', () => {
	test.use({ allowedConsoleErrors: [/Failed to load resource: the server responded with a status of 403/] });

	test('opening the player sends no request, and a track starts without minting', async ({ signedInPage: page }) => {
		const operations: string[] = [];
		page.on('request', (request) => {
			if (request.url().endsWith('/graphql'))
				operations.push(/(?:query|mutation)\s+(\w+)/.exec(request.postData() ?? '')?.[1] ?? '?');
		});
		const shell = page.waitForResponse((response) => new URL(response.url()).pathname === '/');
		await page.reload();
		const document = await shell;
		await expect(tracksList(page)).toBeVisible();
		// The viewer, the totals and the first page with its stream URLs came with the page.
		expect(document.headers()['cache-control']).toBe('private, no-store');
		expect(await document.text()).toContain('<script type="application/json" id="tonearm-boot-answer">');
		await expect(page.locator('#tonearm-boot-answer')).toHaveCount(0); // read once, then gone
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.5);
		expect(operations).toEqual([]);
		const state = await audioState(page);
		expect(state.src).toMatch(/\/api\/tracks\/[^/]+\/stream\?token=/);
	});

	test('a shell without the embedded answer is one request', async ({ signedInPage: page }) => {
		const operations: string[] = [];
		page.on('request', (request) => {
			if (request.url().endsWith('/graphql'))
				operations.push(/(?:query|mutation)\s+(\w+)/.exec(request.postData() ?? '')?.[1] ?? '?');
		});
		// As a signed-out shell is sent, or one whose embedding failed: the shell's script asks.
		await page.route(
			(url) => url.pathname === '/',
			async (route) => {
				if (route.request().resourceType() !== 'document') return route.fallback();
				const response = await route.fetch();
				const html = (await response.text()).replace(
					/<script type="application\/json" id="tonearm-boot-answer">.*?<\/script>/s,
					''
				);
				await route.fulfill({ response, body: html });
			}
		);
		await page.reload();
		await expect(tracksList(page)).toBeVisible();
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.5);
		expect(operations).toEqual(['PlayerBoot']);
	});

	test('a listed URL the server refuses (403) is re-minted and plays', async ({ signedInPage: page }) => {
		const mints = countMints(page);
		let refused = 0;
		// The first request for the listed URL is answered as an expired or revoked token would be.
		await page.route(/\/api\/tracks\/[^/]+\/stream\?token=/, async (route) => {
			if (refused > 0) return route.fallback();
			refused += 1;
			await route.fulfill({ status: 403, contentType: 'application/json', body: '{"error":"invalid_token"}' });
		});
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.5);
		expect(refused).toBe(1);
		expect(mints.count).toBe(1);
		await expect(page.getByRole('alert')).toHaveCount(0);
	});
});
