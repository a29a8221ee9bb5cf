import { expect, test, trackButton } from './fixtures';

// These cases cannot be produced by a healthy server with the demo library, so the network
// is intercepted in the browser; the rest of the suite talks to the real server untouched.
test.describe('loading, empty and error states', () => {
	test.use({ allowedConsoleErrors: [/Failed to load resource: net::ERR_CONNECTION_REFUSED/] });

	test('server unreachable shows what to do, and Retry recovers', async ({ page, libraryTracks }) => {
		await page.route('**/graphql', (route) => route.abort('connectionrefused'));
		await page.goto('/');
		const alert = page.getByRole('alert');
		await expect(alert).toContainText('Could not load your tracks.');
		await expect(alert).toContainText('Cannot reach the tonearm server');
		await page.unroute('**/graphql');
		await alert.getByRole('button', { name: 'Retry' }).click();
		await expect(trackButton(page, libraryTracks[0]!.title)).toBeVisible();
		await expect(page.getByLabel('Library totals')).toBeVisible();
	});

	test('a GraphQL error is shown with its code', async ({ page }) => {
		await page.route('**/graphql', (route) =>
			route.fulfill({
				status: 200,
				contentType: 'application/graphql-response+json',
				body: JSON.stringify({
					data: null,
					errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]
				})
			})
		);
		await page.goto('/');
		await expect(page.getByRole('alert')).toContainText('INTERNAL_SERVER_ERROR');
		await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
	});

	test('an empty library explains how to add music', async ({ page }) => {
		await page.route('**/graphql', async (route) => {
			const body = route.request().postData() ?? '';
			if (!body.includes('PlayerTracks')) return route.fallback();
			await route.fulfill({
				contentType: 'application/json',
				body: JSON.stringify({
					data: { tracks: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } }
				})
			});
		});
		await page.goto('/');
		await expect(page.locator('p', { hasText: 'No tracks yet' })).toContainText('TONEARM_MEDIA_ROOT');
		await expect(page.locator('p', { hasText: 'No tracks yet' })).toContainText('tonearm scan');
	});
});
