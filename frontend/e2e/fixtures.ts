import { test as base, expect, type APIRequestContext, type Cookie, type Page } from '@playwright/test';
import { E2E_ADMIN_PASSWORD, E2E_ADMIN_USERNAME, E2E_PASSWORD, E2E_USERNAME } from './credentials';

export { E2E_ADMIN_PASSWORD, E2E_ADMIN_USERNAME, E2E_PASSWORD, E2E_USERNAME };

export interface TrackInfo {
	id: string;
	title: string;
	artist: string | null;
	durationSeconds: number;
}

interface Fixtures {
	/** Base URL of the tonearm server for this test (the normal one unless overridden). */
	serverUrl: string;
	/** Console messages of type error plus uncaught page errors; asserted empty after each test. */
	consoleErrors: string[];
	/** Console error patterns a test expects (e.g. the 403 of a deliberately rejected stream). */
	allowedConsoleErrors: RegExp[];
	/**
	 * The page, signed in as E2E_USERNAME through the login form and showing the library.
	 * See `sessionCookies` for why the form is filled once per server and worker.
	 */
	signedInPage: Page;
	/** All tracks in the library, straight from the GraphQL API (as the signed-in user). */
	libraryTracks: TrackInfo[];
}

interface WorkerFixtures {
	/**
	 * Session cookies from a login through the UI, per server URL: the first test on a server
	 * logs in through the form and later tests in the same worker start with its session
	 * cookie, which saves a login (an argon2 check and a page load) per test. tonearm limits
	 * only *failed* sign-ins (10 a minute per user name and per address, counted in the
	 * database for all workers); every test runs from 127.0.0.1, so the whole suite must stay
	 * under 10 failed sign-ins a minute. The login tests (login.spec.ts) and the account
	 * tests (accounts.spec.ts) log in through the form themselves.
	 */
	sessionCookies: Map<string, Cookie[]>;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
	serverUrl: [
		async ({}, use) => {
			const url = process.env.TONEARM_E2E_URL;
			if (!url) throw new Error('TONEARM_E2E_URL is not set: run through playwright.config.ts');
			await use(url);
		},
		{ option: true }
	],
	allowedConsoleErrors: [[], { option: true }],
	baseURL: async ({ serverUrl }, use) => {
		await use(serverUrl);
	},
	consoleErrors: [
		async ({ page, allowedConsoleErrors }, use) => {
			const errors: string[] = [];
			page.on('console', (message) => {
				if (message.type() !== 'error') return;
				const text = `${message.text()} (${message.location().url})`;
				if (!allowedConsoleErrors.some((re) => re.test(text))) errors.push(text);
			});
			page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
			await use(errors);
			expect(errors, 'console errors (including CSP violations)').toEqual([]);
		},
		{ auto: true }
	],
	sessionCookies: [
		async ({}, use) => {
			await use(new Map());
		},
		{ scope: 'worker' }
	],
	signedInPage: async ({ page, serverUrl, sessionCookies }, use) => {
		const cookies = sessionCookies.get(serverUrl);
		if (cookies) await page.context().addCookies(cookies);
		await page.goto('/');
		const form = loginForm(page);
		await expect(form.heading.or(tracksList(page))).toBeVisible({ timeout: 15_000 });
		if (await form.heading.isVisible()) {
			await logInThroughUI(page);
			sessionCookies.set(serverUrl, await page.context().cookies(serverUrl));
		}
		await expect(tracksList(page)).toBeVisible();
		await use(page);
	},
	libraryTracks: async ({ signedInPage, serverUrl }, use) => {
		// page.request shares the browser context's cookies, so this uses the same session.
		const response = await signedInPage.request.post(`${serverUrl}/graphql`, {
			data: {
				query: 'query { tracks(first: 100) { edges { node { id title artist durationSeconds } } } }'
			}
		});
		expect(response.ok()).toBe(true);
		const body = await response.json();
		const tracks = body.data.tracks.edges.map((e: { node: TrackInfo }) => e.node) as TrackInfo[];
		await use(tracks);
	}
});

export { expect };

export const LONG_TRACK = 'Long Drive';

export function tracksList(page: Page) {
	return page.getByRole('list', { name: 'Tracks' });
}

export function loginForm(page: Page) {
	return {
		heading: page.getByRole('heading', { name: 'Sign in', exact: true }),
		username: page.getByLabel('Username'),
		password: page.getByLabel('Password'),
		submit: page.getByRole('button', { name: 'Sign in', exact: true }),
		message: page.locator('#login-message')
	};
}

/** Fill in the login form and submit it (does not wait for the outcome). */
export async function submitLogin(page: Page, username: string, password: string) {
	const form = loginForm(page);
	await form.username.fill(username);
	await form.password.fill(password);
	await form.submit.click();
}

