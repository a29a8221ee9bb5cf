// @ts-check
/**
 * How long the player takes to sound and to show the library, next to a plain HTML page.
 *
 *   node bench/player-latency.js            (environment below; `benchmarks/player.py` sets it)
 *
 * BENCH_PLAYER_URL   the tonearm server (`tonearm serve`), signed in as BENCH_USERNAME /
 *                    BENCH_PASSWORD (logged in once; every context starts with that cookie)
 * BENCH_PLAIN_URL    the plain page: `<ol id="tracks">` of buttons that set an `<audio>` src
 *                    to the same files (served by nginx)
 * BENCH_REPEAT       measured rounds per page (default 20), after BENCH_WARMUP (default 2)
 * BENCH_JSON         also write the samples here
 * BENCH_WATERFALL=1  print the resource timing of one player load (where the time goes)
 *
 * Each round opens a fresh browser context per page (empty HTTP cache) and measures, in the
 * page's own clock (`performance.now()`, 0 = navigation start):
 *  - list visible (cold): navigation start → the frame that paints the first track row;
 *  - click-to-sound, two ways: the click on a track not played before in that page → its
 *    `playing` event, and → the first frame in which the element plays with `currentTime`
 *    moved off 0 (the audio clock running: sound);
 *  - list visible (warm): the same in a second page of that context (cached assets).
 * Rounds alternate which page goes first. Prints medians, p90, ratios and the targets.
 */
import { writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';

const TARGETS = { clickToSound: 1.2, listVisible: 1.5 };

/** @typedef {'player' | 'plain'} Kind */
/** @typedef {{ listVisibleCold: number; clickToSound: number; clickToAdvance: number; listVisibleWarm: number }} Sample */
// clickToSound: click → `playing` event; clickToAdvance: click → the audio clock moving.

/** @type {Record<Kind, { row: string; button: string }>} */
const SELECTORS = {
	player: { row: 'ol[aria-label="Tracks"] > li', button: 'ol[aria-label="Tracks"] > li button.track' },
	plain: { row: 'ol#tracks > li', button: 'ol#tracks > li button' }
};

const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--autoplay-policy=no-user-gesture-required'
];

/**
 * Runs in the page before any of its scripts. Records when the first row is painted, the
 * last click, and the first `playing` after it that is followed by `currentTime` moving on.
 * @param {string} rowSelector
 */
function probe(rowSelector) {
	/** @type {{ listInDom?: number; listVisible?: number; clickAt?: number; playingAt?: number; advancedAt?: number }} */
	const marks = {};
	Object.defineProperty(window, '__bench', { value: marks });
	const seen = () => {
		if (marks.listInDom !== undefined || !document.querySelector(rowSelector)) return false;
		marks.listInDom = performance.now();
		// The callback runs in the frame that paints the row.
		requestAnimationFrame(() => (marks.listVisible = performance.now()));
		return true;
	};
	const observer = new MutationObserver(() => {
		if (seen()) observer.disconnect();
	});
	observer.observe(document, { childList: true, subtree: true });
	addEventListener(
		'click',
		(event) => {
			marks.clickAt = event.timeStamp;
			marks.playingAt = undefined;
			marks.advancedAt = undefined;
			// The audio clock, looked at once a frame from the click on: sound has started
			// when an element plays and its currentTime has moved off 0.
			const look = () => {
				const playing = [...document.querySelectorAll('audio')].some((a) => !a.paused && a.currentTime > 0);
				if (playing) marks.advancedAt = performance.now();
				else requestAnimationFrame(look);
			};
			requestAnimationFrame(look);
		},
		true
	);
	// Media events do not bubble, but capturing listeners on the document see them.
	document.addEventListener(
		'playing',
		(event) => {
			if (marks.clickAt !== undefined && marks.playingAt === undefined) marks.playingAt = event.timeStamp;
		},
		true
	);
}

/**
 * @param {import('@playwright/test').Page} page
 * @param {string} what
 */
async function mark(page, what) {
	const handle = await page.waitForFunction(
		(key) => /** @type {Record<string, number | undefined>} */ (/** @type {any} */ (window).__bench)[key],
		what,
		{ timeout: 15_000, polling: 20 }
	);
	return /** @type {number} */ (await handle.jsonValue());
}

