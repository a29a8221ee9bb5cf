import type { Locator, Page } from '@playwright/test';
import { audioState, expect, graphql, test, trackButton, trackRow, waitForTime } from './fixtures';

// The demo library (tonearm/library/demo.py): six albums, each folder with a cover.jpg; one
// on two discs with subtitles, one compilation, one track with a featured artist.
const ALBUMS_BY_YEAR = ['Lumière', 'Night Signals', 'Summer Sampler', 'Loose Ends', 'First Light', 'Paper Planets'];

function albumGrid(page: Page, name = 'Albums') {
	return page.getByRole('list', { name, exact: true });
}

function tile(grid: Locator, title: string) {
	return grid.getByRole('listitem').filter({ has: grid.page().getByRole('link', { name: title, exact: true }) });
}

/** Every `<img>` under `scope` has decoded a real picture (the cover route answered it). */
async function expectImagesLoaded(scope: Locator) {
	const images = scope.locator('img');
	await expect(images.first()).toBeVisible();
	await expect
		.poll(() => images.evaluateAll((all) => all.map((img) => (img as HTMLImageElement).naturalWidth)))
		.toEqual(expect.not.arrayContaining([0]));
}

/** The demo album with this title, from the API (id, placeholder colour). */
async function albumFromApi(page: Page, serverUrl: string, title: string) {
	const data = await graphql<{
		albums: { edges: { node: { id: string; title: string; coverArt: { placeholder: string } | null } }[] };
	}>(page.request, serverUrl, 'query { albums(first: 100) { edges { node { id title coverArt { placeholder } } } } }');
	const album = data.albums.edges.map((e) => e.node).find((a) => a.title === title);
	if (!album) throw new Error(`no album ${title}`);
	return album;
}

function hexToRgb(hex: string): string {
	const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
	return `rgb(${r}, ${g}, ${b})`;
}

