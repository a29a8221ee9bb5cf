/**
 * The trash (issue 14) against the real server and the demo library: an admin (scanned
 * tracks are the admins' to delete) likes "Glass Garden", which sits second in a playlist,
 * moves it to the trash from the track list, sees it gone from the list, the playlist and
 * Liked, restores it from /trash, and finds the like and the playlist position back.
 */
import type { Page } from '@playwright/test';
import {
	E2E_ADMIN_PASSWORD,
	E2E_ADMIN_USERNAME,
	expect,
	graphql,
	logInThroughUI,
	test,
	trackRow,
	tracksList
} from './fixtures';

const TITLE = 'Glass Garden';

function unique(name: string): string {
	return `${name} ${Date.now().toString(36)}`;
}

async function ids(page: Page, serverUrl: string, titles: string[]): Promise<string[]> {
	const data = await graphql<{ tracks: { edges: { node: { id: string; title: string } }[] } }>(
		page.request,
		serverUrl,
		'query { tracks(first: 100) { edges { node { id title } } } }'
	);
	return titles.map((title) => {
		const id = data.tracks.edges.find((e) => e.node.title === title)?.node.id;
		if (!id) throw new Error(`no track “${title}” in the demo library`);
		return id;
	});
}

function nav(page: Page) {
	return page.getByRole('navigation', { name: 'Pages' });
}

function playlistRows(page: Page) {
	return page.getByRole('list', { name: 'Playlist tracks' }).getByRole('listitem');
}

async function playlistTitles(page: Page): Promise<string[]> {
	return (await playlistRows(page).locator('.title').allTextContents()).map((t) => t.trim());
}

function liked(page: Page) {
	return page.getByRole('list', { name: 'Liked' });
}

test.describe('trash', () => {
	test('a liked track in a playlist comes back from the trash with its like and position', async ({
		page,
		serverUrl
	}) => {
		await page.goto('/');
		await logInThroughUI(page, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD);
		const [first, deleted, third] = await ids(page, serverUrl, ['Morning Light', TITLE, 'Blue Hour']);
		const name = unique('Trash test');
		const created = await graphql<{ createPlaylist: { id: string } }>(
			page.request,
			serverUrl,
			'mutation($n: String!) { createPlaylist(input: {name: $n}) { ... on Playlist { id } } }',
			{ n: name }
		);
		const playlistId = created.createPlaylist.id;
		await graphql(
			page.request,
			serverUrl,
			'mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) { __typename } }',
			{
				p: playlistId,
				t: [first, deleted, third]
			}
		);
		await graphql(page.request, serverUrl, 'mutation($id: ID!) { setLiked(id: $id, liked: true) { __typename } }', {
			id: deleted
		});
		try {
			await page.reload();
			await expect(trackRow(page, TITLE)).toBeVisible();

			// Delete from the track row's menu: gone from the list at once, with an Undo offer.
			await trackRow(page, TITLE)
				.getByRole('button', { name: `More for ${TITLE}` })
				.click();
			await page
				.getByRole('group', { name: `More for ${TITLE}` })
				.getByRole('button', { name: 'Move to trash' })
				.click();
			const toast = page.getByRole('status').filter({ hasText: `“${TITLE}” moved to the trash` });
			await expect(toast).toBeVisible();
			await expect(tracksList(page).getByRole('button').filter({ hasText: TITLE })).toHaveCount(0);

			// Gone from the playlist (the others keep their places) and from Liked.
			await page.getByRole('navigation', { name: 'Playlists' }).getByRole('link', { name }).click();
			await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
			await expect(playlistRows(page)).toHaveCount(2);
			expect(await playlistTitles(page)).toEqual(['Morning Light', 'Blue Hour']);
			await nav(page).getByRole('link', { name: 'Liked' }).click();
			await expect(page.getByRole('heading', { name: 'Liked', level: 1 })).toBeVisible();
			await expect(liked(page).getByRole('button').filter({ hasText: TITLE })).toHaveCount(0);

			// Restore from the Trash page.
			await nav(page).getByRole('link', { name: 'Trash' }).click();
			await expect(page.getByRole('heading', { name: 'Trash', level: 1 })).toBeVisible();
			const entry = page.getByRole('list', { name: 'Deleted items' }).getByRole('listitem').filter({ hasText: TITLE });
			await expect(entry).toContainText(`Track · 1 track · deleted`);
			await entry.getByRole('button', { name: `Restore ${TITLE}` }).click();
			await expect(page.getByRole('status').filter({ hasText: `Restored “${TITLE}”` })).toBeVisible();
			await expect(entry).toHaveCount(0);

			// The like and the playlist position are back.
			await nav(page).getByRole('link', { name: 'Liked' }).click();
			await expect(liked(page).getByRole('button', { name: TITLE, exact: true })).toBeVisible();
			await expect(
				liked(page)
					.getByRole('button', { name: `Like ${TITLE}` })
					.first()
			).toHaveAttribute('aria-pressed', 'true');
			await page.getByRole('navigation', { name: 'Playlists' }).getByRole('link', { name }).click();
			await expect(playlistRows(page)).toHaveCount(3);
			expect(await playlistTitles(page)).toEqual(['Morning Light', TITLE, 'Blue Hour']);

			// Undo in the toast does the same, straight after a delete.
			await nav(page).getByRole('link', { name: 'Tracks' }).click();
			await trackRow(page, TITLE)
				.getByRole('button', { name: `More for ${TITLE}` })
				.click();
			await page
				.getByRole('group', { name: `More for ${TITLE}` })
				.getByRole('button', { name: 'Move to trash' })
				.click();
			await expect(tracksList(page).getByRole('button').filter({ hasText: TITLE })).toHaveCount(0);
			await toast.getByRole('button', { name: 'Undo' }).click();
			await expect(page.getByRole('status').filter({ hasText: 'Restored' })).toBeVisible();
			await expect(trackRow(page, TITLE)).toBeVisible();
		} finally {
			// Whatever happened, leave the shared server's library as it was.
			await page.request.post(`${serverUrl}/graphql`, {
				data: { query: 'mutation($id: ID!) { restore(id: $id) { __typename } }', variables: { id: deleted } },
				headers: { Origin: serverUrl }
			});
			await graphql(page.request, serverUrl, 'mutation($id: ID!) { setLiked(id: $id, liked: false) { __typename } }', {
				id: deleted
			});
			await graphql(page.request, serverUrl, 'mutation($id: ID!) { deletePlaylist(id: $id) { __typename } }', {
				id: playlistId
			});
			await graphql(page.request, serverUrl, 'mutation($id: ID!) { purge(id: $id) { __typename } }', {
				id: playlistId
			});
		}
	});
});