/**
 * Log in through the login form, as a person would, and wait for the track list. If the
 * server's login rate limit kicks in, wait as long as it says and try once more.
 */
export async function logInThroughUI(page: Page, username = E2E_USERNAME, password = E2E_PASSWORD) {
	const form = loginForm(page);
	await expect(form.heading).toBeVisible();
	for (let attempt = 0; attempt < 2; attempt++) {
		await submitLogin(page, username, password);
		await expect(tracksList(page).or(form.message.getByText(/\S/))).toBeVisible({ timeout: 15_000 });
		if (await tracksList(page).isVisible()) return;
		const text = (await form.message.textContent()) ?? '';
		const wait = /Try again in (\d+) second/.exec(text)?.[1];
		if (!wait || attempt > 0) throw new Error(`login failed: ${text.trim()}`);
		await page.waitForTimeout((Number(wait) + 1) * 1000);
	}
}

export function audioState(page: Page) {
	return page.locator('audio').evaluate((audio: HTMLAudioElement) => ({
		currentTime: audio.currentTime,
		duration: audio.duration,
		paused: audio.paused,
		src: audio.currentSrc,
		buffered: Array.from({ length: audio.buffered.length }, (_, i) => [audio.buffered.start(i), audio.buffered.end(i)])
	}));
}

/** Wait until the element is playing and its clock has passed `seconds`. */
export async function waitForTime(page: Page, seconds: number, timeout = 15_000) {
	await page.waitForFunction(
		(s) => {
			const audio = document.querySelector('audio');
			return !!audio && !audio.paused && audio.currentTime > s;
		},
		seconds,
		{ timeout }
	);
}

export function trackButton(page: Page, title: string) {
	return page.getByRole('list', { name: 'Tracks' }).getByRole('button').filter({ hasText: title }).first();
}

/** The whole row of a track (its button holds the title; the row has the artists, album and time). */
export function trackRow(page: Page, title: string) {
	return tracksList(page)
		.getByRole('listitem')
		.filter({ has: page.getByRole('button').filter({ hasText: title }) })
		.first();
}

/** Click the seek slider at `fraction` of its width, as a user would. */
export async function clickSeek(page: Page, fraction: number) {
	const slider = page.getByRole('slider', { name: 'Seek' });
	const box = await slider.boundingBox();
	if (!box) throw new Error('seek slider not visible');
	await slider.click({ position: { x: box.width * fraction, y: box.height / 2 } });
}

/**
 * A point of the track (as a fraction of its length, at least `min`) that Chromium has not
 * read yet, so seeking there needs a new Range request. Chromium reads ahead several MB
 * quickly on loopback, hence not a fixed 75 %.
 */
export function unbufferedFraction(state: { duration: number; buffered: number[][] }, min: number): number {
	const bufferedEnd = Math.max(0, ...state.buffered.map(([, end]) => end ?? 0));
	const fraction = Math.max(min, (bufferedEnd + 10) / state.duration);
	if (fraction > 0.95) {
		throw new Error(`nearly all of the track is buffered already: ${JSON.stringify(state.buffered)}`);
	}
	return fraction;
}

/**
 * Limit `page`'s network to `bytesPerSecond` each way (5 ms latency). On loopback Chromium
 * reads a whole track within a second, so a seek target must be kept ahead of what it has
 * read for the seek to need a Range request of its own.
 */
export async function throttleNetwork(page: Page, bytesPerSecond: number) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 5,
		downloadThroughput: bytesPerSecond,
		uploadThroughput: bytesPerSecond
	});
}

/** Every console error and uncaught error of `page` goes into `errors` (for pages of extra contexts). */
export function collectConsoleErrors(page: Page, errors: string[], allowed: RegExp[] = []) {
	page.on('console', (message) => {
		if (message.type() !== 'error') return;
		const text = `${message.text()} (${message.location().url})`;
		if (!allowed.some((re) => re.test(text))) errors.push(text);
	});
	page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
}

/**
 * POST a GraphQL operation with the request context's cookies, as the player would (JSON,
 * same-origin `Origin`, which cookie-authenticated mutations need), and return `data`.
 */
export async function graphql<T = Record<string, unknown>>(
	request: APIRequestContext,
	serverUrl: string,
	query: string,
	variables: Record<string, unknown> = {}
): Promise<T> {
	const response = await request.post(`${serverUrl}/graphql`, {
		data: { query, variables },
		headers: { Origin: serverUrl }
	});
	expect(response.status()).toBe(200);
	const body = await response.json();
	expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
	return body.data as T;
}