/**
 * @param {import('@playwright/test').Browser} browser
 * @param {Kind} kind
 * @param {string} url
 * @param {number} track index of the track to click
 * @param {import('@playwright/test').BrowserContextOptions['storageState']} storageState
 * @returns {Promise<Sample>}
 */
async function round(browser, kind, url, track, storageState) {
	const { row, button } = SELECTORS[kind];
	const context = await browser.newContext({ storageState, viewport: { width: 1280, height: 800 } });
	try {
		await context.addInitScript(probe, row);
		const page = await context.newPage();
		await page.goto(url, { waitUntil: 'load' });
		const listVisibleCold = await mark(page, 'listVisible');
		// Let the page finish what it does after first paint (as a person would take a moment).
		await page.waitForLoadState('networkidle');
		await page.waitForTimeout(200);
		await page.locator(button).nth(track).click();
		const advancedAt = await mark(page, 'advancedAt');
		const playingAt = await mark(page, 'playingAt');
		const { clickAt } = await page.evaluate(() => /** @type {any} */ (window).__bench);
		const second = await context.newPage();
		await second.goto(url, { waitUntil: 'load' });
		const listVisibleWarm = await mark(second, 'listVisible');
		return {
			listVisibleCold,
			clickToSound: playingAt - clickAt,
			clickToAdvance: advancedAt - clickAt,
			listVisibleWarm
		};
	} finally {
		await context.close();
	}
}

/**
 * @param {string} playerUrl
 * @param {string} username
 * @param {string} password
 */
async function signIn(playerUrl, username, password) {
	const { request } = await import('@playwright/test');
	const api = await request.newContext({ baseURL: playerUrl, extraHTTPHeaders: { Origin: playerUrl } });
	const response = await api.post('/graphql', {
		data: {
			query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }',
			variables: { u: username, p: password }
		}
	});
	const body = await response.json();
	if (body?.data?.login?.__typename !== 'User') throw new Error(`login failed: ${JSON.stringify(body)}`);
	const state = await api.storageState();
	await api.dispose();
	return state;
}

/** @param {number[]} values @param {number} q */
function quantile(values, q) {
	const sorted = [...values].sort((a, b) => a - b);
	const at = (sorted.length - 1) * q;
	const lo = Math.floor(at);
	const hi = Math.ceil(at);
	return (sorted[lo] ?? NaN) + ((sorted[hi] ?? NaN) - (sorted[lo] ?? NaN)) * (at - lo);
}

/**
 * @param {import('@playwright/test').Browser} browser
 * @param {string} url
 * @param {import('@playwright/test').BrowserContextOptions['storageState']} storageState
 */
async function waterfall(browser, url, storageState) {
	const context = await browser.newContext({ storageState });
	await context.addInitScript(probe, SELECTORS.player.row);
	const page = await context.newPage();
	await page.goto(url, { waitUntil: 'load' });
	await mark(page, 'listVisible');
	const { entries, marks } = await page.evaluate(() => ({
		marks: /** @type {any} */ (window).__bench,
		entries: performance.getEntriesByType('resource').map((e) => {
			const r = /** @type {PerformanceResourceTiming} */ (e);
			return { name: r.name.replace(location.origin, ''), start: r.startTime, end: r.responseEnd };
		})
	}));
	const nav = /** @type {PerformanceNavigationTiming} */ (
		await page.evaluate(() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0])))
	);
	await context.close();
	console.log('\nwaterfall of one cold player load (ms since navigation start):');
	console.log(
		`  ${'document'.padEnd(52)} ${nav.requestStart.toFixed(1).padStart(7)} → ${nav.responseEnd.toFixed(1).padStart(7)}`
	);
	console.log(`  ${'DOMContentLoaded'.padEnd(52)} ${nav.domContentLoadedEventEnd.toFixed(1).padStart(7)}`);
	for (const e of entries) {
		console.log(
			`  ${e.name.slice(0, 52).padEnd(52)} ${e.start.toFixed(1).padStart(7)} → ${e.end.toFixed(1).padStart(7)}`
		);
	}
	console.log(`  ${'first row in the DOM'.padEnd(52)} ${marks.listInDom.toFixed(1).padStart(7)}`);
	console.log(`  ${'first row painted'.padEnd(52)} ${marks.listVisible.toFixed(1).padStart(7)}`);
}

