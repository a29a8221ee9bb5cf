import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	E2E_ADMIN_PASSWORD,
	E2E_ADMIN_USERNAME,
	expect,
	graphql,
	logInThroughUI,
	test as base,
	tracksList
} from './fixtures';
import { startServer, stop, type Server } from './global-setup';

// Missing files as an admin meets them: a file gone at a rescan shows in Admin → Missing
// files (title, artist, album, since when; never a path) with its state badge, is gone from
// the library, and comes back by itself when the file does. This spec moves files in its
// media root, so it runs a server of its own on a copy of one demo album.

const here = path.dirname(fileURLToPath(import.meta.url));
const ALBUM = 'Kite Parade';
const GONE = 'Blue Hour';

const SCAN = /* GraphQL */ `
	mutation ($confirm: Boolean) {
		scanLibrary(confirmMissing: $confirm) {
			missing
			reattached
		}
	}
`;
interface MissingServer {
	server: Server;
	root: string;
}

/** This spec's own server on a copy of one demo album, shared by its tests (in order). */
const test = base.extend<object, { missing: MissingServer }>({
	missing: [
		async ({}, use) => {
			const root = mkdtempSync(path.join(tmpdir(), 'tonearm-e2e-missing-root-'));
			cpSync(path.join(here, '.cache', 'demo-library', ALBUM), path.join(root, ALBUM), { recursive: true });
			const server = await startServer('missing', root, {});
			await use({ server, root });
			stop(server);
			rmSync(root, { recursive: true, force: true });
		},
		{ scope: 'worker', timeout: 120_000 }
	],
	serverUrl: async ({ missing }, use) => {
		await use(missing.server.url);
	}
});

test.describe.configure({ mode: 'serial' });

const GONE_FILE = `${ALBUM}/Paper Planets/01 ${GONE}.mp3`;

test('a gone file is listed for admins, hidden from the library, and back with its file', async ({ page, missing }) => {
	const { server, root } = missing;
	await page.goto('/');
	await logInThroughUI(page, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD);
	await expect(tracksList(page).getByRole('button', { name: GONE, exact: true })).toBeVisible();

	const file = path.join(root, GONE_FILE);
	expect(existsSync(file)).toBe(true);
	const hidden = path.join(root, '.aside.mp3'); // a hidden name: the walk skips it
	renameSync(file, hidden);
	const gone = await graphql<{ scanLibrary: { missing: number } }>(page.request, server.url, SCAN);
	expect(gone.scanLibrary.missing).toBe(1);

	await page.goto('/admin');
	await page.getByRole('link', { name: 'See the missing files' }).click();
	await expect(page).toHaveURL(/\/admin\/missing$/);
	const list = page.getByRole('list', { name: 'Missing tracks' });
	const row = list.getByRole('listitem').filter({ hasText: GONE });
	await expect(row).toBeVisible();
	await expect(row.getByText('Missing', { exact: true })).toBeVisible();
	await expect(row).toContainText('Kite Parade');
	await expect(row).toContainText('Missing since');
	await expect(page.getByText('1 track', { exact: true })).toBeVisible();
	await expect(page.locator('main')).not.toContainText('.mp3');

	await page.goto('/');
	await expect(tracksList(page)).toBeVisible();
	await expect(tracksList(page).getByRole('button', { name: GONE, exact: true })).toHaveCount(0);

	// Back at another path, the very same file: the track is re-attached, not added.
	renameSync(hidden, path.join(root, 'aside.mp3'));
	const back = await graphql<{ scanLibrary: { missing: number; reattached: number } }>(page.request, server.url, SCAN);
	expect(back.scanLibrary).toEqual({ missing: 0, reattached: 1 });
	await page.goto('/admin/missing');
	await expect(page.getByText('No track is missing')).toBeVisible();
	await page.goto('/');
	await expect(tracksList(page).getByRole('button', { name: GONE, exact: true })).toBeVisible();
});

test('an admin purges a missing track once asked to confirm', async ({ page, missing }) => {
	const { server, root } = missing;
	await page.goto('/');
	await logInThroughUI(page, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD);

	rmSync(path.join(root, 'aside.mp3'), { force: true });
	await graphql(page.request, server.url, SCAN);
	await page.goto('/admin/missing');
	const row = page.getByRole('list', { name: 'Missing tracks' }).getByRole('listitem').filter({ hasText: GONE });
	await row.getByRole('button', { name: `Purge ${GONE}` }).click();
	await row.getByRole('button', { name: `Purge ${GONE} for good` }).click();
	await expect(page.getByText('No track is missing')).toBeVisible();
});
