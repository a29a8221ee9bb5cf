/**
 * Starts real tonearm servers for the e2e suite:
 *  1. builds the player (`vite build`) unless TONEARM_E2E_SKIP_BUILD=1,
 *  2. generates the demo library into e2e/.cache/demo-library (again when demo.py changed),
 *  3. starts `tonearm serve` four times on free loopback ports, each with its own data dir:
 *     one with the default stream-URL lifetime, one with TONEARM_STREAM_URL_TTL=3, one
 *     for variants whose media root holds only a long FLAC made with Debian's ffmpeg (so its
 *     variants are made on first play, and the demo library's counts stay as they are), and
 *     one for uploads with an empty media root (uploads.spec.ts adds its tracks); accounts
 *     are on (TONEARM_AUTH unset = required), so each data dir first gets the listener
 *     E2E_USERNAME and the admin E2E_ADMIN_USERNAME (`tonearm user add`, password on stdin),
 *  4. waits for GET /healthz, exports the URLs, and returns a teardown that stops them.
 * A spec that changes its media root's files (missing.spec.ts) starts a server of its own
 * with `startServer` and stops it with `stop`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_ADMIN_PASSWORD, E2E_ADMIN_USERNAME, E2E_PASSWORD, E2E_USERNAME } from './credentials';
import { VARIANT_TRACK } from './variant-track';

const here = path.dirname(fileURLToPath(import.meta.url));
const frontendDir = path.resolve(here, '..');
const cacheDir = path.join(here, '.cache');
const artifactsDir = path.join(here, 'artifacts');
const tonearmBin = path.resolve(frontendDir, process.env.TONEARM_BIN ?? '../.venv/bin/tonearm');

export const SHORT_TTL_SECONDS = 3;

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() =>
				typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
			);
		});
	});
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
	const result = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(
			`${cmd} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`
		);
	}
}

/** The demo library, generated again whenever its generator (demo.py) has changed. */
function demoLibrary(): string {
	const dir = path.join(cacheDir, 'demo-library');
	const marker = path.join(cacheDir, 'demo-library.complete');
	const generator = createHash('sha256')
		.update(readFileSync(path.resolve(frontendDir, '../tonearm/library/demo.py')))
		.digest('hex');
	if (existsSync(dir) && existsSync(marker) && readFileSync(marker, 'utf8') === generator) return dir;
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(cacheDir, { recursive: true });
	run(tonearmBin, ['demo-library', dir]);
	writeFileSync(marker, generator);
	return dir;
}

/**
 * A media root with one FLAC of VARIANT_TRACK.seconds (several MB, so a far seek target is
 * not buffered yet), made with Debian's ffmpeg once and kept in the cache.
 */
function variantLibrary(): string {
	const dir = path.join(cacheDir, 'variant-library');
	const file = path.join(dir, 'first-play-sweep.flac');
	const recipe = JSON.stringify(VARIANT_TRACK) + ':1';
	const marker = path.join(cacheDir, 'variant-library.complete');
	if (existsSync(file) && existsSync(marker) && readFileSync(marker, 'utf8') === recipe) return dir;
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	const { title, artist, album, seconds } = VARIANT_TRACK;
	// A rising tone over quiet noise: it compresses like music, not like silence.
	run(process.env.FFMPEG_PATH ?? '/usr/bin/ffmpeg', [
		'-nostdin',
		'-loglevel',
		'error',
		'-f',
		'lavfi',
		'-i',
		`aevalsrc='0.3*sin(2*PI*(220+t)*t)|0.3*sin(2*PI*(330+t)*t)':s=44100:d=${seconds}`,
		'-f',
		'lavfi',
		'-i',
		`anoisesrc=d=${seconds}:a=0.02:r=44100`,
		'-filter_complex',
		'[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0',
		'-c:a',
		'flac',
		'-metadata',
		`title=${title}`,
		'-metadata',
		`artist=${artist}`,
		'-metadata',
		`album=${album}`,
		file
	]);
	writeFileSync(marker, recipe);
	return dir;
}

export interface Server {
	url: string;
	child: ChildProcess;
	dataDir: string;
}

