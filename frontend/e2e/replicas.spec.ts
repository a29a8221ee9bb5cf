/**
 * Two tonearm replicas behind a real nginx (round-robin), on one PostgreSQL and one Redis,
 * started by tests/support/replica_stack.py (`python -m tests.support.replica_stack`): both
 * `tonearm serve` start together on an empty database (the migration lock lets one
 * migrate), share the secret key, the database, Redis (job queue, pub/sub) and the data dir.
 * Every response names its replica in `X-Tonearm-Instance`; "on A" steps address replica A's
 * port, "through B" steps replica B's (cookies belong to the host, not the port, so one
 * browser session signed in through nginx is the same session on both).
 *
 * Sign in through nginx, scan on A, play a stream served by B, a share minted on A played
 * through B, and a listening session with the host on A and a guest on B who follows the
 * host's play and seek (the session's events cross replicas through Redis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext, Page, Response } from '@playwright/test';
import {
	collectConsoleErrors,
	E2E_ADMIN_PASSWORD,
	E2E_ADMIN_USERNAME,
	expect,
	loginForm,
	submitLogin,
	test,
	trackButton,
	waitForTime
} from './fixtures';

const here = path.dirname(fileURLToPath(import.meta.url));
const frontendDir = path.resolve(here, '..');
const repoDir = path.resolve(frontendDir, '..');
const tonearmBin = path.resolve(frontendDir, process.env.TONEARM_BIN ?? '../.venv/bin/tonearm');
const python = path.join(path.dirname(tonearmBin), 'python');
const TRACK = 'Long Drive'; // 180 s in the demo album "First Light"
const ALBUM = 'First Light';
const INSTANCE = 'x-tonearm-instance';

interface Replicas {
	nginx: string;
	a: string;
	b: string;
	child: ChildProcess;
}

const test2 = test.extend<object, { replicas: Replicas }>({
	replicas: [
		async ({}, use) => {
			const child = spawn(
				python,
				[
					'-m',
					'tests.support.replica_stack',
					'--media-root',
					path.join(here, '.cache', 'demo-library'),
					'--frontend-dir',
					path.join(frontendDir, 'build'),
					'--logs',
					path.join(here, 'artifacts'),
					'--user',
					`${E2E_ADMIN_USERNAME}:${E2E_ADMIN_PASSWORD}:admin`
				],
				{ cwd: repoDir, env: { ...process.env, PYTHONPATH: repoDir }, stdio: ['pipe', 'pipe', 'inherit'] }
			);
			const ready = await new Promise<{ nginx: string; replicas: { a: string; b: string } }>((resolve, reject) => {
				let out = '';
				child.stdout?.on('data', (chunk: Buffer) => {
					out += chunk.toString();
					const line = out.split('\n').find((l) => l.startsWith('{'));
					if (line) resolve(JSON.parse(line));
				});
				child.on('exit', (code) => reject(new Error(`replica stack exited with ${code}`)));
			});
			await use({ nginx: ready.nginx, a: ready.replicas.a, b: ready.replicas.b, child });
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.stdin?.end(); // the stack tears itself down
			await exited;
		},
		{ scope: 'worker', timeout: 240_000 }
	],
	serverUrl: async ({ replicas }, use) => {
		await use(replicas.nginx);
	}
});

test2.describe.configure({ mode: 'serial' });

/** POST a GraphQL operation to one replica with the context's cookies; the replica that answered and `data`. */
async function gqlOn<T>(request: APIRequestContext, base: string, query: string, variables = {}) {
	const response = await request.post(`${base}/graphql`, {
		data: { query, variables },
		headers: { Origin: base }
	});
	expect(response.status()).toBe(200);
	const body = await response.json();
	expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
	return { instance: response.headers()[INSTANCE], data: body.data as T };
}

/** The replica that answered each stream response of `page`. */
function streamInstances(page: Page): string[] {
	const seen: string[] = [];
	page.on('response', (response: Response) => {
		if (response.url().includes('/stream?token=')) seen.push(response.headers()[INSTANCE] ?? '?');
	});
	return seen;
}