test.describe('albums', () => {
	test('the grid shows every album with its cover, artist and year, in the order chosen', async ({
		signedInPage: page,
		serverUrl
	}) => {
		await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Albums' }).click();
		await expect(page).toHaveURL(/\/albums$/);
		const grid = albumGrid(page);
		await expect(grid.getByRole('listitem')).toHaveCount(ALBUMS_BY_YEAR.length);
		await expect(page.getByRole('heading', { name: 'Albums', level: 1 })).toBeVisible();

		const first = tile(grid, 'First Light');
		await expect(first).toContainText('Aurora Fields');
		await expect(first).toContainText('2024');
		await expect(first.getByRole('link', { name: 'Aurora Fields' })).toBeVisible();
		await expectImagesLoaded(grid);

		// The tile is painted with the album's placeholder colour under the image, and is square.
		const { coverArt } = await albumFromApi(page, serverUrl, 'First Light');
		expect(coverArt).not.toBeNull();
		const square = first.locator('.cover');
		await expect(square).toHaveCSS('background-color', hexToRgb(coverArt!.placeholder));
		const box = await square.boundingBox();
		expect(Math.abs((box?.width ?? 0) - (box?.height ?? 1))).toBeLessThan(1);
		expect(await first.locator('img').getAttribute('loading')).toBe('lazy');
		expect(await first.locator('img').getAttribute('src')).toMatch(/^\/api\/art\/[0-9a-f]{64}\/\d+$/);

		await page.getByLabel('Sort by').selectOption('YEAR');
		await expect(page).toHaveURL(/\/albums\?sort=year$/);
		await expect.poll(() => grid.locator('.title').allTextContents()).toEqual(ALBUMS_BY_YEAR);

		// The order is in the URL: a reload keeps it.
		await page.reload();
		await expect(page.getByLabel('Sort by')).toHaveValue('YEAR');
		await expect.poll(() => albumGrid(page).locator('.title').allTextContents()).toEqual(ALBUMS_BY_YEAR);
		await page.screenshot({ path: 'e2e/artifacts/albums.png' });
	});

	test('an album page shows its discs with their subtitles and plays the album', async ({ signedInPage: page }) => {
		await page.goto('/albums');
		await tile(albumGrid(page), 'Loose Ends').getByRole('link', { name: 'Loose Ends' }).click();
		await expect(page).toHaveURL(/\/albums\/[^/]+$/);
		await expect(page.getByRole('heading', { name: 'Loose Ends', level: 1 })).toBeVisible();
		await expect(page.getByRole('link', { name: 'Basement Tapes' }).first()).toBeVisible();
		await expect(page.getByText('3 tracks')).toBeVisible();
		await expect(page.getByText('2023', { exact: true })).toBeVisible();
		await expect(page.getByText('Lo-fi')).toBeVisible();
		await expectImagesLoaded(page.locator('.album-header'));

		await expect(page.getByRole('heading', { name: 'Disc 1: Sides' })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Disc 2: Live at the Basement' })).toBeVisible();
		const disc1 = page.getByRole('list', { name: 'Disc 1' });
		const disc2 = page.getByRole('list', { name: 'Disc 2' });
		await expect(disc1.getByRole('listitem')).toHaveCount(2);
		await expect(disc2.getByRole('listitem')).toHaveCount(1);
		await expect(disc1.getByRole('listitem').first()).toContainText('Copper Wire');
		await expect(disc2).toContainText('Encore');

		await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
		await waitForTime(page, 0.3);
		await expect(disc1.getByRole('button').filter({ hasText: 'Copper Wire' })).toHaveAttribute('aria-current', 'true');
		await expect(page.getByRole('main').getByRole('button', { name: 'Pause', exact: true })).toBeVisible();

		// A click on a track plays the album from there; Next goes on within the album.
		await disc1.getByRole('button').filter({ hasText: 'Static Bloom' }).click();
		await expect(disc1.getByRole('button').filter({ hasText: 'Static Bloom' })).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.3);
		await page.getByRole('button', { name: 'Next track' }).click();
		await expect(disc2.getByRole('button').filter({ hasText: 'Encore' })).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.3);
		await page.screenshot({ path: 'e2e/artifacts/album.png' });
	});

	test('Add to queue plays the album after the current track; Shuffle plays all of it', async ({
		signedInPage: page
	}) => {
		await trackButton(page, 'Morning Light').click();
		await waitForTime(page, 0.2);
		// Within the app (a page.goto would load it afresh, and stop the music).
		await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Albums' }).click();
		await page.getByRole('main').getByRole('link', { name: 'Night Signals', exact: true }).click();
		await page.getByRole('button', { name: 'Add to queue' }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Added 3 tracks to the queue.' })).toBeVisible();
		await page.getByRole('button', { name: 'Next track' }).click();
		await expect(
			page.getByRole('list', { name: 'Tracks' }).getByRole('button').filter({ hasText: 'Neon Rain' })
		).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.2);

		await page.getByRole('main').getByRole('button', { name: 'Shuffle', exact: true }).click();
		await expect(page.getByRole('button', { name: 'Shuffle', pressed: true })).toBeVisible();
		await waitForTime(page, 0.2);
		const current = page.getByRole('list', { name: 'Tracks' }).locator('[aria-current="true"]');
		await expect(current).toHaveCount(1);
	});

	test('a compilation is credited to Various Artists and names each track’s artist', async ({ signedInPage: page }) => {
		await page.goto('/albums');
		const sampler = tile(albumGrid(page), 'Summer Sampler');
		await expect(sampler).toContainText('Various Artists');
		await sampler.getByRole('link', { name: 'Summer Sampler' }).click();
		await expect(page.getByRole('heading', { name: 'Summer Sampler', level: 1 })).toBeVisible();
		await expect(page.getByText('Compilation', { exact: true })).toBeVisible();
		await expect(page.locator('.album-header .credit')).toHaveText('Various Artists');
		const rows = page.getByRole('list', { name: 'Tracks' }).getByRole('listitem');
		await expect(rows).toHaveCount(3);
		await expect(rows.nth(0)).toContainText('Sunday Static');
		await expect(rows.nth(0).getByRole('link', { name: 'The Static Hearts' })).toBeVisible();
		await expect(rows.nth(1).getByRole('link', { name: 'Aurora Fields' })).toBeVisible();
		await expect(rows.nth(2).getByRole('link', { name: 'Kite Parade' })).toBeVisible();
		await expectImagesLoaded(page.locator('.album-header'));
	});

	test('an unknown album says so', async ({ signedInPage: page }) => {
		await page.goto(
			`/albums/${encodeURIComponent(Buffer.from('Album:00000000-0000-4000-8000-000000000000').toString('base64'))}`
		);
		await expect(page.getByRole('heading', { name: 'No such album' })).toBeVisible();
		await page.goto('/albums/not-an-id');
		await expect(page.getByRole('heading', { name: 'No such album' })).toBeVisible();
		await page.getByRole('link', { name: 'All albums' }).click();
		await expect(albumGrid(page).getByRole('listitem')).toHaveCount(ALBUMS_BY_YEAR.length);
	});
});

