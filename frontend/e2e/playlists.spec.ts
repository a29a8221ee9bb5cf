/**
 * Playlists, likes, plays and comments (issue 13) against the real server and the demo
 * library (tonearm/library/demo.py): "First Light" has 4 tracks (Quiet Harbour is 28 s),
 * "Paper Planets" 2.
 */
import type { Page } from '@playwright/test';
import { expect, graphql, test, trackRow, waitForTime } from './fixtures';

/** A name no earlier run on this server used (the data dir lives as long as the servers). */
function unique(name: string): string {
	return `${name} ${Date.now().toString(36)}`;
}

function sidebar(page: Page) {
	return page.getByRole('navigation', { name: 'Playlists' });
}

function playlistRows(page: Page) {
	return page.getByRole('list', { name: 'Playlist tracks' }).getByRole('listitem');
}

/** The titles of the playlist's rows, in order. */
async function playlistTitles(page: Page): Promise<string[]> {
	const titles = await playlistRows(page).locator('.title').allTextContents();
	return titles.map((t) => t.trim());
}

/** Open an album's page from the albums index, as a user would (no reload: the music goes on). */
async function openAlbum(page: Page, title: string) {
	await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Albums' }).click();
	await page.getByRole('main').getByRole('link', { name: title, exact: true }).click();
	await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
}

/** "Add to playlist" on the album page, then the playlist; waits for the server's answer. */
async function addAlbumTo(page: Page, album: string, playlist: string, tracks: number) {
	await openAlbum(page, album);
	await page.getByRole('main').getByRole('button', { name: 'Add to playlist' }).click();
	const menu = page.getByRole('group', { name: `Add ${album} to a playlist` });
	await menu.getByRole('button', { name: playlist, exact: true }).click();
	await expect(page.getByRole('status').filter({ hasText: `Added ${tracks} tracks to “${playlist}”.` })).toBeVisible();
}

function isOperation(name: string) {
	return (response: { url(): string; request(): { postData(): string | null } }) =>
		response.url().endsWith('/graphql') && (response.request().postData() ?? '').includes(name);
}

async function trackId(page: Page, serverUrl: string, title: string): Promise<string> {
	const data = await graphql<{ tracks: { edges: { node: { id: string; title: string } }[] } }>(
		page.request,
		serverUrl,
		'query { tracks(first: 100) { edges { node { id title } } } }'
	);
	const id = data.tracks.edges.find((e) => e.node.title === title)?.node.id;
	if (!id) throw new Error(`no track “${title}” in the demo library`);
	return id;
}

test.describe('playlists', () => {
	test('a playlist built from two albums keeps the order it was dragged into', async ({ signedInPage: page }) => {
		const name = unique('Road trip');
		await sidebar(page).getByRole('button', { name: 'New playlist' }).click();
		await sidebar(page).getByLabel('Name').fill(name);
		await sidebar(page).getByRole('button', { name: 'Create' }).click();
		await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
		await expect(page.getByText('No tracks yet')).toBeVisible();

		await addAlbumTo(page, 'First Light', name, 4);
		await addAlbumTo(page, 'Paper Planets', name, 2);

		await sidebar(page).getByRole('link', { name }).click();
		await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
		await expect(playlistRows(page)).toHaveCount(6);
		const before = await playlistTitles(page);
		expect(before.slice(0, 4)).toEqual(['Morning Light', 'Paper Boats', 'Long Drive', 'Quiet Harbour']);
		expect(before.slice(4).sort()).toEqual(['Blue Hour', 'Glass Garden']);

		// Drag the first row onto the third: it lands there, the two before it move up.
		const moved = page.waitForResponse(isOperation('PlayerMovePlaylistItem'));
		await playlistRows(page).nth(0).dragTo(playlistRows(page).nth(2));
		expect((await moved).ok()).toBe(true);
		const dragged = [before[1], before[2], before[0], ...before.slice(3)];
		expect(await playlistTitles(page)).toEqual(dragged);

		await page.reload();
		await expect(playlistRows(page)).toHaveCount(6);
		expect(await playlistTitles(page)).toEqual(dragged);

		// The keyboard alternative: Alt+↓ on a focused row moves it one down.
		const keyed = page.waitForResponse(isOperation('PlayerMovePlaylistItem'));
		await playlistRows(page).nth(0).getByRole('button').filter({ hasText: dragged[0]! }).focus();
		await page.keyboard.press('Alt+ArrowDown');
		expect((await keyed).ok()).toBe(true);
		const afterKeys = [dragged[1], dragged[0], ...dragged.slice(2)];
		expect(await playlistTitles(page)).toEqual(afterKeys);
		await page.reload();
		await expect(playlistRows(page)).toHaveCount(6);
		expect(await playlistTitles(page)).toEqual(afterKeys);
	});
});

