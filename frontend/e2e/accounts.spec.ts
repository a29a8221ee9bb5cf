import type { Browser, BrowserContext, Page } from '@playwright/test';
import {
	E2E_ADMIN_PASSWORD,
	E2E_ADMIN_USERNAME,
	audioState,
	collectConsoleErrors,
	expect,
	graphql,
	logInThroughUI,
	loginForm,
	submitLogin,
	test,
	tracksList,
	waitForTime
} from './fixtures';

// Each test works with accounts of its own (created here through the admin), so the shared
// e2e listener's password and sessions stay as the other specs expect them.

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

function usersRow(page: Page, username: string) {
	return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${username}\\b`) }) });
}

/** A browser context of its own (another person's browser), watched for console errors. */
async function otherBrowser(browser: Browser, serverUrl: string, errors: string[], allowed: RegExp[] = []) {
	const context = await browser.newContext({ baseURL: serverUrl });
	const page = await context.newPage();
	collectConsoleErrors(page, errors, allowed);
	return { context, page };
}

/** An account created by the admin over the API, with a password of its own. */
async function accountWithPassword(browser: Browser, serverUrl: string, username: string, password: string) {
	const admin = await browser.newContext();
	await graphql(admin.request, serverUrl, LOGIN, { u: E2E_ADMIN_USERNAME, p: E2E_ADMIN_PASSWORD });
	const created = await graphql<{ createUser: { oneTimePassword: string } }>(admin.request, serverUrl, CREATE_USER, {
		username
	});
	await admin.close();
	const own = await browser.newContext();
	await graphql(own.request, serverUrl, LOGIN, { u: username, p: created.createUser.oneTimePassword });
	const changed = await graphql<{ changePassword: { __typename: string } }>(own.request, serverUrl, CHANGE_PASSWORD, {
		c: created.createUser.oneTimePassword,
		n: password
	});
	expect(changed.changePassword.__typename).toBe('User');
	await graphql(own.request, serverUrl, 'mutation { logout }'); // no session left behind
	await own.close();
}

async function openAdminPage(page: Page) {
	await page.goto('/');
	await logInThroughUI(page, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD);
	await page.getByRole('link', { name: 'Users' }).click();
	await expect(page).toHaveURL(/\/admin$/);
	await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
	await expect(usersRow(page, E2E_ADMIN_USERNAME)).toBeVisible();
}

async function createThroughUI(page: Page, username: string): Promise<string> {
	await page.getByLabel('Username', { exact: true }).fill(username);
	await page.getByRole('button', { name: 'Add user' }).click();
	const secret = page.getByRole('textbox', { name: `One-time password for ${username}` });
	await expect(secret).toBeVisible();
	return secret.inputValue();
}

test.describe('accounts', () => {
	let others: BrowserContext[] = [];
	test.afterEach(async () => {
		for (const context of others) await context.close();
		others = [];
	});

	test('an admin creates a user; the one-time password works once and forces a new one', async ({
		page,
		browser,
		serverUrl,
		consoleErrors
	}) => {
		await openAdminPage(page);
		// The page has its own URL: back and forward move between it and the library.
		await page.goBack();
		await expect(tracksList(page)).toBeVisible();
		await page.goForward();
		await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

		const oneTime = await createThroughUI(page, 'e2e-carol');
		expect(oneTime).toMatch(/^[\w-]{16}$/);
		await expect(page.getByRole('status').filter({ hasText: 'it will not be shown again' })).toBeVisible();
		await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serverUrl });
		await page.getByRole('button', { name: 'Copy', exact: true }).click();
		await expect(page.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
		expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(oneTime);
		const carolRow = usersRow(page, 'e2e-carol');
		await expect(carolRow).toContainText('must change password');
		await expect(carolRow).toContainText('Active');
		await expect(carolRow).toContainText('never');

		// The server's refusals are shown where they happened.
		await page.getByLabel('Username', { exact: true }).fill('E2E-CAROL');
		await page.getByRole('button', { name: 'Add user' }).click();
		await expect(page.getByText("A user named 'E2E-CAROL' already exists.")).toBeVisible();
		await expect(page.getByLabel('Username', { exact: true })).toHaveAttribute('aria-invalid', 'true');
		await page.getByRole('button', { name: `Disable ${E2E_ADMIN_USERNAME}` }).click();
		await expect(
			page.getByRole('alert').filter({ hasText: `'${E2E_ADMIN_USERNAME}' is the only active admin` })
		).toBeVisible();
		await page.getByRole('combobox', { name: `Role of ${E2E_ADMIN_USERNAME}` }).selectOption('LISTENER');
		await expect(page.getByRole('alert').filter({ hasText: 'is the only active admin' })).toBeVisible();
		await expect(page.getByRole('combobox', { name: `Role of ${E2E_ADMIN_USERNAME}` })).toHaveValue('ADMIN');
		await expect(usersRow(page, E2E_ADMIN_USERNAME)).toContainText('Active');

		// Shown once: gone when dismissed, and nowhere after a reload.
		await page.getByRole('button', { name: 'Done' }).click();
		await expect(page.getByRole('textbox', { name: 'One-time password for e2e-carol' })).toHaveCount(0);
		await page.reload();
		await expect(carolRow).toBeVisible();
		expect(await page.content()).not.toContain(oneTime);

		await page.setViewportSize({ width: 375, height: 740 });
		expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
		await page.screenshot({ path: 'e2e/artifacts/admin-375.png', fullPage: true });
		await page.setViewportSize({ width: 1280, height: 800 });
		await page.screenshot({ path: 'e2e/artifacts/admin.png' });

		// Carol signs in with it elsewhere and is asked for a password of her own first.
		const { context, page: carol } = await otherBrowser(browser, serverUrl, consoleErrors);
		others.push(context);
		await carol.goto('/');
		await submitLogin(carol, 'e2e-carol', oneTime);
		const heading = carol.getByRole('heading', { name: 'Choose a new password' });
		await expect(heading).toBeVisible();
		await expect(tracksList(carol)).toHaveCount(0);
		await carol.reload(); // the server remembers: still no library before a new password
		await expect(heading).toBeVisible();
		await carol.getByLabel('One-time password', { exact: true }).fill(oneTime);
		await carol.getByLabel('New password', { exact: true }).fill('carols-own-password');
		await carol.getByLabel('Repeat the new password', { exact: true }).fill('carols-own-passwort');
		await carol.getByRole('button', { name: 'Save and continue' }).click();
		await expect(carol.getByText('The two new passwords do not match.')).toBeVisible();
		await carol.getByLabel('Repeat the new password', { exact: true }).fill('carols-own-password');
		await carol.getByRole('button', { name: 'Save and continue' }).click();
		await expect(tracksList(carol)).toBeVisible();
		await expect(carol.getByText('Signed in as e2e-carol')).toBeVisible();

		await page.reload();
		await expect(carolRow).not.toContainText('must change password');
		await expect(carolRow).not.toContainText('never');

		// The one-time password worked once; her own works from now on.
		await carol.getByRole('button', { name: 'Log out' }).click();
		await submitLogin(carol, 'e2e-carol', oneTime);
		await expect(loginForm(carol).message).toContainText('Wrong username or password');
		await submitLogin(carol, 'e2e-carol', 'carols-own-password');
		await expect(tracksList(carol)).toBeVisible();
	});

	test("an admin disables a user and that user's open player returns to sign-in", async ({
		page,
		browser,
		serverUrl,
		consoleErrors
	}) => {
		await accountWithPassword(browser, serverUrl, 'e2e-dave', 'daves-own-password');
		// A stream request after the account is disabled is refused (403), which Chromium logs.
		const { context, page: dave } = await otherBrowser(browser, serverUrl, consoleErrors, [
			/Failed to load resource: the server responded with a status of 403/
		]);
		others.push(context);
		await dave.goto('/');
		await logInThroughUI(dave, 'e2e-dave', 'daves-own-password');
		await tracksList(dave).getByRole('button').first().click();
		await waitForTime(dave, 0.3);
		const streamUrl = (await audioState(dave)).src;
		expect(streamUrl).toMatch(/\/stream\?token=/);

		await openAdminPage(page);
		await page.getByRole('button', { name: 'Disable e2e-dave' }).click();
		await expect(usersRow(page, 'e2e-dave')).toContainText('Disabled');
		await expect(page.getByRole('button', { name: 'Enable e2e-dave' })).toBeVisible();

		// Dave comes back to his tab: the player checks the session and returns to sign-in.
		await dave.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
		await expect(loginForm(dave).heading).toBeVisible();
		await expect(dave.getByText('Your session has ended — please sign in again.')).toBeVisible();
		await expect(dave.locator('audio')).toHaveCount(0);
		// The stream URL he had stops too, within the stream route's 5 s re-check.
		await expect.poll(async () => (await dave.request.get(streamUrl)).status(), { timeout: 8_000 }).toBe(403);
		await submitLogin(dave, 'e2e-dave', 'daves-own-password');
		await expect(loginForm(dave).message).toContainText('Wrong username or password');

		await page.getByRole('button', { name: 'Enable e2e-dave' }).click();
		await expect(usersRow(page, 'e2e-dave')).toContainText('Active');
		await submitLogin(dave, 'e2e-dave', 'daves-own-password');
		await expect(tracksList(dave)).toBeVisible();
	});

	test('a listener changes their password and ends another session', async ({
		page,
		browser,
		serverUrl,
		consoleErrors
	}) => {
		await accountWithPassword(browser, serverUrl, 'e2e-erin', 'erins-first-password');
		const { context, page: phone } = await otherBrowser(browser, serverUrl, consoleErrors);
		others.push(context);
		await phone.goto('/');
		await logInThroughUI(phone, 'e2e-erin', 'erins-first-password');

		await page.goto('/');
		await logInThroughUI(page, 'e2e-erin', 'erins-first-password');
		await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
		await page.getByRole('link', { name: 'Settings' }).click();
		await expect(page).toHaveURL(/\/settings$/);
		const sessions = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem');
		await expect(sessions).toHaveCount(2);
		await expect(sessions.filter({ hasText: 'this browser' })).toHaveCount(1);
		await expect(sessions.filter({ hasText: 'this browser' }).getByRole('button')).toHaveCount(0);

		// End the other browser's session: it is signed out.
		await sessions
			.filter({ hasNotText: 'this browser' })
			.getByRole('button', { name: /^Sign out/ })
			.click();
		await expect(sessions).toHaveCount(1);
		await phone.reload();
		await expect(loginForm(phone).heading).toBeVisible();
		await logInThroughUI(phone, 'e2e-erin', 'erins-first-password');

		// Change the password: this browser stays signed in, the other one is signed out.
		await page.getByLabel('Current password', { exact: true }).fill('erins-first-password');
		await page.getByLabel('New password', { exact: true }).fill('erins-second-password');
		await page.getByLabel('Repeat the new password', { exact: true }).fill('erins-second-password');
		await page.getByRole('button', { name: 'Change password' }).click();
		await expect(page.getByText('Your password has been changed.')).toBeVisible();
		await expect(sessions).toHaveCount(1);
		await phone.getByRole('searchbox', { name: 'Search the library' }).fill('long');
		await expect(loginForm(phone).heading).toBeVisible();
		await page.reload();
		await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
		await submitLogin(phone, 'e2e-erin', 'erins-second-password');
		await expect(tracksList(phone)).toBeVisible();

		// A wrong current password is said so, beside the form.
		await page.getByLabel('Current password', { exact: true }).fill('not-my-password');
		await page.getByLabel('New password', { exact: true }).fill('erins-third-password');
		await page.getByLabel('Repeat the new password', { exact: true }).fill('erins-third-password');
		await page.getByRole('button', { name: 'Change password' }).click();
		await expect(page.getByText('The current password is not right.')).toBeVisible();
		await expect(page.getByLabel('Current password', { exact: true })).toHaveAttribute('aria-invalid', 'true');

		// An API token: shown once, works as a bearer token, revoked from here.
		await page.getByLabel('Token name').fill('e2e script');
		await page.getByRole('button', { name: 'Create token' }).click();
		const secret = page.getByRole('textbox', { name: 'API token “e2e script”' });
		const token = await secret.inputValue();
		expect(token).toMatch(/^tnrm_/);
		const asToken = () =>
			page.request
				.post(`${serverUrl}/graphql`, {
					data: { query: '{ viewer { username } }' },
					headers: { Authorization: `Bearer ${token}` }
				})
				.then((r) => r.json());
		expect((await asToken()).data.viewer.username).toBe('e2e-erin');
		await page.getByRole('button', { name: 'Done' }).click();
		await expect(secret).toHaveCount(0);
		await page.screenshot({ path: 'e2e/artifacts/settings.png', fullPage: true });
		await page.getByRole('button', { name: 'Revoke e2e script' }).click();
		await expect(page.getByText('You have no API tokens.')).toBeVisible();
		expect((await asToken()).data.viewer).toBeNull();
	});

	test('a listener cannot reach admin data', async ({ signedInPage: page, serverUrl }) => {
		await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
		await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
		const adminRequests: string[] = [];
		page.on('request', (request) => {
			const body = request.postData() ?? '';
			if (/PlayerUsers|PlayerCreateUser|PlayerUpdateUser|PlayerResetUserPassword/.test(body)) adminRequests.push(body);
		});

		await page.goto('/admin');
		await expect(page.getByRole('heading', { name: 'Admins only' })).toBeVisible();
		await expect(page.getByRole('alert')).toContainText('you are signed in as a listener');
		await expect(page.getByRole('table')).toHaveCount(0);
		expect(adminRequests).toEqual([]);

		// Nor does the server give it out to this browser's session.
		for (const query of ['{ users { username } }', 'mutation { createUser(input: {username: "x"}) { __typename } }']) {
			const response = await page.request.post(`${serverUrl}/graphql`, {
				data: { query },
				headers: { Origin: serverUrl }
			});
			const body = await response.json();
			expect(body.data).toBeNull();
			expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
		}
		await page.getByRole('link', { name: 'Back to the library' }).click();
		await expect(tracksList(page)).toBeVisible();
	});
});
