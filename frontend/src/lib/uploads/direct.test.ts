import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { directUploadsApi, type UploadResult } from '$lib/api/uploads';
import { graphqlFetch } from '$lib/testing';
import { directStarter, partRanges, resumeKey, xhrPutter, type PutXhr, type ResumeStore } from './direct';
import type { ResumableCallbacks } from './resumable';

// The transport with the real GraphQL client over a fake fetch (tonearm) and the real
// XMLHttpRequest putter over a fake XHR (the bucket): fakes only at the network boundary.

const NOW = Date.parse('2026-12-02T12:00:00Z');
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

type Outcome = number | 'network' | 'hold';

/** The bucket: records every PUT (URL and bytes); `plan` decides each attempt's outcome. */
function fakeBucket(plan: (url: string, attempt: number) => Outcome = () => 200) {
	const puts: { url: string; bytes: number[] }[] = [];
	const attempts = new Map<string, number>();
	const held: (() => void)[] = [];
	class FakeXhr implements PutXhr {
		status = 0;
		onload: (() => void) | null = null;
		onerror: (() => void) | null = null;
		onabort: (() => void) | null = null;
		upload: { onprogress: ((event: { loaded: number }) => void) | null } = { onprogress: null };
		#url = '';
		#done = false;
		open(method: string, url: string) {
			expect(method).toBe('PUT');
			this.#url = url;
		}
		send(body: Blob) {
			const url = this.#url;
			const attempt = attempts.get(url) ?? 0;
			attempts.set(url, attempt + 1);
			const outcome = plan(url, attempt);
			void body.arrayBuffer().then((buffer) => {
				const bytes = [...new Uint8Array(buffer)];
				this.upload.onprogress?.({ loaded: Math.floor(bytes.length / 2) });
				const answer = () => {
					if (this.#done) return;
					this.#done = true;
					if (outcome === 'network') return this.onerror?.();
					this.status = outcome === 'hold' ? 200 : outcome;
					if (this.status === 200) puts.push({ url, bytes });
					this.onload?.();
				};
				if (outcome === 'hold') held.push(answer);
				else answer();
			});
		}
		abort() {
			if (this.#done) return;
			this.#done = true;
			this.onabort?.();
		}
	}
	return { puts, held, xhr: () => new FakeXhr() };
}

/** tonearm: startDirectUpload with `partBytes`-sized parts; uploadPartUrls signs `…?sig=<n>`. */
function fakeServer({ partBytes = 4, refuse = null as object | null, known = true, expiresIn = HOUR } = {}) {
	let signed = 0;
	const url = (n: number) => ({
		partNumber: n,
		url: `http://bucket.test/incoming/u/up-1?partNumber=${n}&sig=${++signed}`,
		expiresAt: iso(NOW + expiresIn)
	});
	const server = graphqlFetch(({ operation, variables }) => {
		if (operation === 'PlayerStartDirectUpload') {
			if (refuse) return { data: { startDirectUpload: refuse } };
			const length = Number(variables.length);
			const count = Math.max(1, Math.ceil(length / partBytes));
			return {
				data: {
					startDirectUpload: {
						__typename: 'DirectUpload',
						uploadId: 'up-1',
						length: String(length),
						partBytes,
						partCount: count,
						expiresAt: iso(NOW + 24 * HOUR),
						parts: Array.from({ length: count }, (_, i) => url(i + 1))
					}
				}
			};
		}
		if (operation === 'PlayerUploadPartUrls') {
			if (!known) {
				return {
					data: { uploadPartUrls: { __typename: 'UploadNotFoundError', message: 'No upload of yours has this ID.' } }
				};
			}
			const numbers = variables.partNumbers as number[];
			return { data: { uploadPartUrls: { __typename: 'UploadPartUrls', parts: numbers.map(url) } } };
		}
		throw new Error(`unexpected ${operation}`);
	});
	const api = directUploadsApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
	const calls = (name: string) => server.requests.filter((r) => r.operation === name);
	return { api, requests: server.requests, calls };
}

function memoryStore(): ResumeStore & { items: Map<string, string> } {
	const items = new Map<string, string>();
	return {
		items,
		getItem: (key) => items.get(key) ?? null,
		setItem: (key, value) => void items.set(key, value),
		removeItem: (key) => void items.delete(key)
	};
}

/** Callbacks that record what happened; `ended` resolves at success, refusal or error. */
function recorder() {
	const progress: number[] = [];
	let resolveEnd: (value: string) => void = () => {};
	const ended = new Promise<string>((resolve) => (resolveEnd = resolve));
	const seen = { success: null as string | null, refused: null as UploadResult | null, error: null as string | null };
	const callbacks: ResumableCallbacks = {
		onProgress: (sent) => progress.push(sent),
		onSuccess: (id) => {
			seen.success = id;
			resolveEnd('success');
		},
		onRefused: (result) => {
			seen.refused = result;
			resolveEnd('refused');
		},
		onError: (message) => {
			seen.error = message;
			resolveEnd('error');
		}
	};
	return { callbacks, progress, ended, seen };
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256);
const file = (n = 10, name = 'Song.flac') =>
	new File([bytes(n)], name, { type: 'audio/flac', lastModified: 1_700_000_000_000 });
const settle = async () => {
	for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};
const partOf = (url: string) => Number(new URL(url).searchParams.get('partNumber'));

function starter(
	server: ReturnType<typeof fakeServer>,
	bucket: ReturnType<typeof fakeBucket>,
	extra: { store?: ResumeStore | null; now?: () => number; concurrency?: number; retryDelays?: number[] } = {}
) {
	const delays: number[] = [];
	const start = directStarter({
		api: server.api,
		put: xhrPutter(bucket.xhr),
		store: extra.store ?? null,
		now: extra.now ?? (() => NOW),
		concurrency: extra.concurrency ?? 2,
		retryDelays: extra.retryDelays,
		sleep: async (ms) => void delays.push(ms)
	});
	return { start, delays };
}

describe('partRanges', () => {
	it('cuts a file into parts of partBytes, the last holding the rest', () => {
		expect(partRanges(10, 4)).toEqual([
			{ number: 1, start: 0, end: 4 },
			{ number: 2, start: 4, end: 8 },
			{ number: 3, start: 8, end: 10 }
		]);
		expect(partRanges(8, 4)).toEqual([
			{ number: 1, start: 0, end: 4 },
			{ number: 2, start: 4, end: 8 }
		]);
		expect(partRanges(3, 8 * 1024 * 1024)).toEqual([{ number: 1, start: 0, end: 3 }]);
	});
});

describe('direct uploads', () => {
	it('PUTs each part’s exact bytes to its own URL, reports progress, then hands over the upload id', async () => {
		const server = fakeServer();
		const bucket = fakeBucket();
		const { start } = starter(server, bucket);
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('success');
		expect(run.seen.success).toBe('up-1');
		expect(server.calls('PlayerStartDirectUpload')[0]?.variables).toEqual({
			length: 10,
			fileName: 'Song.flac',
			contentType: 'audio/flac',
			albumId: null
		});
		const all = [...bytes(10)];
		expect(bucket.puts.map((p) => [partOf(p.url), p.bytes]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
			[1, all.slice(0, 4)],
			[2, all.slice(4, 8)],
			[3, all.slice(8, 10)]
		]);
		expect(run.progress.at(-1)).toBe(10);
		expect(run.progress.some((p) => p > 0 && p < 10)).toBe(true);
		expect(Math.max(...run.progress)).toBe(10);
		expect(server.calls('PlayerUploadPartUrls')).toHaveLength(0);
	});

	it('retries a part after a network error with the same URL, and after a 403 with one signed anew', async () => {
		const server = fakeServer();
		const bucket = fakeBucket((url, attempt) => {
			if (partOf(url) === 2 && attempt === 0) return 'network';
			if (url.endsWith('partNumber=1&sig=1')) return 403; // this URL is refused (expired)
			return 200;
		});
		const { start, delays } = starter(server, bucket, { concurrency: 1 });
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('success');
		// Part 1: 403 on sig=1, then a new URL for part 1 alone (2 and 3 still have good ones).
		expect(server.calls('PlayerUploadPartUrls').map((r) => r.variables)).toEqual([
			{ uploadId: 'up-1', partNumbers: [1] }
		]);
		const stored = bucket.puts.map((p) => p.url);
		expect(stored).toEqual([
			'http://bucket.test/incoming/u/up-1?partNumber=1&sig=4',
			'http://bucket.test/incoming/u/up-1?partNumber=2&sig=2',
			'http://bucket.test/incoming/u/up-1?partNumber=3&sig=3'
		]);
		expect(delays).toEqual([0, 0]);
	});

	it('signs new URLs before sending when the ones it has expire (a batch for the parts still to go)', async () => {
		const server = fakeServer({ expiresIn: 20_000 }); // inside the 30 s margin
		const bucket = fakeBucket();
		const { start } = starter(server, bucket, { concurrency: 1 });
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('success');
		const asked = server.calls('PlayerUploadPartUrls').map((r) => r.variables.partNumbers);
		expect(asked[0]).toEqual([1, 2, 3]);
		expect(bucket.puts).toHaveLength(3);
	});

	it('gives up after the retries with a message, and leaves the upload to a retry', async () => {
		const server = fakeServer();
		const bucket = fakeBucket((url) => (partOf(url) === 3 ? 'network' : 200));
		const { start, delays } = starter(server, bucket, { concurrency: 1, retryDelays: [0, 1000] });
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('error');
		expect(run.seen.error).toBe(
			'The upload was interrupted and could not be resumed. Check the connection, then retry.'
		);
		expect(delays).toEqual([0, 1000]);
	});

	it('does not retry a part the bucket refuses for good (404: the upload was aborted)', async () => {
		const server = fakeServer();
		const bucket = fakeBucket(() => 404);
		const { start, delays } = starter(server, bucket, { concurrency: 1 });
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('error');
		expect(run.seen.error).toBe('The storage refused part 1 of 3 (HTTP 404).');
		expect(delays).toEqual([]);
	});

	it('hands the server’s refusal over as the file’s result and sends nothing', async () => {
		const server = fakeServer({
			refuse: {
				__typename: 'QuotaExceeded',
				fileName: 'Song.flac',
				message: 'Storing this file would pass your storage quota.',
				usedBytes: '90',
				limitBytes: '100'
			}
		});
		const bucket = fakeBucket();
		const { start } = starter(server, bucket);
		const run = recorder();
		start(file(10), run.callbacks);
		expect(await run.ended).toBe('refused');
		expect(run.seen.refused).toEqual({
			kind: 'quota-exceeded',
			fileName: 'Song.flac',
			message: 'Storing this file would pass your storage quota.',
			usedBytes: 90,
			limitBytes: 100
		});
		expect(bucket.puts).toHaveLength(0);
	});

	it('pause aborts the PUTs under way; resume sends only the parts not yet stored', async () => {
		const server = fakeServer();
		let holding = true;
		const bucket = fakeBucket((url) => (holding && partOf(url) === 2 ? 'hold' : 200));
		const { start } = starter(server, bucket, { concurrency: 1 });
		const run = recorder();
		const handle = start(file(10), run.callbacks);
		await settle();
		expect(bucket.puts.map((p) => partOf(p.url))).toEqual([1]);
		expect(run.progress.at(-1)).toBe(6); // part 1 and half of part 2
		handle.pause();
		await settle();
		expect(run.progress.at(-1)).toBe(4); // the aborted part's bytes do not count
		bucket.held.forEach((answer) => answer()); // too late: that request was aborted
		holding = false;
		handle.resume();
		expect(await run.ended).toBe('success');
		expect(bucket.puts.map((p) => partOf(p.url))).toEqual([1, 2, 3]);
	});

	it('after a reload, the same file goes on with its upload: new URLs for the missing parts only', async () => {
		const store = memoryStore();
		const server = fakeServer();
		const first = fakeBucket((url) => (partOf(url) === 1 ? 200 : 'hold'));
		const run = recorder();
		const handle = starter(server, first, { store, concurrency: 1 }).start(file(10), run.callbacks);
		await settle();
		handle.pause(); // the tab closes
		expect(JSON.parse(store.items.get(resumeKey(file(10))) ?? '{}')).toMatchObject({
			uploadId: 'up-1',
			partBytes: 4,
			partCount: 3,
			done: [1]
		});

		const again = fakeBucket();
		const resumed = recorder();
		starter(server, again, { store }).start(file(10), resumed.callbacks);
		expect(await resumed.ended).toBe('success');
		expect(resumed.seen.success).toBe('up-1');
		expect(server.calls('PlayerStartDirectUpload')).toHaveLength(1);
		expect(server.calls('PlayerUploadPartUrls').map((r) => r.variables)).toEqual([
			{ uploadId: 'up-1', partNumbers: [2, 3] }
		]);
		expect(again.puts.map((p) => partOf(p.url)).sort()).toEqual([2, 3]);
		expect(resumed.progress[0]).toBe(4);
		expect(store.items.size).toBe(0); // forgotten once every part is there
	});

	it('starts afresh when the server no longer has the noted upload', async () => {
		const store = memoryStore();
		store.setItem(
			resumeKey(file(10)),
			JSON.stringify({ uploadId: 'gone', partBytes: 4, partCount: 3, expiresAt: NOW + HOUR, albumId: null, done: [1] })
		);
		const server = fakeServer({ known: false });
		const bucket = fakeBucket();
		const run = recorder();
		starter(server, bucket, { store }).start(file(10), run.callbacks);
		expect(await run.ended).toBe('success');
		expect(server.calls('PlayerUploadPartUrls')[0]?.variables).toEqual({ uploadId: 'gone', partNumbers: [2, 3] });
		expect(server.calls('PlayerStartDirectUpload')).toHaveLength(1);
		expect(bucket.puts).toHaveLength(3);
	});
});
