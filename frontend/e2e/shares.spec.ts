/**
 * Shares (issue 14) against the real server and the demo library: share the album
 * "First Light" with a password, open the link in a fresh browser context with no session
 * on a 375 px screen, unlock it, play and seek "Long Drive" (180 s, several MB: the seek
 * needs a new Range request); revoke it and see the next stream request refused.
 */
import type { Page } from '@playwright/test';
import { audioState, expect, test, unbufferedFraction, waitForTime } from './fixtures';

const ALBUM = 'First Light';
const TRACK = 'Long Drive';
const PASSWORD = `share-${Date.now().toString(36)}`;

async function openAlbum(page: Page, title: string) {
	await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Albums' }).click();
	await page.getByRole('main').getByRole('link', { name: title, exact: true }).click();
	await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
}

/** Every stream request the page makes: its URL, Range header and the answer's status. */
function streamRequests(page: Page) {
	const seen: { url: string; range: string | null; status: number }[] = [];
	page.on('response', (response) => {
		if (!response.url().includes('/stream?token=')) return;
		seen.push({ url: response.url(), range: response.request().headers()['range'] ?? null, status: response.status() });
	});
	return seen;
}

test('share an album with a password, listen without an account, revoke it', async ({
	signedInPage: page,
	browser
}) => {
	test.setTimeout(90_000);
	await openAlbum(page, ALBUM);
	await page.getByRole('main').getByRole('button', { name: 'Share', exact: true }).click();
	const dialog = page.getByRole('dialog', { name: `Share “${ALBUM}”` });
	await dialog.getByLabel('Password (optional)').fill(PASSWORD);
	await dialog.getByRole('button', { name: 'Create link' }).click();
	const linkField = dialog.getByLabel('Share link');
	await expect(linkField).toHaveValue(/\/s\/[A-Za-z0-9_-]{32}$/);
	const link = await linkField.inputValue();
	await dialog.getByRole('button', { name: 'Close' }).click();

	// A fresh browser: no cookies, no session, a phone-sized screen.
	const friend = await browser.newContext({ viewport: { width: 375, height: 740 } });
	const listener = await friend.newPage();
	const streams = streamRequests(listener);
	await listener.goto(link);
	await expect(listener.getByRole('heading', { name: 'This share is protected' })).toBeVisible();
	await expect(listener.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
	await listener.getByLabel('Password').fill('not the password');
	await listener.getByRole('button', { name: 'Unlock' }).click();
	await expect(listener.getByRole('alert')).toHaveText('Wrong password.');
	await listener.getByLabel('Password').fill(PASSWORD);
	await listener.getByRole('button', { name: 'Unlock' }).click();
	await expect(listener.getByRole('heading', { name: ALBUM, level: 1 })).toBeVisible();
	await expect(listener.getByRole('img', { name: `Cover of ${ALBUM}` })).toBeVisible();
	await expect
		.poll(() =>
			listener.getByRole('img', { name: `Cover of ${ALBUM}` }).evaluate((img: HTMLImageElement) => img.naturalWidth)
		)
		.toBeGreaterThan(0);
	const tracks = listener.getByRole('list', { name: 'Shared tracks' }).getByRole('listitem');
	await expect(tracks).toHaveCount(4);
	// Nothing sticks out sideways on a 375 px screen.
	expect(await listener.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

	await listener.getByRole('button', { name: `Play ${TRACK}` }).click();
	await waitForTime(listener, 0.5);
	const state = await audioState(listener);
	const fraction = unbufferedFraction(state, 0.6);
	await listener.locator('audio').evaluate((audio: HTMLAudioElement, at: number) => {
		audio.currentTime = at;
	}, state.duration * fraction);
	await waitForTime(listener, state.duration * fraction);
	expect(streams.some((s) => s.status === 206 && s.range && !s.range.startsWith('bytes=0-'))).toBe(true);

	// Revoke it from "Shared by me".
	await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Shared' }).click();
	await expect(page.getByRole('heading', { name: 'Shared by me' })).toBeVisible();
	await page
		.getByRole('button', { name: `Revoke the link to ${ALBUM}` })
		.first()
		.click();
	await expect(page.getByRole('status').filter({ hasText: `Revoked the link to “${ALBUM}”.` })).toBeVisible();

	// The next stream request is refused (each worker re-checks the share within 5 s). Not
	// from the browser's cache: a stream response may be kept as long as its token lives.
	const url = (await audioState(listener)).src;
	await expect
		.poll(
			() =>
				listener.evaluate(
					async (src) => (await fetch(src, { headers: { Range: 'bytes=1000-1999' }, cache: 'no-store' })).status,
					url
				),
			{ timeout: 12_000, intervals: [500] }
		)
		.toBe(404);
	await listener.reload();
	await expect(listener.getByRole('heading', { name: 'This link has expired or was revoked' })).toBeVisible();
	await friend.close();
});