async function main() {
	const playerUrl = required('BENCH_PLAYER_URL');
	const plainUrl = required('BENCH_PLAIN_URL');
	const repeat = Number(process.env.BENCH_REPEAT ?? 20);
	const warmup = Number(process.env.BENCH_WARMUP ?? 2);
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: CHROMIUM_ARGS
	});
	try {
		const storageState = await signIn(playerUrl, required('BENCH_USERNAME'), required('BENCH_PASSWORD'));
		const probePage = await browser.newPage();
		await probePage.goto(plainUrl);
		const tracks = await probePage.locator(SELECTORS.plain.button).count();
		await probePage.close();
		if (tracks === 0) throw new Error('the plain page lists no tracks');

		/** @type {Record<Kind, Sample[]>} */
		const samples = { player: [], plain: [] };
		for (let i = 0; i < warmup + repeat; i++) {
			const track = i % tracks;
			/** @type {Kind[]} */
			const order = i % 2 === 0 ? ['player', 'plain'] : ['plain', 'player'];
			for (const kind of order) {
				const sample = await round(
					browser,
					kind,
					kind === 'player' ? playerUrl : plainUrl,
					track,
					kind === 'player' ? storageState : undefined
				);
				if (i >= warmup) samples[kind].push(sample);
			}
			process.stderr.write(i < warmup ? 'w' : '.');
		}
		process.stderr.write('\n');
		if (process.env.BENCH_WATERFALL === '1') await waterfall(browser, playerUrl, storageState);
		report(samples, repeat, tracks);
		if (process.env.BENCH_JSON)
			writeFileSync(process.env.BENCH_JSON, JSON.stringify({ targets: TARGETS, samples }, null, 2));
	} finally {
		await browser.close();
	}
}

/** @param {Record<Kind, Sample[]>} samples @param {number} repeat @param {number} tracks */
function report(samples, repeat, tracks) {
	/** @type {[keyof Sample, string, number | null][]} */
	const metrics = [
		['clickToSound', 'click → `playing` event', TARGETS.clickToSound],
		['clickToAdvance', 'click → currentTime moving (sound)', TARGETS.clickToSound],
		['listVisibleCold', 'list visible, cold (fresh context)', TARGETS.listVisible],
		['listVisibleWarm', 'list visible, warm (cached assets)', null]
	];
	console.log(
		`\n${repeat} rounds per page (fresh context each), ${tracks} tracks, Chromium ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}`
	);
	console.log(
		`${'metric (ms)'.padEnd(38)}${'player p50'.padStart(11)}${'p90'.padStart(8)}${'plain p50'.padStart(11)}${'p90'.padStart(8)}${'ratio'.padStart(8)}  target`
	);
	let missed = 0;
	for (const [key, label, target] of metrics) {
		const player = samples.player.map((s) => s[key]);
		const plain = samples.plain.map((s) => s[key]);
		const ratio = quantile(player, 0.5) / quantile(plain, 0.5);
		const verdict = target === null ? '' : `≤ ${target.toFixed(1)}× ${ratio <= target ? 'met' : 'MISSED'}`;
		if (target !== null && ratio > target) missed++;
		console.log(
			`${label.padEnd(38)}${quantile(player, 0.5).toFixed(1).padStart(11)}${quantile(player, 0.9).toFixed(1).padStart(8)}` +
				`${quantile(plain, 0.5).toFixed(1).padStart(11)}${quantile(plain, 0.9).toFixed(1).padStart(8)}${`${ratio.toFixed(2)}×`.padStart(8)}  ${verdict}`
		);
	}
	console.log(missed === 0 ? 'targets: all met' : `targets: ${missed} missed`);
}

/** @param {string} name */
function required(name) {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set (run benchmarks/player.py, or see the top of this file)`);
	return value;
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