test.describe('artists', () => {
	test('the index lists the artists with pictures and leads to an artist’s page', async ({ signedInPage: page }) => {
		await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Artists' }).click();
		await expect(page).toHaveURL(/\/artists$/);
		const index = page.getByRole('list', { name: 'Artists', exact: true });
		for (const name of ['Aurora Fields', 'Basement Tapes', 'Kite Parade', 'Mirela Ďurková', 'The Static Hearts']) {
			await expect(index.getByRole('link', { name: new RegExp(`^${name}`) })).toBeVisible();
		}
		await expectImagesLoaded(index);
		await page.screenshot({ path: 'e2e/artifacts/artists.png' });

		await index.getByRole('link', { name: /^Aurora Fields/ }).click();
		await expect(page).toHaveURL(/\/artists\/[^/]+$/);
		await expect(page.getByRole('heading', { name: 'Aurora Fields', level: 1 })).toBeVisible();
		const own = albumGrid(page, 'Albums');
		const appearsOn = albumGrid(page, 'Appears on');
		await expect(page.getByRole('heading', { name: 'Appears on' })).toBeVisible();
		await expect(own.getByRole('listitem')).toHaveCount(1);
		await expect(own).toContainText('First Light');
		await expect(appearsOn.getByRole('listitem')).toHaveCount(1);
		await expect(appearsOn).toContainText('Summer Sampler');
		await expectImagesLoaded(page.locator('main'));
		await page.screenshot({ path: 'e2e/artifacts/artist.png' });
	});

	test('a featured artist has the album they guest on under Appears on', async ({ signedInPage: page }) => {
		await page.goto('/artists');
		await page.getByRole('link', { name: /^Mirela Ďurková/ }).click();
		await expect(albumGrid(page, 'Albums')).toContainText('Lumière');
		await expect(albumGrid(page, 'Appears on')).toContainText('Paper Planets');
	});

	test('Play all plays the artist’s tracks, their own albums first', async ({ signedInPage: page }) => {
		await page.goto('/artists');
		await page.getByRole('link', { name: /^Kite Parade/ }).click();
		await page.getByRole('button', { name: 'Play all' }).click();
		await waitForTime(page, 0.3);
		await expect(page.locator('.now-playing .title')).toHaveText('Blue Hour');
		await page.getByRole('button', { name: 'Next track' }).click();
		await expect(page.locator('.now-playing .title')).toHaveText('Glass Garden');
		await page.getByRole('button', { name: 'Next track' }).click();
		// On the compilation, only their own track: Lantern Festival.
		await expect(page.locator('.now-playing .title')).toHaveText('Lantern Festival');
		await waitForTime(page, 0.2);
	});
});

