import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphQLClient, type FetchLike } from '$lib/api/graphql';
import type { Track } from '$lib/api/types';
import { samplePlaylist } from '$lib/testing';
import {
	BOOT_ANSWER_ID,
	BOOT_QUERY,
	BOOT_REQUEST_ID,
	boot,
	bootRequestBlock,
	bootWithin,
	earlyBootScript
} from './boot';
import { PAGE_SIZE } from './track-list.svelte';

const ada = { id: 'VXNlcjox', username: 'ada', role: 'LISTENER', mustChangePassword: false, canUpload: false };
const track: Track = {
	id: 'VHJhY2s6MQ==',
	title: 'One',
	artist: 'A',
	artists: [{ id: 'QXJ0aXN0OjE=', name: 'A' }],
	album: { id: 'QWxidW06MQ==', title: 'B' },
	albumArtist: null,
	trackNumber: 1,
	discNumber: 1,
	discSubtitle: null,
	durationSeconds: 60,
	mimeType: 'audio/mpeg',
	coverArt: { placeholder: '#336699', small: '/api/art/ab/64', medium: '/api/art/ab/300', large: '/api/art/ab/600' },
	streamUrl: { url: '/api/tracks/1/stream?token=t', expiresAt: '2030-01-01T00:00:00+00:00' }
};
const stats = { trackCount: 1, artistCount: 1, albumCount: 1, totalDurationSeconds: 60 };
const signedIn = {
	data: {
		viewer: ada,
		authMode: 'REQUIRED',
		library: stats,
		tracks: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: 'c1' }, edges: [{ node: track }] },
		playlists: {
			totalCount: 1,
			pageInfo: { hasNextPage: false, endCursor: 'p1' },
			edges: [{ node: samplePlaylist(1) }]
		}
	}
};
const unauthenticated = {
	data: null,
	errors: [
		{ message: 'Sign in first', path: ['library'], extensions: { code: 'UNAUTHENTICATED' } },
		{ message: 'Sign in first', path: ['tracks'], extensions: { code: 'UNAUTHENTICATED' } }
	]
};

const json = (body: unknown, status = 200) =>
	new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/graphql-response+json' } });

