import type { Page, Route } from '@playwright/test';
import { expect, loginForm, test, trackButton, tracksList } from './fixtures';

/** The GraphQL operation name a request carries (the player names all of its operations). */
function operation(route: Route): string {
	return /(?:query|mutation)\s+(\w+)/.exec(route.request().postData() ?? '')?.[1] ?? '';
}

/** Intercept every GraphQL request except the viewer check, which goes to the server. */
async function routeAllButViewer(page: Page, handle: (route: Route) => Promise<void>) {
	await page.route('**/graphql', (route) => (operation(route) === 'PlayerViewer' ? route.fallback() : handle(route)));
}

/** Let the boot request (viewer + first page, see boot.ts) reach the server, then edit its answer. */
async function answerBoot(route: Route, edit: (data: Record<string, unknown>) => Record<string, unknown>) {
	const response = await route.fetch();
	const body = (await response.json()) as { data: Record<string, unknown> };
	await route.fulfill({ response, json: { data: edit(body.data) } });
}

const ANSWER_BLOCK = /<script type="application\/json" id="tonearm-boot-answer">(.*?)<\/script>/s;

/**
 * Edit the boot answer the server embeds in the shell it sends a signed-in browser (see
 * boot.ts and tonearm/web/player.py); `null` takes it out, so the shell's own script sends
 * the boot request as it does for a shell without one.
 */
async function editEmbeddedBoot(page: Page, edit: ((data: Record<string, unknown>) => Record<string, unknown>) | null) {
	await page.route(
		(url) => url.pathname === '/',
		async (route) => {
			if (route.request().resourceType() !== 'document') return route.fallback();
			const response = await route.fetch();
			const html = await response.text();
			const found = ANSWER_BLOCK.exec(html);
			if (!found) throw new Error('the shell came without its boot answer');
			const answer = JSON.parse(found[1] ?? '') as { data: Record<string, unknown> };
			const block =
				edit === null
					? ''
					: `<script type="application/json" id="tonearm-boot-answer">${JSON.stringify({ data: edit(answer.data) }).replace(/</g, '\\u003c')}</script>`;
			await route.fulfill({ response, body: html.replace(ANSWER_BLOCK, () => block) });
		}
	);
}

// These cases cannot be produced by a healthy server with the demo library, so the network
// is intercepted in the browser; the rest of the suite talks to the real server untouched.
// Each test signs in first (for real), then reloads with the interception in place.
test.describe('loading, empty and error states', () => {
	test.use({ allowedConsoleErrors: [/Failed to load resource: net::ERR_CONNECTION_REFUSED/] });

	test('server unreachable shows what to do, and Retry recovers', async ({ signedInPage: page, libraryTracks }) => {
		await editEmbeddedBoot(page, null);
		await routeAllButViewer(page, (route) => route.abort('connectionrefused'));
		await page.reload();
		const alert = page.getByRole('alert');
		await expect(alert).toContainText('Could not load your tracks.');
		await expect(alert).toContainText('Cannot reach the tonearm server');
		await page.unroute('**/graphql');
		await alert.getByRole('button', { name: 'Retry' }).click();
		await expect(trackButton(page, libraryTracks[0]!.title)).toBeVisible();
		await expect(page.getByLabel('Library totals')).toBeVisible();
	});

	test('server unreachable before we know who is signed in: no login screen, Retry recovers', async ({
		signedInPage: page
	}) => {
		await editEmbeddedBoot(page, null);
		await page.route('**/graphql', (route) => route.abort('connectionrefused'));
		await page.reload();
		const alert = page.getByRole('alert');
		await expect(alert).toContainText('Could not connect to the tonearm server.');
		await expect(alert).toContainText('Cannot reach the tonearm server');
		await expect(loginForm(page).heading).toHaveCount(0);
		await page.unroute('**/graphql');
		await alert.getByRole('button', { name: 'Retry' }).click();
		await expect(tracksList(page)).toBeVisible();
	});

	test('a GraphQL error is shown with its code', async ({ signedInPage: page }) => {
		await editEmbeddedBoot(page, null);
		await routeAllButViewer(page, (route) =>
			route.fulfill({
				status: 200,
				contentType: 'application/graphql-response+json',
				body: JSON.stringify({
					data: null,
					errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]
				})
			})
		);
		await page.reload();
		await expect(page.getByRole('alert')).toContainText('INTERNAL_SERVER_ERROR');
		await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
	});

	test('an empty library explains how to add music', async ({ signedInPage: page }) => {
		const empty = { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
		await editEmbeddedBoot(page, (data) => ({ ...data, tracks: empty }));
		await page.route('**/graphql', async (route) => {
			if (operation(route) === 'PlayerBoot') return answerBoot(route, (data) => ({ ...data, tracks: empty }));
			if (operation(route) !== 'PlayerTracks') return route.fallback();
			await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ data: { tracks: empty } }) });
		});
		await page.reload();
		await expect(page.locator('p', { hasText: 'No tracks yet' })).toContainText('TONEARM_MEDIA_ROOT');
		await expect(page.locator('p', { hasText: 'No tracks yet' })).toContainText('tonearm scan');
	});

	test('without accounts (auth mode NONE) there is no Log out', async ({ signedInPage: page }) => {
		// The real servers require accounts; answer the viewer check as a TONEARM_AUTH=none box would.
		const local = { viewer: { id: 'local', username: 'admin', role: 'ADMIN' }, authMode: 'NONE' };
		await editEmbeddedBoot(page, (data) => ({ ...data, ...local }));
		await page.route('**/graphql', async (route) => {
			if (operation(route) === 'PlayerBoot') return answerBoot(route, (data) => ({ ...data, ...local }));
			if (operation(route) !== 'PlayerViewer') return route.fallback();
			await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ data: local }) });
		});
		await page.reload();
		await expect(tracksList(page)).toBeVisible();
		await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
		await expect(page.getByText('Signed in as')).toHaveCount(0);
	});
});
