import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from '@playwright/test';
import { E2E_ADMIN_PASSWORD, E2E_ADMIN_USERNAME, collectConsoleErrors, expect, graphql, test } from './fixtures';
import { startServer, stop, type Server } from './global-setup';

// Direct uploads into a real S3 server: moto (`moto_server`) on a free port with a bucket and
// the CORS rule docs/DEPLOYMENT.md prescribes, and tonearm with TONEARM_STORAGE=s3 on it. The
// player PUTs the parts straight to the bucket (none pass through tonearm: its access log has
// no /api/uploads and no multipart GraphQL request), the track appears, and it plays through
// a 302 to a presigned GET, byte for byte. A file over the size limit is refused at the start.

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
const MOTO = process.env.MOTO_SERVER_BIN ?? '/work/main/.venv/bin/moto_server';
const BUCKET = 'tonearm-e2e-direct';
const MiB = 1024 * 1024;
const LIMIT = 12 * MiB;

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() =>
				typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
			);
		});
	});
}

/** A mono 16-bit PCM WAV of `seconds` of a sine (real audio the probe reads). */
function wav(seconds: number, hz: number, rate = 44_100): Buffer {
	const samples = Math.round(seconds * rate);
	const buffer = Buffer.alloc(44 + samples * 2);
	buffer.write('RIFF', 0, 'ascii');
	buffer.writeUInt32LE(36 + samples * 2, 4);
	buffer.write('WAVEfmt ', 8, 'ascii');
	buffer.writeUInt32LE(16, 16);
	buffer.writeUInt16LE(1, 20);
	buffer.writeUInt16LE(1, 22);
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

interface Moto {
	url: string;
	child: ChildProcess;
	log: string[];
}

async function startMoto(): Promise<Moto> {
	const port = await freePort();
	const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
	const child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
	const log: string[] = [];
	const keep = (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean));
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	const url = `http://127.0.0.1:${port}`;
	for (let i = 0; i < 200; i++) {
		if (child.exitCode !== null) throw new Error(`moto_server exited: ${log.join('\n')}`);
		try {
			if ((await fetch(`${url}/moto-api/data.json`)).ok) return { url, child, log };
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error('moto_server did not start');
}

/** The bucket's CORS rule as docs/DEPLOYMENT.md gives it, for the player's origin. */
async function putCors(moto: Moto, origin: string) {
	const xml =
		'<CORSConfiguration><CORSRule>' +
		`<AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>` +
		'<AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>' +
		'<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>';
	const md5 = createHash('md5').update(xml).digest('base64');
	const response = await fetch(`${moto.url}/${BUCKET}?cors`, {
		method: 'PUT',
		body: xml,
		headers: { 'Content-MD5': md5 }
	});
	expect(response.status).toBe(200);
}

const LOGIN = /* GraphQL */ `
	mutation ($u: String!, $p: String!) {
		login(username: $u, password: $p) {
			__typename
		}
	}
`;

function uploadRow(page: Page, name: string) {
	return page.getByRole('list', { name: 'Uploads' }).getByRole('listitem').filter({ hasText: name });
}

test.describe.serial('direct uploads into S3', () => {
	const errors: string[] = [];
	let moto: Moto;
	let server: Server;
	let root: string;
	let files: string;
	let context: BrowserContext;
	let page: Page;
	const song = wav(100, 440); // 8.4 MiB: two parts (8 MiB and the rest)

	test.beforeAll(async ({ browser }) => {
		test.setTimeout(180_000);
		moto = await startMoto();
		expect((await fetch(`${moto.url}/${BUCKET}`, { method: 'PUT' })).status).toBe(200);
		root = mkdtempSync(path.join(tmpdir(), 'tonearm-e2e-direct-root-'));
		files = mkdtempSync(path.join(tmpdir(), 'tonearm-e2e-direct-files-'));
		server = await startServer('direct', root, {
			TONEARM_STORAGE: 's3',
			TONEARM_S3_ENDPOINT_URL: moto.url,
			TONEARM_S3_BUCKET: BUCKET,
			TONEARM_S3_REGION: 'us-east-1',
			TONEARM_S3_DELIVERY: 'redirect',
			TONEARM_MAX_UPLOAD_BYTES: String(LIMIT),
			AWS_ACCESS_KEY_ID: 'testing',
			AWS_SECRET_ACCESS_KEY: 'testing',
			AWS_EC2_METADATA_DISABLED: 'true',
			AWS_SHARED_CREDENTIALS_FILE: '/nonexistent'
		});
		await putCors(moto, server.url);
		context = await browser.newContext({ baseURL: server.url });
		await graphql(context.request, server.url, LOGIN, { u: E2E_ADMIN_USERNAME, p: E2E_ADMIN_PASSWORD });
		page = await context.newPage();
		collectConsoleErrors(page, errors);
	});

	test.afterAll(async () => {
		await context?.close();
		if (server) stop(server);
		moto?.child.kill('SIGTERM');
		if (moto) writeFileSync(path.join(artifacts, 'moto-direct.log'), moto.log.join('\n'));
		rmSync(root, { recursive: true, force: true });
		rmSync(files, { recursive: true, force: true });
		expect(errors, 'console errors (CSP violations included)').toEqual([]);
	});

	test('the player PUTs the parts to the bucket; the track appears and plays from a presigned GET', async () => {
		test.setTimeout(120_000);
		const file = path.join(files, 'Straight In.wav');
		writeFileSync(file, song);
		const puts: string[] = [];
		page.on('request', (request) => {
			if (request.method() === 'PUT') puts.push(request.url());
		});
		await page.goto('/upload');
		await expect(page.getByText(/Files go straight to the server.s storage in parts/)).toBeVisible();
		await page.getByLabel('Files to upload').setInputFiles(file);
		const row = uploadRow(page, 'Straight In.wav');
		await expect(row.getByText('Uploaded', { exact: true })).toBeVisible({ timeout: 60_000 });

		// Two parts, each PUT straight to the bucket's origin; none through tonearm.
		expect(puts.map((u) => [new URL(u).origin, new URL(u).searchParams.get('partNumber')])).toEqual([
			[moto.url, '1'],
			[moto.url, '2']
		]);
		const motoPuts = moto.log.filter((line) => /"PUT \/tonearm-e2e-direct\/incoming\/[^ ]*partNumber=/.test(line));
		expect(motoPuts.length).toBe(2);
		const tonearmLog = readFileSync(path.join(artifacts, 'server-direct.log'), 'utf8');
		expect(tonearmLog).toContain('"POST /graphql"');
		expect(tonearmLog).not.toMatch(/"(POST|PATCH|HEAD) \/api\/uploads/);

		// The track plays: the stream answers 302 to a presigned GET in the bucket, whose
		// bytes are the file's.
		await row.getByRole('link', { name: 'Straight In' }).click();
		const streamed = page.waitForResponse((r) => r.url().includes('/stream') && r.status() === 302);
		await page
			.getByRole('list', { name: 'Tracks' })
			.getByRole('button')
			.filter({ hasText: 'Straight In' })
			.first()
			.click();
		const redirect = await streamed;
		const location = redirect.headers()['location'] ?? '';
		expect(new URL(location).origin).toBe(moto.url);
		await page.waitForFunction(
			() => {
				const audio = document.querySelector('audio');
				return !!audio && !audio.paused && audio.currentTime > 0.5;
			},
			undefined,
			{ timeout: 20_000 }
		);
		const object = await context.request.get(location);
		expect(object.status()).toBe(200);
		const body = await object.body();
		expect(body.length).toBe(song.length);
		expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(song).digest('hex'));
	});

	test('a file over the size limit is refused at the start, with the server’s message, and nothing is sent', async () => {
		const file = path.join(files, 'Too Big.wav');
		writeFileSync(file, wav(150, 220)); // 12.6 MiB > 12 MiB
		const puts: string[] = [];
		page.on('request', (request) => {
			if (request.method() === 'PUT') puts.push(request.url());
		});
		await page.goto('/upload');
		await page.getByLabel('Files to upload').setInputFiles(file);
		const row = uploadRow(page, 'Too Big.wav');
		await expect(row.getByText('Not added')).toBeVisible({ timeout: 20_000 });
		await expect(row.getByRole('alert')).toHaveText(`the file is larger than the limit of ${LIMIT} bytes`);
		expect(puts).toEqual([]);
	});
});
