import type { APIRequestContext, Browser, BrowserContext, Page } from '@playwright/test';
import { E2E_ADMIN_PASSWORD, E2E_ADMIN_USERNAME, collectConsoleErrors, expect, graphql, test } from './fixtures';

// Uploads against their own server (empty media root, see global-setup.ts): an admin allows
// a new account to upload on the admin page; it uploads two real WAVs and a text file named
// .mp3, edits a title, shares the track with a second account as VIEWER, who sees it but
// cannot edit it; a 9 MB WAV goes by tus, paused and resumed on the way.

const LOGIN = /* GraphQL */ `
	mutation ($u: String!, $p: String!) {
		login(username: $u, password: $p) {
			__typename
		}
	}
`;
const CREATE_USER = /* GraphQL */ `
	mutation ($username: String!) {
		createUser(input: { username: $username }) {
			... on CreatedUser {
				oneTimePassword
			}
		}
	}
`;
const CHANGE_PASSWORD = /* GraphQL */ `
	mutation ($c: String!, $n: String!) {
		changePassword(currentPassword: $c, newPassword: $n) {
			__typename
		}
	}
`;

const UPLOADER = 'e2e-uploader';
const LISTENER = 'e2e-viewer';
const PASSWORD = 'uploads-e2e-password-1';

/** A mono 16-bit PCM WAV of a sine at `hz` (real audio the server's probe reads). */
function wav(seconds: number, hz: number, rate = 44_100): Buffer {
	const samples = Math.round(seconds * rate);
	const buffer = Buffer.alloc(44 + samples * 2);
	buffer.write('RIFF', 0, 'ascii');
	buffer.writeUInt32LE(36 + samples * 2, 4);
	buffer.write('WAVEfmt ', 8, 'ascii');
	buffer.writeUInt32LE(16, 16);
	buffer.writeUInt16LE(1, 20); // PCM
	buffer.writeUInt16LE(1, 22); // mono
	buffer.writeUInt32LE(rate, 24);
	buffer.writeUInt32LE(rate * 2, 28);
	buffer.writeUInt16LE(2, 32);
	buffer.writeUInt16LE(16, 34);
	buffer.write('data', 36, 'ascii');
	buffer.writeUInt32LE(samples * 2, 40);
	for (let i = 0; i < samples; i++) {
		buffer.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
	}
	return buffer;
}

function uploadsUrl(): string {
	const url = process.env.TONEARM_E2E_UPLOADS_URL;
	if (!url) throw new Error('TONEARM_E2E_UPLOADS_URL is not set: run through playwright.config.ts');
	return url;
}

/** An account the admin created, with a password of its own (signs the request context out). */
async function account(request: APIRequestContext, serverUrl: string, username: string) {
	const created = await graphql<{ createUser: { oneTimePassword: string } }>(request, serverUrl, CREATE_USER, {
		username
	});
	await graphql(request, serverUrl, LOGIN, { u: username, p: created.createUser.oneTimePassword });
	await graphql(request, serverUrl, CHANGE_PASSWORD, { c: created.createUser.oneTimePassword, n: PASSWORD });
	await graphql(request, serverUrl, 'mutation { logout }');
}

/** A browser of its own, signed in as `username` (the session cookie from an API login). */
async function signedIn(browser: Browser, serverUrl: string, username: string, password: string, errors: string[]) {
	const context = await browser.newContext({ baseURL: serverUrl });
	await graphql(context.request, serverUrl, LOGIN, { u: username, p: password });
	const page = await context.newPage();
	collectConsoleErrors(page, errors);
	return { context, page };
}

function uploadRow(page: Page, name: string) {
	return page.getByRole('list', { name: 'Uploads' }).getByRole('listitem').filter({ hasText: name });
}

function trackRowByTitle(page: Page, title: string) {
	return page
		.getByRole('list', { name: 'Tracks' })
		.getByRole('listitem')
		.filter({ has: page.getByRole('button', { name: title, exact: true }) });
}