function client(respond: () => Response | Promise<Response>) {
	const calls: { url: string; init?: RequestInit }[] = [];
	const fetch: FetchLike = async (url, init) => {
		calls.push({ url, init });
		return respond();
	};
	return { client: new GraphQLClient({ fetch }), calls };
}

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('boot', () => {
	it('asks for the viewer, the totals, the first page and the sidebar’s playlists in one request', async () => {
		const { client: c, calls } = client(() => json(signedIn));
		const result = await boot(c);
		expect(calls).toHaveLength(1);
		const body = JSON.parse(String(calls[0]?.init?.body));
		expect(body).toEqual({ query: BOOT_QUERY, variables: { first: PAGE_SIZE, orderBy: 'ARTIST' } });
		expect(body.query).toMatch(/streamUrl \{\s*url\s*expiresAt\s*\}/);
		expect(result).toEqual({
			viewer: { viewer: ada, authMode: 'REQUIRED' },
			library: {
				stats,
				orderBy: 'ARTIST',
				page: { tracks: [track], pageInfo: { hasNextPage: false, endCursor: 'c1' }, totalCount: 1 },
				playlists: {
					items: [samplePlaylist(1)],
					pageInfo: { hasNextPage: false, endCursor: 'p1' },
					totalCount: 1
				}
			}
		});
		expect(body.query).toContain('playlists(first: 100, scope: ALL)');
	});

	it('reads "nobody signed in" from the library fields refusing', async () => {
		const { client: c } = client(() => json(unauthenticated, 401));
		await expect(boot(c)).resolves.toEqual({ viewer: { viewer: null, authMode: 'REQUIRED' }, library: null });
	});

	it('has no answer when the server is unreachable or reports another error', async () => {
		const down = new GraphQLClient({
			fetch: async () => {
				throw new TypeError('Failed to fetch');
			}
		});
		await expect(boot(down)).resolves.toBeNull();
		const { client: broken } = client(() =>
			json({ data: null, errors: [{ message: 'x', path: ['tracks'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })
		);
		await expect(boot(broken)).resolves.toBeNull();
		const { client: html } = client(() => new Response('<html>502</html>', { status: 502 }));
		await expect(boot(html)).resolves.toBeNull();
	});

	it('reads the request the HTML shell already sent, once', async () => {
		const early = Promise.resolve(json(signedIn));
		vi.stubGlobal('window', { __tonearmBoot: early });
		const { client: c, calls } = client(() => json(unauthenticated));
		const first = await boot(c);
		expect(first?.viewer.viewer).toEqual(ada);
		expect(calls).toHaveLength(0); // nothing sent: the shell's request answered
		expect(await boot(c)).toEqual({ viewer: { viewer: null, authMode: 'REQUIRED' }, library: null });
		expect(calls).toHaveLength(1); // a second boot asks anew
	});

	it('treats a failed early request like any unreachable server', async () => {
		const early = Promise.reject(new TypeError('Failed to fetch'));
		early.catch(() => {});
		vi.stubGlobal('window', { __tonearmBoot: early });
		await expect(boot(client(() => json(signedIn)).client)).resolves.toBeNull();
	});
	it('reads the answer the server embedded in the shell, once, and sends nothing', async () => {
		const element = { textContent: JSON.stringify(signedIn), remove: vi.fn() };
		const early = Promise.resolve(json(unauthenticated));
		vi.stubGlobal('window', { __tonearmBoot: early });
		vi.stubGlobal('document', {
			getElementById: (id: string) => (id === BOOT_ANSWER_ID && element.remove.mock.calls.length === 0 ? element : null)
		});
		const { client: c, calls } = client(() => json(unauthenticated));
		const first = await boot(c);
		expect(first?.viewer.viewer).toEqual(ada);
		expect(first?.library?.page.tracks).toEqual([track]);
		expect(element.remove).toHaveBeenCalledTimes(1);
		expect(calls).toHaveLength(0);
		expect(await boot(c)).toEqual({ viewer: { viewer: null, authMode: 'REQUIRED' }, library: null });
		expect(calls).toHaveLength(1); // neither the embedded answer nor a stray early request is reused
	});

	it('treats an embedded answer that is not JSON like any unclear answer', async () => {
		vi.stubGlobal('window', {});
		vi.stubGlobal('document', { getElementById: () => ({ textContent: '<html>', remove: () => {} }) });
		await expect(boot(client(() => json(signedIn)).client)).resolves.toBeNull();
	});
});

/** The shell's boot request block, parsed as a browser would read its text. */
function requestBlock(): { text: string; body: { query: string; variables: unknown } } {
	const block = bootRequestBlock();
	const match = new RegExp(`^<script type="application/json" id="${BOOT_REQUEST_ID}">(.*)</script>$`, 's').exec(block);
	expect(match).not.toBeNull();
	const text = match?.[1] ?? '';
	return { text, body: JSON.parse(text) };
}

describe('bootRequestBlock', () => {
	it('holds exactly the boot operation, with no way out of its element', () => {
		const { text, body } = requestBlock();
		expect(text).not.toContain('<');
		expect(body).toEqual({
			query: BOOT_QUERY.replace(/\s+/g, ' ').trim(),
			variables: { first: PAGE_SIZE, orderBy: 'ARTIST' }
		});
	});
});

describe('earlyBootScript', () => {
	const run = (pathname: string, elements: Record<string, { textContent: string }>) => {
		const fetch = vi.fn(async () => json(signedIn));
		const win: { __tonearmBoot?: Promise<Response> } = {};
		const doc = { getElementById: (id: string) => elements[id] ?? null };
		new Function('window', 'location', 'fetch', 'document', earlyBootScript())(win, { pathname }, fetch, doc);
		return { fetch, win };
	};

	it('sends exactly the boot request block, on the player page only, with no way out of its element', async () => {
		expect(earlyBootScript()).not.toMatch(/<\/script/i);
		const { text } = requestBlock();
		const { fetch, win } = run('/', { [BOOT_REQUEST_ID]: { textContent: text } });
		expect(fetch).toHaveBeenCalledTimes(1);
		const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
		expect(url).toBe('/graphql');
		expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin' });
		expect(init.headers).toEqual({
			'Content-Type': 'application/json',
			Accept: 'application/graphql-response+json, application/json'
		});
		expect(init.body).toBe(text);
		await expect(win.__tonearmBoot).resolves.toBeInstanceOf(Response);

		expect(run('/admin', { [BOOT_REQUEST_ID]: { textContent: text } }).fetch).not.toHaveBeenCalled();
	});

	it('sends nothing when the server embedded the answer', () => {
		const { text } = requestBlock();
		const { fetch, win } = run('/', {
			[BOOT_REQUEST_ID]: { textContent: text },
			[BOOT_ANSWER_ID]: { textContent: '{}' }
		});
		expect(fetch).not.toHaveBeenCalled();
		expect(win.__tonearmBoot).toBeUndefined();
	});
});

describe('bootWithin', () => {
	it('gives the answer when it comes in time', async () => {
		const answer = { viewer: { viewer: null, authMode: 'REQUIRED' as const }, library: null };
		await expect(bootWithin(50, Promise.resolve(answer))).resolves.toEqual({ boot: answer, pending: null });
	});

	it('gives the request still under way when it does not', async () => {
		const never = new Promise<null>(() => {});
		const result = await bootWithin(5, never);
		expect(result.boot).toBeNull();
		expect(result.pending).toBe(never);
	});
});
