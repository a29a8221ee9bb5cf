import type { Response } from '@playwright/test';
import {
	LONG_TRACK,
	audioState,
	clickSeek,
	expect,
	test,
	trackButton,
	throttleNetwork,
	trackRow,
	unbufferedFraction,
	waitForTime
} from './fixtures';

test.describe('library', () => {
	test('lists every track of the library with totals', async ({ signedInPage: page, libraryTracks }) => {
		const list = page.getByRole('list', { name: 'Tracks' });
		await expect(list.getByRole('listitem')).toHaveCount(libraryTracks.length);
		for (const track of libraryTracks) {
			await expect(trackButton(page, track.title)).toBeVisible();
		}
		await expect(trackRow(page, LONG_TRACK)).toContainText('3:00');
		expect(
			libraryTracks.some((t) => /[^\p{ASCII}]/u.test(t.title)),
			'demo library has a non-ASCII title'
		).toBe(true);
		await expect(page.getByLabel('Library totals')).toContainText(`${libraryTracks.length} tracks`);
	});

	test('search narrows the list and says when nothing matches', async ({ signedInPage: page, libraryTracks }) => {
		const rows = page.getByRole('list', { name: 'Tracks' }).getByRole('listitem');
		await expect(rows).toHaveCount(libraryTracks.length);

		await page.getByRole('searchbox', { name: 'Search the library' }).fill('long drive');
		await expect(page.getByRole('heading', { name: 'Results for “long drive”' })).toBeVisible();
		await expect(trackButton(page, LONG_TRACK)).toBeVisible();
		const count = await rows.count();
		expect(count).toBeGreaterThan(0);
		expect(count).toBeLessThan(libraryTracks.length);

		await page.getByRole('searchbox', { name: 'Search the library' }).fill('zzz-no-such-track');
		await expect(page.getByText('No results for “zzz-no-such-track”.')).toBeVisible();
		await page.getByRole('button', { name: 'Clear search' }).click();
		await expect(rows).toHaveCount(libraryTracks.length);
	});
});

test.describe('playback', () => {
	test('clicking a track plays it and marks it current', async ({ signedInPage: page, libraryTracks }) => {
		const track = libraryTracks.find((t) => t.title !== LONG_TRACK) ?? libraryTracks[0]!;
		await trackButton(page, track.title).click();
		await waitForTime(page, 0.5);
		await expect(trackButton(page, track.title)).toHaveAttribute('aria-current', 'true');
		await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
		await expect(page).toHaveTitle(new RegExp(track.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
		const state = await audioState(page);
		expect(state.src).toMatch(/\/api\/tracks\/[^/]+\/stream\?token=/);
	});

	test('seeking to an unbuffered point sends a Range request answered 206 and plays on', async ({
		signedInPage: page
	}) => {
		const ranged: { range: string; status: number }[] = [];
		page.on('response', (response: Response) => {
			const request = response.request();
			if (!request.url().includes('/stream?')) return;
			const range = request.headers()['range'];
			if (range) ranged.push({ range, status: response.status() });
		});

		// At 2 Mbit/s (about 6× the 320 kbps track's rate) the seek target stays ahead of what
		// Chromium has read; on loopback it could read the whole file before the seek.
		await throttleNetwork(page, 256 * 1024);
		await trackButton(page, LONG_TRACK).click();
		await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1);
		const before = await audioState(page);
		expect(before.duration).toBeGreaterThan(150);
		const fraction = unbufferedFraction(before, 0.75);
		const target = before.duration * fraction;

		ranged.length = 0;
		await clickSeek(page, fraction);

		await expect
			.poll(() => ranged.find((r) => r.status === 206 && Number(/bytes=(\d+)-/.exec(r.range)?.[1] ?? 0) > 0), {
				message: 'a Range request from the middle of the file answered 206'
			})
			.toBeTruthy();
		await waitForTime(page, target - 3);
		const after = await audioState(page);
		expect(after.currentTime).toBeGreaterThan(target - 5);
		expect(after.currentTime).toBeLessThan(target + 5);
		await page.waitForTimeout(1000);
		const later = await audioState(page);
		expect(later.currentTime, 'playback continues after the seek').toBeGreaterThan(after.currentTime + 0.5);
		await expect(page.getByRole('slider', { name: 'Seek' })).toHaveAttribute(
			'aria-valuetext',
			/^\d+:\d\d of \d+:\d\d$/
		);
	});

	test('pause stops the clock and play resumes it', async ({ signedInPage: page, libraryTracks }) => {
		await trackButton(page, libraryTracks[0]!.title).click();
		await waitForTime(page, 0.5);
		await page.getByRole('button', { name: 'Pause' }).click();
		await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible();
		const paused = await audioState(page);
		expect(paused.paused).toBe(true);
		await page.waitForTimeout(1000);
		expect((await audioState(page)).currentTime).toBeCloseTo(paused.currentTime, 2);
		await page.getByRole('button', { name: 'Play', exact: true }).click();
		await waitForTime(page, paused.currentTime + 0.3);
	});

	test('space toggles play/pause; arrows seek', async ({ signedInPage: page }) => {
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.3);
		// Move focus off the track button, as a user clicking the page would.
		await page.getByRole('heading', { name: 'All tracks' }).click();
		await page.keyboard.press('Space');
		await expect.poll(async () => (await audioState(page)).paused).toBe(true);
		const t = (await audioState(page)).currentTime;
		await page.keyboard.press('ArrowRight');
		await expect.poll(async () => (await audioState(page)).currentTime).toBeGreaterThan(t + 4);
		await page.keyboard.press('Space');
		await expect.poll(async () => (await audioState(page)).paused).toBe(false);
		await waitForTime(page, t + 5.2);
	});

	test('next and previous move through the list', async ({ signedInPage: page, libraryTracks }) => {
		const first = libraryTracks[0]!;
		const second = libraryTracks[1]!;
		await trackButton(page, first.title).click();
		await waitForTime(page, 0.2);
		await page.getByRole('button', { name: 'Next track' }).click();
		await expect(trackButton(page, second.title)).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.2);
		await page.getByRole('button', { name: 'Previous track' }).click();
		await expect(trackButton(page, first.title)).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.2);
	});

	test('screenshot of the player', async ({ signedInPage: page }) => {
		await trackButton(page, LONG_TRACK).click();
		await waitForTime(page, 0.5);
		await page.screenshot({ path: 'e2e/artifacts/player.png' });
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.screenshot({ path: 'e2e/artifacts/player-dark.png' });
	});

	test('fits a 375 px wide screen', async ({ signedInPage: page, libraryTracks }) => {
		await page.setViewportSize({ width: 375, height: 740 });
		await trackButton(page, libraryTracks[0]!.title).click();
		await waitForTime(page, 0.2);
		for (const name of ['Pause', 'Next track', 'Previous track', 'Seek', 'Volume', 'Mute']) {
			await expect(
				page.getByRole(name === 'Seek' || name === 'Volume' ? 'slider' : 'button', { name, exact: true })
			).toBeInViewport();
		}
		await expect(page.getByRole('button', { name: 'Log out' })).toBeInViewport();
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		expect(overflow).toBeLessThanOrEqual(0);
		await page.screenshot({ path: 'e2e/artifacts/player-375.png' });
	});
});
