import { test as base, expect, type Page } from '@playwright/test';

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
	/** All tracks in the library, straight from the GraphQL API. */
	libraryTracks: TrackInfo[];
}

export const test = base.extend<Fixtures>({
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
	libraryTracks: async ({ request, serverUrl }, use) => {
		const response = await request.post(`${serverUrl}/graphql`, {
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