test2(
	'one server on two replicas: sign in, scan, stream, share, listen together',
	async ({ page, browser, replicas }) => {
		test2.setTimeout(120_000);
		const { nginx, a, b } = replicas;

		// nginx takes the replicas in turn.
		const seen = new Set<string>();
		for (let i = 0; i < 4; i++) seen.add((await page.request.get(`${nginx}/healthz`)).headers()[INSTANCE] ?? '?');
		expect([...seen].sort()).toEqual(['a', 'b']);

		// Sign in through nginx, with the form.
		await page.goto(`${nginx}/`);
		const form = loginForm(page);
		await expect(form.heading).toBeVisible({ timeout: 15_000 });
		await submitLogin(page, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD);
		await expect(form.heading).toHaveCount(0, { timeout: 15_000 });

		// Scan on replica A, with the session cookie nginx's answer set.
		const scan = await gqlOn<{ scanLibrary: { added: number } }>(page.request, a, 'mutation { scanLibrary { added } }');
		expect(scan.instance).toBe('a');
		expect(scan.data.scanLibrary.added).toBeGreaterThan(10);

		// Play a stream served by B: the player on B's port, the same browser session.
		const streams = streamInstances(page);
		await page.goto(`${b}/`);
		await trackButton(page, TRACK).click();
		await waitForTime(page, 1);
		expect(streams.length).toBeGreaterThan(0);
		expect(new Set(streams)).toEqual(new Set(['b']));

		// A share minted on A, played through B by someone without an account.
		const albums = await gqlOn<{ albums: { edges: { node: { id: string; title: string } }[] } }>(
			page.request,
			a,
			'query($s: String!) { albums(first: 5, search: $s) { edges { node { id title } } } }',
			{ s: ALBUM }
		);
		const albumId = albums.data.albums.edges.find((e) => e.node.title === ALBUM)?.node.id;
		const share = await gqlOn<{ createShare: { key: string } }>(
			page.request,
			a,
			'mutation($t: ID!) { createShare(input: { targetId: $t }) { ... on Share { key } } }',
			{ t: albumId }
		);
		expect(share.instance).toBe('a');
		const friend = await browser.newContext();
		const errors: string[] = [];
		const listener = await friend.newPage();
		collectConsoleErrors(listener, errors);
		const shareStreams = streamInstances(listener);
		await listener.goto(`${b}/s/${share.data.createShare.key}`);
		await expect(listener.getByRole('heading', { name: ALBUM, level: 1 })).toBeVisible();
		await listener.getByRole('button', { name: `Play ${TRACK}` }).click();
		await waitForTime(listener, 1);
		expect(new Set(shareStreams)).toEqual(new Set(['b']));
		await friend.close();

		// Listening together: the host on A, a guest on B.
		const host = page;
		await host.goto(`${a}/`);
		await host.getByRole('link', { name: 'Listen together' }).click();
		await host.getByLabel('Name', { exact: true }).fill('Two replicas');
		await host.getByLabel('Allow guests without an account').check();
		await host.getByRole('button', { name: 'Start session' }).click();
		await expect(host.getByRole('heading', { name: 'Two replicas' })).toBeVisible();
		const invite = new URL(await host.getByLabel('Invite link').inputValue());
		expect(invite.origin).toBe(a);
		const search = host.getByLabel('Add tracks', { exact: true });
		await search.fill(TRACK);
		await host.getByRole('button', { name: `Add ${TRACK}`, exact: true }).click();
		await expect(host.getByRole('list', { name: 'Queue' }).getByText(TRACK, { exact: true }).first()).toBeVisible();

		const guestContext = await browser.newContext();
		const guest = await guestContext.newPage();
		collectConsoleErrors(guest, errors);
		const guestStreams = streamInstances(guest);
		await guest.goto(`${b}${invite.pathname}`);
		await guest.getByLabel('Your name').fill('Robin');
		await guest.getByRole('button', { name: 'Join as a guest' }).click();
		await expect(guest.getByRole('list', { name: 'Queue' }).getByText(TRACK)).toBeVisible();
		await expect(host.getByRole('list', { name: 'Members' }).getByText('Robin')).toBeVisible();

		const nowPlaying = (p: Page) => p.getByRole('region', { name: 'Now playing', exact: true });
		const guestAudio = () =>
			guest
				.locator('section[aria-label="Now playing"] audio')
				.evaluate((el: HTMLAudioElement) => ({ paused: el.paused, currentTime: el.currentTime }));
		await nowPlaying(host).getByRole('button', { name: 'Play', exact: true }).click();
		await expect.poll(async () => (await guestAudio()).currentTime, { timeout: 20_000 }).toBeGreaterThan(0.5);
		expect((await guestAudio()).paused).toBe(false);
		await nowPlaying(host).getByRole('slider', { name: 'Seek' }).fill('60');
		await expect.poll(async () => (await guestAudio()).currentTime, { timeout: 15_000 }).toBeGreaterThan(60);
		expect((await guestAudio()).currentTime).toBeLessThan(70);
		expect(new Set(guestStreams)).toEqual(new Set(['b']));
		await guestContext.close();
		expect(errors).toEqual([]);
	}
);
