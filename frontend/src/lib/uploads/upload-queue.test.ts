import { describe, expect, it, vi } from 'vitest';
import { GraphQLClient, NetworkError, TonearmApi } from '$lib/api/graphql';
import { multipartBody, toUploadResult, uploadsApi, type UploadResult, type XhrLike } from '$lib/api/uploads';
import { graphqlFetch } from '$lib/testing';
import type { TusCallbacks } from './tus';
import { uploadIdFrom } from './tus';
import { UploadQueue, type PickedFile } from './upload-queue.svelte';

const MiB = 1024 * 1024;

function picked(name: string, size: number): PickedFile {
	return { file: new File([new Uint8Array(size)], name, { type: 'audio/mpeg' }), path: `Album/${name}` };
}

const track = (n: number) => ({
	id: `VHJhY2s6${n}`,
	title: `Song ${n}`,
	album: { id: 'QWxidW06MQ==', title: 'Album' }
});

/** A server that answers each batch with one result per file (NotAudio for `.txt.mp3`). */
function fakeUploads(uploadMethod: 'TUS' | 'DIRECT' = 'TUS') {
	const batches: string[][] = [];
	const finished: string[] = [];
	let release: () => void = () => {};
	let hold = false;
	const api = {
		uploadTracks: vi.fn(
			async (files: readonly File[], { onProgress }: { onProgress?: (l: number, t: number) => void }) => {
				batches.push(files.map((f) => f.name));
				const total = files.reduce((n, f) => n + f.size, 0);
				onProgress?.(total / 2, total);
				if (hold) await new Promise<void>((resolve) => (release = resolve));
				return files.map((f, i): UploadResult =>
					f.name.endsWith('.txt.mp3')
						? { kind: 'not-audio', fileName: f.name, message: 'This is not an audio file.' }
						: { kind: 'uploaded', fileName: f.name, track: track(batches.length * 100 + i) }
				);
			}
		),
		finishUpload: vi.fn(async (uploadId: string, fileName: string): Promise<UploadResult> => {
			finished.push(uploadId);
			return { kind: 'uploaded', fileName, track: track(999) };
		}),
		uploadStatus: vi.fn(async () => ({
			canUpload: true,
			quota: { usedBytes: 5 * MiB, limitBytes: 100 * MiB },
			uploadMethod
		}))
	};
	return {
		api,
		batches,
		finished,
		holdBatches: () => (hold = true),
		releaseBatch: () => release()
	};
}