/** Create an e2e user in `dataDir` (this migrates the database too). Never on argv: stdin. */
function addUser(dataDir: string, username: string, password: string, admin = false) {
	const env: NodeJS.ProcessEnv = { ...process.env, TONEARM_DATA_DIR: dataDir };
	delete env.TONEARM_AUTH;
	const args = ['user', 'add', username, ...(admin ? ['--admin'] : [])];
	const result = spawnSync(tonearmBin, args, { input: `${password}\n`, env, encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(
			`tonearm ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`
		);
	}
}

export async function startServer(name: string, mediaRoot: string, extraEnv: Record<string, string>): Promise<Server> {
	const port = await freePort();
	const dataDir = mkdtempSync(path.join(tmpdir(), `tonearm-e2e-${name}-`));
	try {
		addUser(dataDir, E2E_USERNAME, E2E_PASSWORD);
		addUser(dataDir, E2E_ADMIN_USERNAME, E2E_ADMIN_PASSWORD, true);
	} catch (error) {
		rmSync(dataDir, { recursive: true, force: true });
		throw error;
	}
	const log = createWriteStream(path.join(artifactsDir, `server-${name}.log`));
	const serverEnv: NodeJS.ProcessEnv = {
		...process.env,
		TONEARM_MEDIA_ROOT: mediaRoot,
		TONEARM_DATA_DIR: dataDir,
		TONEARM_SCAN_ON_STARTUP: 'true',
		TONEARM_FRONTEND_DIR: path.join(frontendDir, 'build'),
		...extraEnv
	};
	delete serverEnv.TONEARM_AUTH; // accounts required, the default
	const child = spawn(tonearmBin, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
		env: serverEnv,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true // own process group, so teardown can stop it and its children
	});
	// Two sources into one file: neither may end it (a late line on the other would be a
	// write after end, which crashes the runner at teardown); the child's exit does.
	child.stdout?.pipe(log, { end: false });
	child.stderr?.pipe(log, { end: false });
	child.on('close', () => log.end());
	const url = `http://127.0.0.1:${port}`;
	await waitForHealth(url, child, name);
	return { url, child, dataDir };
}

async function waitForHealth(url: string, child: ChildProcess, name: string, timeoutMs = 120_000) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) {
			throw new Error(`tonearm (${name}) exited with ${child.exitCode}; see e2e/artifacts/server-${name}.log`);
		}
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`tonearm (${name}) did not become healthy within ${timeoutMs} ms`);
}

export function stop(server: Server) {
	if (server.child.exitCode === null && server.child.pid) {
		try {
			process.kill(-server.child.pid, 'SIGTERM');
		} catch {
			// already gone
		}
	}
	rmSync(server.dataDir, { recursive: true, force: true });
}

export default async function globalSetup() {
	if (!existsSync(tonearmBin)) {
		throw new Error(`tonearm executable not found at ${tonearmBin}; set TONEARM_BIN`);
	}
	mkdirSync(artifactsDir, { recursive: true });
	if (process.env.TONEARM_E2E_SKIP_BUILD !== '1' || !existsSync(path.join(frontendDir, 'build', 'index.html'))) {
		run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: frontendDir });
	}
	const mediaRoot = demoLibrary();
	const variantRoot = variantLibrary();
	const emptyRoot = mkdtempSync(path.join(tmpdir(), 'tonearm-e2e-empty-root-'));
	const started = await Promise.allSettled([
		startServer('main', mediaRoot, {}),
		startServer('short-ttl', mediaRoot, { TONEARM_STREAM_URL_TTL: String(SHORT_TTL_SECONDS) }),
		startServer('variants', variantRoot, {})
	]);
	// Started once the others answer: four servers starting at once on two busy cores took
	// longer than the health timeout.
	if (started.every((r) => r.status === 'fulfilled')) {
		started.push(...(await Promise.allSettled([startServer('uploads', emptyRoot, {})])));
	}
	const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
	const failed = started.find((r) => r.status === 'rejected');
	if (failed) {
		servers.forEach(stop);
		rmSync(emptyRoot, { recursive: true, force: true });
		throw failed.reason;
	}
	const [main, short, variants, uploads] = servers as [Server, Server, Server, Server];
	process.env.TONEARM_E2E_URL = main.url;
	process.env.TONEARM_E2E_SHORT_TTL_URL = short.url;
	process.env.TONEARM_E2E_VARIANTS_URL = variants.url;
	process.env.TONEARM_E2E_UPLOADS_URL = uploads.url;

	return async () => {
		for (const server of servers) stop(server);
		rmSync(emptyRoot, { recursive: true, force: true });
		await new Promise((r) => setTimeout(r, 200));
		for (const server of servers) {
			if (server.child.exitCode === null && server.child.pid) {
				try {
					process.kill(-server.child.pid, 'SIGKILL');
				} catch {
					// already gone
				}
			}
		}
	};
}
