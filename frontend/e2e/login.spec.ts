import {
	E2E_PASSWORD,
	E2E_USERNAME,
	audioState,
	expect,
	logInThroughUI,
	loginForm,
	submitLogin,
	test,
	trackButton,
	tracksList,
	waitForTime
} from './fixtures';

// These tests start signed out (a fresh browser context) and sign in through the form themselves.
test.describe('signing in and out', () => {
	// The faked unreachable server (below) makes Chromium log the refused connection. An ended
	// session is never an HTTP error: tonearm answers UNAUTHENTICATED with status 200.
	test.use({ allowedConsoleErrors: [/Failed to load resource: net::ERR_CONNECTION_REFUSED/] });

	test('the library is not reachable without logging in', async ({ page, serverUrl }) => {
		await page.goto('/');
		const form = loginForm(page);
		await expect(form.heading).toBeVisible();
		await expect(page).toHaveTitle('Sign in · tonearm');
		await expect(form.username).toHaveAttribute('autocomplete', 'username');
		await expect(form.password).toHaveAttribute('autocomplete', 'current-password');
		await expect(form.username).toBeFocused();
		await expect(tracksList(page)).toHaveCount(0);
		await expect(page.getByRole('region', { name: 'Player' })).toHaveCount(0);
		await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);

		// Nor through the API, with this browser's (missing) session.
		const response = await page.request.post(`${serverUrl}/graphql`, {
			data: { query: 'query { tracks(first: 1) { totalCount } }' }
		});
		const body = await response.json();
		expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
		expect(body.data?.tracks ?? null).toBeNull();

		await page.screenshot({ path: 'e2e/artifacts/login.png' });
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.screenshot({ path: 'e2e/artifacts/login-dark.png' });
		await page.emulateMedia({ colorScheme: 'light' });
		await page.setViewportSize({ width: 375, height: 740 });
		await expect(form.submit).toBeInViewport();
		expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
		await page.screenshot({ path: 'e2e/artifacts/login-375.png' });
	});

	test('a wrong password shows the error and stays on the login screen', async ({ page }) => {
		await page.goto('/');
		const form = loginForm(page);
		await submitLogin(page, E2E_USERNAME, 'not-the-password');
		await expect(form.message).toContainText('Wrong username or password');
		await expect(form.heading).toBeVisible();
		await expect(form.password).toHaveValue('');
		await expect(form.password).toHaveAttribute('aria-invalid', 'true');
		await expect(form.username).toHaveValue(E2E_USERNAME);
		await expect(form.submit).toBeEnabled();
		await expect(tracksList(page)).toHaveCount(0);
		await page.reload();
		await expect(form.heading).toBeVisible();
	});

	test('a rate limit shows the wait; an unreachable server is not called a wrong password', async ({ page }) => {
		// Faked in the browser: the real limit would also slow down the rest of the suite.
		let answer: 'limited' | 'down' = 'limited';
		await page.route('**/graphql', async (route) => {
			if (!(route.request().postData() ?? '').includes('PlayerLogin')) return route.fallback();
			if (answer === 'down') return route.abort('connectionrefused');
			await route.fulfill({
				contentType: 'application/json',
				body: JSON.stringify({
					data: {
						login: { __typename: 'LoginRateLimited', message: 'Too many sign-in attempts.', retryAfterSeconds: 42 }
					}
				})
			});
		});
		await page.goto('/');
		const form = loginForm(page);
		await submitLogin(page, E2E_USERNAME, E2E_PASSWORD);
		await expect(form.message).toHaveText('Too many sign-in attempts. Try again in 42 seconds.');
		await expect(form.password).toHaveValue(E2E_PASSWORD);

		answer = 'down';
		await form.submit.click();
		await expect(form.message).toContainText('Cannot reach the tonearm server, so you were not signed in.');
		await expect(form.message).not.toContainText('Wrong');
		await expect(form.password).not.toHaveAttribute('aria-invalid', 'true');
		await expect(form.heading).toBeVisible();
	});

	test('log out stops playback and returns to the login screen; a reload stays logged out', async ({ page }) => {
		await page.goto('/');
		await logInThroughUI(page);
		await expect(page.getByText(`Signed in as ${E2E_USERNAME}`)).toBeVisible();
		await tracksList(page).getByRole('button').first().click();
		await waitForTime(page, 0.3);

		await page.getByRole('button', { name: 'Log out' }).click();
		const form = loginForm(page);
		await expect(form.heading).toBeVisible();
		await expect(form.message).toBeEmpty();
		await expect(page.locator('audio')).toHaveCount(0);
		await expect(page).toHaveTitle('Sign in · tonearm');
		await page.reload();
		await expect(form.heading).toBeVisible();
		await expect(tracksList(page)).toHaveCount(0);
	});

	test('when the session ends mid-use, sign in again and carry on with the same track', async ({ page }) => {
		await page.goto('/');
		await logInThroughUI(page);
		const title = (await tracksList(page).getByRole('button').first().locator('.title').textContent()) ?? '';
		expect(title).not.toBe('');
		await trackButton(page, title).click();
		await waitForTime(page, 0.5);
		await page.getByRole('button', { name: 'Pause' }).click();

		// The session disappears (as after a logout elsewhere); the next request finds out.
		await page.context().clearCookies();
		await page.getByRole('searchbox', { name: 'Search the library' }).fill('long');
		const form = loginForm(page);
		await expect(form.heading).toBeVisible();
		await expect(page.getByText('Your session has ended — please sign in again.')).toBeVisible();

		await submitLogin(page, E2E_USERNAME, E2E_PASSWORD);
		await expect(tracksList(page)).toBeVisible();
		// The track is still in the player, and plays on from the same place after a fresh stream URL.
		await expect(page.getByRole('region', { name: 'Player' })).toContainText(title);
		await page.getByRole('button', { name: 'Play', exact: true }).click();
		await waitForTime(page, 0.6);
		expect((await audioState(page)).src).toMatch(/\/stream\?token=/);
	});
});