/** A tus starter that records the uploads and lets the test drive their callbacks. */
function fakeTus() {
	const started: {
		file: File;
		callbacks: TusCallbacks;
		pause: ReturnType<typeof vi.fn>;
		resume: ReturnType<typeof vi.fn>;
	}[] = [];
	const start = (file: File, callbacks: TusCallbacks) => {
		const handle = { pause: vi.fn(), resume: vi.fn() };
		started.push({ file, callbacks, ...handle });
		return handle;
	};
	return { start, started };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('UploadQueue', () => {
	it('sends files over the threshold by tus and the rest in batches of at most 20', async () => {
		const server = fakeUploads();
		const tus = fakeTus();
		const queue = new UploadQueue({ api: server.api, tus: tus.start });
		const small = Array.from({ length: 45 }, (_, i) => picked(`${String(i).padStart(2, '0')}.mp3`, 1000));
		const items = queue.add([...small.slice(0, 10), picked('big.flac', 9 * MiB), ...small.slice(10)]);

		expect(items.map((i) => i.method).filter((m) => m === 'tus')).toHaveLength(1);
		expect(queue.methodFor(8 * MiB)).toBe('multipart'); // the threshold itself still goes in a batch
		expect(queue.methodFor(8 * MiB + 1)).toBe('tus');
		for (let i = 0; i < 5; i++) await settle();

		expect(server.batches.map((b) => b.length)).toEqual([20, 20, 5]);
		expect(server.batches.flat()).toEqual(small.map((p) => p.file.name)); // in the order given
		expect(tus.started.map((s) => s.file.name)).toEqual(['big.flac']);
	});

	it('closes a batch early at the byte limit', async () => {
		const server = fakeUploads();
		const queue = new UploadQueue({ api: server.api, tus: fakeTus().start, batchBytes: 2500 });
		queue.add([picked('a.mp3', 1000), picked('b.mp3', 1000), picked('c.mp3', 1000), picked('d.mp3', 3000)]);
		for (let i = 0; i < 5; i++) await settle();
		expect(server.batches).toEqual([['a.mp3', 'b.mp3'], ['c.mp3'], ['d.mp3']]);
	});

	it('maps each file to its result, and asks for the quota again after a batch', async () => {
		const server = fakeUploads();
		const added = vi.fn();
		const queue = new UploadQueue({ api: server.api, tus: fakeTus().start, onTracksAdded: added });
		const [one, text, two] = queue.add([picked('one.mp3', 10), picked('notes.txt.mp3', 10), picked('two.mp3', 10)]);
		await settle();
		await settle();

		expect([one?.status, text?.status, two?.status]).toEqual(['done', 'done', 'done']);
		expect(one?.result).toMatchObject({ kind: 'uploaded', track: { title: 'Song 100' } });
		expect(text?.result).toEqual({
			kind: 'not-audio',
			fileName: 'notes.txt.mp3',
			message: 'This is not an audio file.'
		});
		expect(text?.ok).toBe(false);
		expect(queue.counts).toEqual({ uploaded: 2, duplicates: 0, problems: 1 });
		expect(added).toHaveBeenCalledOnce(); // the library is told once per batch
		expect(server.api.uploadStatus).toHaveBeenCalledTimes(1);
		expect(queue.quota).toEqual({ usedBytes: 5 * MiB, limitBytes: 100 * MiB });
	});

	it('spreads a batch’s progress over its files in order, one batch at a time', async () => {
		const server = fakeUploads();
		server.holdBatches();
		const queue = new UploadQueue({ api: server.api, tus: fakeTus().start, batchFiles: 2 });
		const [a, b, c] = queue.add([picked('a.mp3', 100), picked('b.mp3', 300), picked('c.mp3', 100)]);
		await settle();

		// Half of 400 bytes sent: all of a, 100 of b; c waits for the next request.
		expect([a?.sent, b?.sent]).toEqual([100, 100]);
		expect([a?.status, b?.status, c?.status]).toEqual(['finishing', 'uploading', 'queued']);
		expect(server.batches).toHaveLength(1);
		server.releaseBatch();
		await settle();
		await settle();
		expect(server.batches).toEqual([['a.mp3', 'b.mp3'], ['c.mp3']]);
	});

	it('marks a batch that got no answer as failed, and retries it', async () => {
		const server = fakeUploads();
		server.api.uploadTracks.mockRejectedValueOnce(new NetworkError('down'));
		const queue = new UploadQueue({ api: server.api, tus: fakeTus().start });
		const [item] = queue.add([picked('a.mp3', 10)]);
		await settle();
		expect(item?.status).toBe('failed');
		expect(item?.error).toMatch(/Cannot reach the tonearm server/);

		queue.retry(item!);
		await settle();
		await settle();
		expect(item?.status).toBe('done');
		expect(server.api.uploadTracks).toHaveBeenCalledTimes(2);
	});

	it('pauses and resumes a tus upload, then finishes it with its upload id', async () => {
		const server = fakeUploads();
		const tus = fakeTus();
		const queue = new UploadQueue({ api: server.api, tus: tus.start, tusThresholdBytes: 50 });
		const [big] = queue.add([picked('big.flac', 100)]);
		const upload = tus.started[0]!;

		upload.callbacks.onProgress(40, 100);
		expect(big?.progress).toBe(0.4);
		queue.pause(big!);
		expect(big?.status).toBe('paused');
		expect(upload.pause).toHaveBeenCalledOnce();
		queue.resume(big!);
		expect(big?.status).toBe('uploading');
		expect(upload.resume).toHaveBeenCalledOnce();

		upload.callbacks.onSuccess('4a2c1f0e-0000-4000-8000-000000000001');
		expect(big?.status).toBe('finishing');
		await settle();
		expect(server.finished).toEqual(['4a2c1f0e-0000-4000-8000-000000000001']);
		expect(big?.status).toBe('done');
		expect(big?.result).toMatchObject({ kind: 'uploaded' });
		expect(server.api.uploadStatus).toHaveBeenCalled();
	});

	it('runs two tus uploads at once; a paused one lets the next start', () => {
		const tus = fakeTus();
		const queue = new UploadQueue({ api: fakeUploads().api, tus: tus.start, tusThresholdBytes: 5 });
		const [first] = queue.add([picked('1.flac', 10), picked('2.flac', 10), picked('3.flac', 10)]);
		expect(tus.started.map((s) => s.file.name)).toEqual(['1.flac', '2.flac']);
		queue.pause(first!);
		expect(tus.started.map((s) => s.file.name)).toEqual(['1.flac', '2.flac', '3.flac']);
	});

	it('with a bucket (DIRECT) every file waits for the server’s answer, then goes the direct way', async () => {
		const server = fakeUploads('DIRECT');
		const tus = fakeTus();
		const direct = fakeTus();
		const queue = new UploadQueue({ api: server.api, tus: tus.start, direct: direct.start, tusThresholdBytes: 50 });
		const [small, big, third] = queue.add([picked('small.mp3', 10), picked('big.flac', 100), picked('3.flac', 10)]);
		expect(small?.method).toBeNull();
		expect(direct.started).toHaveLength(0);
		await queue.refreshStatus();
		expect([small?.method, big?.method, third?.method]).toEqual(['direct', 'direct', 'direct']);
		// Two at a time, as tus; nothing through tonearm's own routes.
		expect(direct.started.map((s) => s.file.name)).toEqual(['small.mp3', 'big.flac']);
		expect(tus.started).toHaveLength(0);
		expect(server.batches).toHaveLength(0);

		queue.pause(big!);
		expect(big?.status).toBe('paused');
		expect(direct.started[1]?.pause).toHaveBeenCalledOnce();
		expect(direct.started.map((s) => s.file.name)).toEqual(['small.mp3', 'big.flac', '3.flac']);
		queue.resume(big!);
		expect(direct.started[1]?.resume).toHaveBeenCalledOnce();

		direct.started[0]!.callbacks.onRefused({
			kind: 'quota-exceeded',
			fileName: 'small.mp3',
			message: 'Storing this file would pass your storage quota.',
			usedBytes: 95 * MiB,
			limitBytes: 100 * MiB
		});
		expect(small?.status).toBe('done');
		expect(small?.ok).toBe(false);
		expect(small?.result).toMatchObject({ kind: 'quota-exceeded' });

		direct.started[1]!.callbacks.onSuccess('direct-1');
		await settle();
		expect(server.finished).toEqual(['direct-1']);
		expect(big?.status).toBe('done');
		expect(big?.ok).toBe(true);
	});

	it('with the tus answer (TUS) the waiting files go by tus and in batches as before', async () => {
		const server = fakeUploads('TUS');
		const tus = fakeTus();
		const direct = fakeTus();
		const queue = new UploadQueue({ api: server.api, tus: tus.start, direct: direct.start, tusThresholdBytes: 50 });
		const [small, big] = queue.add([picked('small.mp3', 10), picked('big.flac', 100)]);
		await queue.refreshStatus();
		await settle();
		expect([small?.method, big?.method]).toEqual(['multipart', 'tus']);
		expect(tus.started.map((s) => s.file.name)).toEqual(['big.flac']);
		expect(server.batches).toEqual([['small.mp3']]);
		expect(direct.started).toHaveLength(0);
	});

	it('keeps a tus error on the item', () => {
		const tus = fakeTus();
		const queue = new UploadQueue({ api: fakeUploads().api, tus: tus.start, tusThresholdBytes: 5 });
		const [item] = queue.add([picked('1.flac', 10)]);
		tus.started[0]!.callbacks.onError('File too large (HTTP 413)');
		expect(item?.status).toBe('failed');
		expect(item?.error).toBe('File too large (HTTP 413)');
	});
});

describe('upload results and requests', () => {
	it('flattens each member of the result union', () => {
		const t = track(1);
		expect(toUploadResult({ __typename: 'UploadedTrack', fileName: 'a.mp3', track: t }, 'x')).toEqual({
			kind: 'uploaded',
			fileName: 'a.mp3',
			track: t
		});
		expect(
			toUploadResult({ __typename: 'Duplicate', fileName: 'a.mp3', message: 'Already there.', track: t }, 'x')
		).toEqual({ kind: 'duplicate', fileName: 'a.mp3', message: 'Already there.', track: t });
		expect(
			toUploadResult({ __typename: 'TooLarge', fileName: 'a', message: 'big', limitBytes: '4294967296' }, 'x')
		).toEqual({
			kind: 'too-large',
			fileName: 'a',
			message: 'big',
			limitBytes: 4294967296
		});
		expect(
			toUploadResult({ __typename: 'QuotaExceeded', fileName: 'a', message: 'full', usedBytes: 9, limitBytes: 10 }, 'x')
		).toEqual({ kind: 'quota-exceeded', fileName: 'a', message: 'full', usedBytes: 9, limitBytes: 10 });
		expect(toUploadResult({ __typename: 'Corrupt', fileName: 'a', message: 'truncated' }, 'x').kind).toBe('corrupt');
		expect(toUploadResult({ __typename: 'UploadNotFoundError', message: 'No such upload.' }, 'big.flac')).toEqual({
			kind: 'refused',
			fileName: 'big.flac',
			message: 'No such upload.'
		});
		expect(toUploadResult({ __typename: 'UploadAlreadyFinishedError', message: 'done', track: t }, 'b').kind).toBe(
			'uploaded'
		);
	});

	it('builds a GraphQL multipart request body (operations, map, files in order)', async () => {
		const files = [new File(['one'], '../../etc/passwd.mp3'), new File(['two'], 'b.flac')];
		const form = multipartBody('mutation X { x }', { albumId: null }, files);
		expect([...form.keys()]).toEqual(['operations', 'map', '0', '1']);
		expect(JSON.parse(String(form.get('operations')))).toEqual({
			query: 'mutation X { x }',
			variables: { albumId: null, files: [null, null] }
		});
		expect(JSON.parse(String(form.get('map')))).toEqual({ 0: ['variables.files.0'], 1: ['variables.files.1'] });
		expect(await (form.get('1') as File).text()).toBe('two');
		expect((form.get('0') as File).name).toBe('../../etc/passwd.mp3'); // display text; the server names the file
	});

	it('sends uploadTracks with the CSRF header and reports progress', async () => {
		const sent: { headers: Record<string, string>; url?: string; body?: FormData } = { headers: {} };
		const xhr: XhrLike = {
			open: (_m, url) => (sent.url = url),
			setRequestHeader: (name, value) => (sent.headers[name] = value),
			send(body) {
				sent.body = body;
				this.upload.onprogress?.({ loaded: 5, total: 10 });
				(this as { status: number }).status = 200;
				(this as { responseText: string }).responseText = JSON.stringify({
					data: {
						uploadTracks: {
							__typename: 'UploadBatch',
							results: [{ __typename: 'NotAudio', fileName: 'a.mp3', message: 'This is not an audio file.' }]
						}
					}
				});
				this.onload?.();
			},
			abort: () => {},
			status: 0,
			responseText: '',
			onload: null,
			onerror: null,
			onabort: null,
			upload: { onprogress: null }
		};
		const progress: number[] = [];
		const api = uploadsApi(new TonearmApi(new GraphQLClient({ fetch: graphqlFetch(() => ({})).fetch })), () => xhr);
		const results = await api.uploadTracks([new File(['x'], 'a.mp3')], { onProgress: (l) => progress.push(l) });

		expect(sent.url).toBe('/graphql');
		expect(sent.headers['Tonearm-CSRF']).toBe('1');
		expect(JSON.parse(String(sent.body?.get('operations'))).query).toMatch(/mutation PlayerUploadTracks/);
		expect(progress).toEqual([5]);
		expect(results).toEqual([{ kind: 'not-audio', fileName: 'a.mp3', message: 'This is not an audio file.' }]);
	});

	it('reads the quota and the permission', async () => {
		const server = graphqlFetch(() => ({
			data: {
				viewer: {
					id: 'u',
					canUpload: true,
					uploadMethod: 'DIRECT',
					uploadQuota: { usedBytes: 12, limitBytes: null }
				}
			}
		}));
		const api = uploadsApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
		await expect(api.uploadStatus()).resolves.toEqual({
			canUpload: true,
			quota: { usedBytes: 12, limitBytes: null },
			uploadMethod: 'DIRECT'
		});
		expect(server.requests[0]?.operation).toBe('PlayerUploadStatus');
	});

	it('finds the upload id in a tus Location', () => {
		expect(uploadIdFrom('http://127.0.0.1:8000/api/uploads/4a2c1f0e-0000-4000-8000-000000000001')).toBe(
			'4a2c1f0e-0000-4000-8000-000000000001'
		);
		expect(uploadIdFrom('/api/uploads/abc/?x=1')).toBe('abc');
	});
});