test.describe('tracks, search and navigation', () => {
	test('track rows show small covers and link the album and each artist', async ({ signedInPage: page }) => {
		const row = trackRow(page, 'Glass Garden');
		await expect(row).toContainText('0:27');
		await expect(row.getByRole('link', { name: 'Kite Parade' })).toBeVisible();
		await expect(row.getByRole('link', { name: 'Mirela Ďurková' })).toBeVisible();
		await expect(row).toContainText('Kite Parade feat. Mirela Ďurková');
		await expectImagesLoaded(row);
		expect(await row.locator('img').getAttribute('src')).toMatch(/\/64$/);

		await row.getByRole('link', { name: 'Paper Planets' }).click();
		await expect(page.getByRole('heading', { name: 'Paper Planets', level: 1 })).toBeVisible();
		await page.goBack();
		await trackRow(page, 'Glass Garden').getByRole('link', { name: 'Mirela Ďurková' }).click();
		await expect(page.getByRole('heading', { name: 'Mirela Ďurková', level: 1 })).toBeVisible();
	});

	test('the player shows the cover and gives the system the artwork', async ({ signedInPage: page }) => {
		await trackButton(page, 'Long Drive').click();
		await waitForTime(page, 0.2);
		await expectImagesLoaded(page.locator('.now-playing'));
		const artwork = await page.evaluate(() =>
			(navigator.mediaSession.metadata?.artwork ?? []).map((a) => ({ src: a.src, sizes: a.sizes, type: a.type }))
		);
		expect(artwork.map((a) => a.sizes)).toEqual(['64x64', '300x300', '600x600']);
		for (const image of artwork) {
			expect(image.type).toBe('image/jpeg');
			expect(image.src).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/art\/[0-9a-f]{64}\/\d+$/);
		}
		const cover = await page.request.get(artwork[0]!.src);
		expect(cover.status()).toBe(200);
		expect(cover.headers()['content-type']).toMatch(/^image\//);
		await page.locator('.now-playing').getByRole('link', { name: 'Album: First Light' }).click();
		await expect(page.getByRole('heading', { name: 'First Light', level: 1 })).toBeVisible();
		expect((await audioState(page)).paused).toBe(false);
	});

	test('search shows artists, albums and tracks from one request, each leading to its page', async ({
		signedInPage: page
	}) => {
		const searches: string[] = [];
		page.on('request', (request) => {
			const body = request.postData() ?? '';
			if (request.url().endsWith('/graphql') && body.includes('PlayerSearch')) searches.push(body);
		});
		await page.getByRole('searchbox', { name: 'Search the library' }).fill('kite');
		await expect(page.getByRole('heading', { name: 'Results for “kite”' })).toBeVisible();
		await expect(page).toHaveURL(/\/\?q=kite$/);
		const artists = page.getByRole('list', { name: 'Matching artists' });
		const albums = page.getByRole('list', { name: 'Matching albums' });
		await expect(page.getByRole('heading', { name: 'Artists', level: 3 })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Albums', level: 3 })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Tracks', level: 3 })).toBeVisible();
		await expect(artists.getByRole('link', { name: /^Kite Parade/ })).toBeVisible();
		await expect(albums.getByRole('link', { name: 'Paper Planets', exact: true })).toBeVisible();
		await expect(trackButton(page, 'Blue Hour')).toBeVisible();
		expect(searches).toHaveLength(1);
		expect(searches[0]).toMatch(/artistMatches: artists\(.*albumMatches: albums\(.*trackMatches: tracks\(/);

		await albums.getByRole('link', { name: 'Paper Planets', exact: true }).click();
		await expect(page.getByRole('heading', { name: 'Paper Planets', level: 1 })).toBeVisible();
		await page.goBack();
		await expect(page.getByRole('heading', { name: 'Results for “kite”' })).toBeVisible();
		await artists.getByRole('link', { name: /^Kite Parade/ }).click();
		await expect(page.getByRole('heading', { name: 'Kite Parade', level: 1 })).toBeVisible();
		await page.goBack();
		// Reloaded, the URL brings the search back.
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Results for “kite”' })).toBeVisible();
		await expect(page.getByRole('searchbox', { name: 'Search the library' })).toHaveValue('kite');
	});

	test('deep links load on their own, reload keeps the page and the back button retraces', async ({
		signedInPage: page
	}) => {
		await page.goto('/albums');
		await page.getByRole('link', { name: 'Lumière', exact: true }).click();
		await expect(page.getByRole('heading', { name: 'Lumière', level: 1 })).toBeVisible();
		const albumUrl = page.url();
		await page.getByRole('link', { name: 'Mirela Ďurková' }).first().click();
		await expect(page.getByRole('heading', { name: 'Mirela Ďurková', level: 1 })).toBeVisible();
		const artistUrl = page.url();

		await page.reload();
		await expect(page.getByRole('heading', { name: 'Mirela Ďurková', level: 1 })).toBeVisible();
		await page.goBack();
		await expect(page).toHaveURL(albumUrl);
		await expect(page.getByRole('heading', { name: 'Lumière', level: 1 })).toBeVisible();
		await page.goBack();
		await expect(page).toHaveURL(/\/albums$/);
		await expect(albumGrid(page).getByRole('listitem')).toHaveCount(ALBUMS_BY_YEAR.length);
		await page.goForward();
		await expect(page.getByRole('heading', { name: 'Lumière', level: 1 })).toBeVisible();

		// A fresh tab straight onto each page (the server answers with the SPA shell).
		for (const url of [albumUrl, artistUrl]) {
			const response = await page.request.get(url);
			expect(response.status()).toBe(200);
			expect(response.headers()['content-type']).toMatch(/^text\/html/);
			const fresh = await page.context().newPage();
			await fresh.goto(url);
			await expect(fresh.getByRole('heading', { level: 1 })).toHaveText(/Lumière|Mirela Ďurková/);
			await fresh.close();
		}
	});

	test('moving between pages never stops the music', async ({ signedInPage: page }) => {
		await trackButton(page, 'Long Drive').click();
		await waitForTime(page, 0.5);
		const nav = page.getByRole('navigation', { name: 'Pages' });
		await nav.getByRole('link', { name: 'Albums' }).click();
		await page.getByRole('main').getByRole('link', { name: 'First Light', exact: true }).click();
		await expect(page.getByRole('heading', { name: 'First Light', level: 1 })).toBeVisible();
		await nav.getByRole('link', { name: 'Artists' }).click();
		await page.goBack();
		await page.goBack();
		const before = (await audioState(page)).currentTime;
		await waitForTime(page, before + 0.5);
		const after = await audioState(page);
		expect(after.paused).toBe(false);
		expect(after.src).toMatch(/\/stream\?token=/);
	});

	test('keyboard: tiles and track rows are reachable and show focus', async ({ signedInPage: page }) => {
		await page.goto('/albums');
		// Focus arrives by keyboard (Tab back and forth), as :focus-visible needs.
		const link = page.getByRole('link', { name: 'First Light', exact: true });
		await link.focus();
		await page.keyboard.press('Tab');
		await page.keyboard.press('Shift+Tab');
		await expect(link).toBeFocused();
		await expect(link).toHaveCSS('outline-style', 'solid');
		await page.keyboard.press('Enter');
		await expect(page.getByRole('heading', { name: 'First Light', level: 1 })).toBeVisible();

		const row = page.getByRole('list', { name: 'Tracks' }).getByRole('button').filter({ hasText: 'Paper Boats' });
		await row.focus();
		await page.keyboard.press('Tab');
		await page.keyboard.press('Shift+Tab');
		await expect(row).toBeFocused();
		// The row's focus ring is drawn around the whole row (the button's ::after covers it).
		expect(await row.evaluate((el) => getComputedStyle(el, '::after').outlineStyle)).toBe('solid');
		await page.keyboard.press('Enter');
		await expect(row).toHaveAttribute('aria-current', 'true');
		await waitForTime(page, 0.2);
	});
});