test.describe.serial('uploads', () => {
	const errors: string[] = [];
	let admin: BrowserContext;
	let uploader: { context: BrowserContext; page: Page };

	test.beforeAll(async ({ browser }) => {
		const serverUrl = uploadsUrl();
		admin = await browser.newContext({ baseURL: serverUrl });
		await graphql(admin.request, serverUrl, LOGIN, { u: E2E_ADMIN_USERNAME, p: E2E_ADMIN_PASSWORD });
		for (const name of [UPLOADER, LISTENER]) {
			await account(admin.request, serverUrl, name);
			await graphql(admin.request, serverUrl, LOGIN, { u: E2E_ADMIN_USERNAME, p: E2E_ADMIN_PASSWORD });
		}
	});

	test.afterAll(async () => {
		await uploader?.context.close();
		await admin?.close();
		expect(errors, 'console errors of the extra browsers').toEqual([]);
	});

	test('an admin allows uploads on the admin page; the uploader gets the Upload page', async ({ browser }) => {
		const serverUrl = uploadsUrl();
		const page = await admin.newPage();
		collectConsoleErrors(page, errors);
		await page.goto('/admin');
		const toggle = page.getByRole('checkbox', { name: `May upload (${UPLOADER})` });
		await expect(toggle).not.toBeChecked();
		await expect(page.getByRole('checkbox', { name: `May upload (${E2E_ADMIN_USERNAME})` })).toBeDisabled();
		await toggle.check();
		await expect(toggle).toBeChecked();
		await expect(toggle).toBeEnabled(); // saved
		await page.reload();
		await expect(page.getByRole('checkbox', { name: `May upload (${UPLOADER})` })).toBeChecked();
		await page.close();

		uploader = await signedIn(browser, serverUrl, UPLOADER, PASSWORD, errors);
		await uploader.page.goto('/');
		await uploader.page.getByRole('link', { name: 'Upload', exact: true }).click();
		await expect(uploader.page).toHaveURL(/\/upload$/);
		await expect(uploader.page.getByRole('heading', { name: 'Upload', level: 1 })).toBeVisible();
		await expect(uploader.page.getByText(/^0 bytes of 20\.0 GB used$/)).toBeVisible();
	});

	test('three files, one of them not audio: two tracks and one clear error; the quota goes up', async () => {
		const page = uploader.page;
		await page.getByLabel('Files to upload').setInputFiles([
			{ name: 'Upload Tone A.wav', mimeType: 'audio/wav', buffer: wav(2, 440) },
			{ name: 'notes.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('These are my notes, not a song.\n') },
			{ name: 'Upload Tone B.wav', mimeType: 'audio/wav', buffer: wav(3, 660) }
		]);

		await expect(uploadRow(page, 'Upload Tone A.wav')).toContainText('Uploaded');
		await expect(uploadRow(page, 'Upload Tone B.wav')).toContainText('Uploaded');
		const bad = uploadRow(page, 'notes.mp3');
		await expect(bad).toContainText('Not added');
		await expect(bad.getByRole('alert')).toHaveText(/not an audio file/);
		await expect(page.getByRole('status').filter({ hasText: '2 uploaded, 1 with a problem' })).toBeVisible();
		await expect(uploadRow(page, 'Upload Tone A.wav').getByRole('link', { name: 'Upload Tone A' })).toBeVisible();
		await expect(page.getByText(/^\d+\.\d KB of 20\.0 GB used$/)).toBeVisible();

		await page.getByRole('link', { name: 'Tracks', exact: true }).click();
		await expect(trackRowByTitle(page, 'Upload Tone A')).toBeVisible();
		await expect(trackRowByTitle(page, 'Upload Tone B')).toBeVisible();
		await expect(page.getByRole('list', { name: 'Tracks' }).getByRole('listitem')).toHaveCount(2);
	});

	test('the uploader edits a title and sees it in the list', async () => {
		const page = uploader.page;
		await trackRowByTitle(page, 'Upload Tone A').getByRole('button', { name: 'Edit Upload Tone A' }).click();
		const dialog = page.getByRole('dialog');
		await expect(dialog.getByRole('heading', { name: 'Edit “Upload Tone A”' })).toBeVisible();
		await expect(dialog.getByLabel('Title')).toHaveValue('Upload Tone A');
		await dialog.getByLabel('Title').fill('Morning Tone');
		await dialog.getByRole('button', { name: 'Save' }).click();
		await expect(dialog.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
		await expect(dialog.getByRole('heading', { name: 'Edit “Morning Tone”' })).toBeVisible();
		await dialog.getByRole('button', { name: 'Close' }).click();
		await expect(dialog).toBeHidden();
		await expect(trackRowByTitle(page, 'Morning Tone')).toBeVisible();
		await page.reload();
		await expect(trackRowByTitle(page, 'Morning Tone')).toBeVisible(); // on the server, not just here
	});

	test('shared as VIEWER, the other user sees the track without an edit control, and updateTrack is refused', async ({
		browser
	}) => {
		const serverUrl = uploadsUrl();
		const page = uploader.page;
		await trackRowByTitle(page, 'Morning Tone').getByRole('button', { name: 'Edit Morning Tone' }).click();
		const dialog = page.getByRole('dialog');
		const people = dialog.getByRole('list', { name: 'Collaborators' });
		await expect(people.getByRole('listitem').filter({ hasText: UPLOADER })).toBeVisible();
		await dialog.getByRole('textbox', { name: 'Username' }).fill('nobody-here');
		await dialog.getByRole('button', { name: 'Add', exact: true }).click();
		await expect(dialog.getByRole('alert').filter({ hasText: 'There is no user named “nobody-here”.' })).toBeVisible();
		await dialog.getByRole('textbox', { name: 'Username' }).fill(LISTENER.toUpperCase());
		await dialog.getByRole('combobox', { name: 'Role', exact: true }).selectOption('VIEWER');
		await dialog.getByRole('button', { name: 'Add', exact: true }).click();
		await expect(dialog.getByRole('combobox', { name: `Role of ${LISTENER}` })).toHaveValue('VIEWER');
		// The only owner stays owner.
		await dialog.getByRole('combobox', { name: `Role of ${UPLOADER}` }).selectOption('EDITOR');
		await expect(people.getByRole('alert')).toBeVisible();
		await expect(dialog.getByRole('combobox', { name: `Role of ${UPLOADER}` })).toHaveValue('OWNER');
		// Unpublished: only its collaborators see it from now on.
		await dialog.getByLabel('Published').uncheck();
		await dialog.getByRole('button', { name: 'Save' }).click();
		await expect(dialog.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
		await dialog.getByRole('button', { name: 'Close' }).click();

		const viewer = await signedIn(browser, serverUrl, LISTENER, PASSWORD, errors);
		try {
			await viewer.page.goto('/');
			const row = trackRowByTitle(viewer.page, 'Morning Tone');
			await expect(row).toBeVisible();
			await expect(trackRowByTitle(viewer.page, 'Upload Tone B')).toBeVisible();
			await expect(row.getByRole('button', { name: /^Edit/ })).toHaveCount(0);
			await expect(viewer.page.getByRole('button', { name: /^Edit/ })).toHaveCount(0);

			const ids = await graphql<{ tracks: { edges: { node: { id: string; title: string; canEdit: boolean } }[] } }>(
				viewer.context.request,
				serverUrl,
				'query { tracks(first: 10) { edges { node { id title canEdit } } } }'
			);
			const shared = ids.tracks.edges.map((e) => e.node).find((t) => t.title === 'Morning Tone');
			expect(shared?.canEdit).toBe(false);
			const refused = await graphql<{ updateTrack: { __typename: string } }>(
				viewer.context.request,
				serverUrl,
				'mutation ($id: ID!) { updateTrack(id: $id, input: { title: "Mine now" }) { __typename } }',
				{ id: shared?.id }
			);
			expect(refused.updateTrack.__typename).toBe('EditNotAllowedError');
		} finally {
			await viewer.context.close();
		}

		// Someone with no role does not see the unpublished track at all.
		const stranger = await browser.newContext({ baseURL: serverUrl });
		await graphql(stranger.request, serverUrl, LOGIN, { u: 'e2e-listener', p: 'e2e-password-123' });
		const seen = await graphql<{ tracks: { edges: { node: { title: string } }[] } }>(
			stranger.request,
			serverUrl,
			'query { tracks(first: 10) { edges { node { title } } } }'
		);
		expect(seen.tracks.edges.map((e) => e.node.title)).toEqual(['Upload Tone B']);
		await stranger.close();
	});

	test('a 9 MB file goes by tus: paused, resumed, finished as a track', async () => {
		test.setTimeout(90_000);
		const page = uploader.page;
		await page.goto('/upload');
		// Hold the first chunk a while, so there is time to pause while it is on its way.
		let held = false;
		await page.route('**/api/uploads/**', async (route) => {
			if (route.request().method() === 'PATCH' && !held) {
				held = true;
				await new Promise((r) => setTimeout(r, 3000));
			}
			await route.continue().catch(() => {}); // aborted by the pause meanwhile
		});
		const big = wav(110, 330); // 9.7 MB: over the 8 MiB threshold
		await page
			.getByLabel('Files to upload')
			.setInputFiles([{ name: 'Long Tone.wav', mimeType: 'audio/wav', buffer: big }]);
		const row = uploadRow(page, 'Long Tone.wav');
		await row.getByRole('button', { name: 'Pause Long Tone.wav' }).click();
		await expect(row).toContainText('Paused at');
		await row.getByRole('button', { name: 'Resume Long Tone.wav' }).click();
		await expect(row).toContainText('Uploaded', { timeout: 60_000 });
		await expect(row.getByRole('link', { name: 'Long Tone' })).toBeVisible();
		await expect(page.getByText(/^\d+\.\d MB of 20\.0 GB used$/)).toBeVisible();
	});
});