test.describe('likes', () => {
	test('a liked track is on the Liked page', async ({ signedInPage: page }) => {
		const heart = trackRow(page, 'Paper Boats').getByRole('button', { name: 'Like Paper Boats' });
		await expect(heart).toBeVisible();
		if ((await heart.getAttribute('aria-pressed')) === 'true') {
			// Liked by an earlier run against the same data dir: start from "not liked".
			const unliked = page.waitForResponse(isOperation('PlayerSetLiked'));
			await heart.click();
			await unliked;
		}
		const liked = page.waitForResponse(isOperation('PlayerSetLiked'));
		await heart.click();
		await expect(heart).toHaveAttribute('aria-pressed', 'true');
		expect((await liked).ok()).toBe(true);

		await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Liked' }).click();
		await expect(page.getByRole('heading', { name: 'Liked', level: 1 })).toBeVisible();
		const list = page.getByRole('list', { name: 'Liked' });
		await expect(list.getByRole('button').filter({ hasText: 'Paper Boats' })).toBeVisible();
		await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Tracks' }).click();
		await expect(list.getByRole('button').filter({ hasText: 'Paper Boats' })).toBeVisible();
		await expect(list.getByRole('button', { name: 'Like Paper Boats' })).toHaveAttribute('aria-pressed', 'true');
	});
});

test.describe('plays', () => {
	test('playing past half of a track counts a play', async ({ signedInPage: page, serverUrl }) => {
		test.setTimeout(90_000);
		const id = await trackId(page, serverUrl, 'Quiet Harbour'); // 28 s: counts after 14 s
		await page.goto(`/tracks/${encodeURIComponent(id)}`);
		await expect(page.getByRole('heading', { name: 'Quiet Harbour', level: 1 })).toBeVisible();
		const count = page.getByTestId('play-count');
		const before = Number(/\d+/.exec((await count.textContent()) ?? '')?.[0]);
		expect(Number.isInteger(before)).toBe(true);

		const recorded = page.waitForResponse(isOperation('PlayerRecordPlay'), { timeout: 40_000 });
		await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
		await waitForTime(page, 1);
		const response = await recorded;
		const body = (await response.json()) as {
			data: { recordPlay: { __typename: string; counted?: boolean; track?: { playCount: number } } };
		};
		expect(body.data.recordPlay).toMatchObject({ __typename: 'RecordedPlay', counted: true });
		const audio = await page.locator('audio').evaluate((a: HTMLAudioElement) => a.currentTime);
		expect(audio).toBeGreaterThanOrEqual(14);
		await expect(count).toHaveText(`${before + 1} ${before + 1 === 1 ? 'play' : 'plays'}`);

		// Once per play: the rest of the track reports nothing more.
		let again = 0;
		page.on('request', (request) => {
			if ((request.postData() ?? '').includes('PlayerRecordPlay')) again += 1;
		});
		await waitForTime(page, 20, 20_000);
		expect(again).toBe(0);

		await page.reload();
		await expect(page.getByTestId('play-count')).toHaveText(`${before + 1} ${before + 1 === 1 ? 'play' : 'plays'}`);
		await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'History' }).click();
		await expect(
			page.getByRole('list', { name: 'Plays' }).getByRole('button').filter({ hasText: 'Quiet Harbour' }).first()
		).toBeVisible();
	});
});

test.describe('comments', () => {
	test('a comment with markup in it shows as text and runs nothing', async ({ signedInPage: page }) => {
		const dialogs: string[] = [];
		page.on('dialog', (dialog) => {
			dialogs.push(`${dialog.type()}: ${dialog.message()}`);
			void dialog.dismiss();
		});
		const markup = `<img src=x onerror=alert(1)> ${unique('note')}`;
		const body = `${markup}\nsecond line`;

		await openAlbum(page, 'First Light');
		await page.getByLabel('Comment on this album').fill(body);
		await expect(page.getByText(`${body.length} / 2,000`)).toBeVisible();
		const posted = page.waitForResponse(isOperation('PlayerAddComment'));
		await page.getByRole('button', { name: 'Post comment' }).click();
		expect((await posted).ok()).toBe(true);

		const comment = page.getByRole('list', { name: 'Comments' }).getByRole('listitem').first();
		await expect(comment).toContainText(markup);
		// Exactly as typed: the markup as characters, the line break kept.
		expect(await comment.locator('.body').textContent()).toBe(body);
		await expect(comment.locator('.body')).toHaveCSS('white-space', 'pre-wrap');
		await expect(comment.locator('img')).toHaveCount(0);
		await expect(page.getByLabel('Comment on this album')).toHaveValue('');

		// Still text after a reload (from the server, not the page's own copy).
		await page.reload();
		const reloaded = page.getByRole('list', { name: 'Comments' }).getByRole('listitem').first();
		await expect(reloaded).toContainText(markup);
		expect(await reloaded.locator('.body').textContent()).toBe(body);
		await expect(page.getByRole('main').locator('img[src="x"]')).toHaveCount(0);
		await page.waitForTimeout(500); // an onerror would have fired by now
		expect(dialogs).toEqual([]);
	});
});
