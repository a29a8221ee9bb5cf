import { describeError } from '$lib/api/graphql';
import type { UploadQuota, UploadResult, UploadsApi } from '$lib/api/uploads';
import type { ResumableHandle, ResumableStarter } from './resumable';

/** Files larger than this go by tus (resumable, pausable); smaller ones in multipart batches. */
export const TUS_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** Files per multipart request. */
export const BATCH_FILES = 20;
/** Bytes per multipart request (a batch closes early once it would exceed this). */
export const BATCH_BYTES = 64 * 1024 * 1024;
/** Resumable uploads (tus or direct) running at once. */
export const TUS_CONCURRENCY = 2;

/**
 * How a file is sent: `tus` (large) or `multipart` (small) through tonearm, or `direct`
 * (any size) into the bucket when the server keeps uploads there (`User.uploadMethod`).
 */
export type UploadMethod = 'tus' | 'multipart' | 'direct';

/**
 * - `queued`: waiting for its turn; `uploading`: bytes on the way;
 * - `paused` (tus and direct): stopped by the user, resumable;
 * - `finishing`: all bytes sent, the server is checking the file;
 * - `done`: the server answered with a result (a track or a typed refusal);
 * - `failed`: no result (network, session…): `error` says why, and it can be retried.
 */
export type UploadItemStatus = 'queued' | 'uploading' | 'paused' | 'finishing' | 'done' | 'failed';

/** A file and where it was in a dropped folder (`Album/01 Song.flac`), for display. */
export interface PickedFile {
	file: File;
	path: string;
}

let nextId = 0;

/** One file of the queue. */
export class UploadItem {
	readonly id = `upload-${++nextId}`;
	readonly file: File;
	readonly path: string;
	/** null until the server said how it takes uploads (see `UploadQueue.add`). */
	method = $state<UploadMethod | null>(null);
	status = $state<UploadItemStatus>('queued');
	/** Bytes sent so far. */
	sent = $state(0);
	result = $state.raw<UploadResult | null>(null);
	error = $state<string | null>(null);

	/** 0…1 of the bytes sent. */
	get progress(): number {
		if (this.file.size === 0) return this.status === 'done' ? 1 : 0;
		return Math.min(1, this.sent / this.file.size);
	}

	/** The result is a track (new or the existing duplicate). */
	get ok(): boolean {
		return this.result?.kind === 'uploaded' || this.result?.kind === 'duplicate';
	}

	/** The running resumable upload (tus or direct), while there is one. */
	handle: ResumableHandle | null = null;

	/** Sent by a resumable transport, which can pause. */
	get resumable(): boolean {
		return this.method === 'tus' || this.method === 'direct';
	}

	constructor(picked: PickedFile, method: UploadMethod | null) {
		this.file = picked.file;
		this.path = picked.path || picked.file.name;
		this.method = method;
	}
}

export interface UploadQueueOptions {
	api: UploadsApi;
	tus: ResumableStarter;
	/**
	 * The direct transport; with it the queue asks the server (`refreshStatus`) how it takes
	 * uploads before sending anything, and sends every file this way when it says DIRECT.
	 */
	direct?: ResumableStarter;
	tusThresholdBytes?: number;
	batchFiles?: number;
	batchBytes?: number;
	tusConcurrency?: number;
	albumId?: string | null;
	/** New tracks arrived (after a batch or a finished resumable upload with at least one). */
	onTracksAdded?: () => void;
}

/**
 * The upload page's queue: files go by tus (large) or in multipart batches (small), one batch
 * and up to `tusConcurrency` tus uploads at a time — or, when the server keeps uploads in a
 * bucket, all of them directly there, `tusConcurrency` at a time, through the same resumable
 * interface; each ends with the server's result; the quota is asked again after every batch
 * and every finished resumable upload.
 */
export class UploadQueue {
	items = $state.raw<UploadItem[]>([]);
	quota = $state.raw<UploadQuota | null>(null);
	canUpload = $state<boolean | null>(null);
	statusError = $state<string | null>(null);
	/** The server's `uploadMethod`, once asked. */
	uploadMethod = $state<'TUS' | 'DIRECT' | null>(null);

	/** Something is still to send or being checked. */
	busy = $derived(
		this.items.some((i) => i.status === 'queued' || i.status === 'uploading' || i.status === 'finishing')
	);
	counts = $derived({
		uploaded: this.items.filter((i) => i.result?.kind === 'uploaded').length,
		duplicates: this.items.filter((i) => i.result?.kind === 'duplicate').length,
		problems: this.items.filter((i) => i.status === 'failed' || (i.status === 'done' && !i.ok)).length
	});

	readonly #api: UploadsApi;
	readonly #tus: ResumableStarter;
	readonly #direct: ResumableStarter | null;
	readonly #threshold: number;
	readonly #batchFiles: number;
	readonly #batchBytes: number;
	readonly #tusConcurrency: number;
	readonly #albumId: string | null;
	readonly #onTracksAdded: () => void;
	#batchRunning = false;
	#statusSeq = 0;

	constructor(options: UploadQueueOptions) {
		this.#api = options.api;
		this.#tus = options.tus;
		this.#direct = options.direct ?? null;
		this.#threshold = options.tusThresholdBytes ?? TUS_THRESHOLD_BYTES;
		this.#batchFiles = options.batchFiles ?? BATCH_FILES;
		this.#batchBytes = options.batchBytes ?? BATCH_BYTES;
		this.#tusConcurrency = options.tusConcurrency ?? TUS_CONCURRENCY;
		this.#albumId = options.albumId ?? null;
		this.#onTracksAdded = options.onTracksAdded ?? (() => {});
	}

	/** How a file of this size is sent; null while the server has not said how it takes uploads. */
	methodFor(size: number): UploadMethod | null {
		if (this.#direct) {
			if (this.uploadMethod === null) return null;
			if (this.uploadMethod === 'DIRECT') return 'direct';
		}
		return size > this.#threshold ? 'tus' : 'multipart';
	}

	/** Queue files and start sending (once the server said how, when that is still open). */
	add(files: readonly PickedFile[]): UploadItem[] {
		const added = files.map((picked) => new UploadItem(picked, this.methodFor(picked.file.size)));
		if (added.length === 0) return added;
		this.items = [...this.items, ...added];
		this.#pump();
		return added;
	}

	/** Ask the server whether the viewer may upload, and how much of the quota is used. */
	async refreshStatus(): Promise<void> {
		const seq = ++this.#statusSeq;
		try {
			const status = await this.#api.uploadStatus();
			if (seq !== this.#statusSeq) return;
			this.canUpload = status.canUpload;
			this.quota = status.quota;
			this.uploadMethod = status.uploadMethod;
			this.statusError = null;
		} catch (error) {
			if (seq !== this.#statusSeq) return;
			this.statusError = describeError(error);
			// Unknown: tus, which every server takes (with a bucket too, through tonearm).
			this.uploadMethod ??= 'TUS';
		}
		this.#assignMethods();
	}

	/** Files added before the server said how it takes uploads get their way now. */
	#assignMethods(): void {
		const waiting = this.items.filter((i) => i.method === null);
		if (waiting.length === 0) return;
		for (const item of waiting) item.method = this.methodFor(item.file.size);
		this.#pump();
	}

	pause(item: UploadItem): void {
		if (!item.resumable || item.status !== 'uploading' || !item.handle) return;
		item.handle.pause();
		item.status = 'paused';
		this.#pump();
	}

	resume(item: UploadItem): void {
		if (item.status !== 'paused' || !item.handle) return;
		item.status = 'uploading';
		item.handle.resume();
	}

	/** Send a file again whose upload failed (no result from the server). */
	retry(item: UploadItem): void {
		if (item.status !== 'failed') return;
		item.status = 'queued';
		item.error = null;
		item.sent = 0;
		item.handle = null;
		this.#pump();
	}

	/** Forget the files that have a result. */
	clearFinished(): void {
		this.items = this.items.filter((i) => i.status !== 'done');
	}

	/** The next multipart batch: queued small files in order, up to the file and byte limits. */
	nextBatch(): UploadItem[] {
		const batch: UploadItem[] = [];
		let bytes = 0;
		for (const item of this.items) {
			if (item.method !== 'multipart' || item.status !== 'queued') continue;
			if (batch.length > 0 && (batch.length >= this.#batchFiles || bytes + item.file.size > this.#batchBytes)) break;
			batch.push(item);
			bytes += item.file.size;
		}
		return batch;
	}

	#pump(): void {
		if (!this.#batchRunning) {
			const batch = this.nextBatch();
			if (batch.length > 0) void this.#sendBatch(batch);
		}
		let running = this.items.filter((i) => i.resumable && i.status === 'uploading').length;
		for (const item of this.items) {
			if (running >= this.#tusConcurrency) break;
			if (item.resumable && item.status === 'queued') {
				this.#startResumable(item);
				running++;
			}
		}
	}

	async #sendBatch(batch: UploadItem[]): Promise<void> {
		this.#batchRunning = true;
		for (const item of batch) item.status = 'uploading';
		// The body carries the files in order, so the bytes sent fill them one after another.
		const onProgress = (loaded: number) => {
			let left = loaded;
			for (const item of batch) {
				item.sent = Math.max(0, Math.min(item.file.size, left));
				left -= item.file.size;
				if (item.sent === item.file.size && item.status === 'uploading') item.status = 'finishing';
			}
		};
		try {
			const results = await this.#api.uploadTracks(
				batch.map((i) => i.file),
				{ albumId: this.#albumId, onProgress }
			);
			batch.forEach((item, i) => {
				item.sent = item.file.size;
				item.result = results[i] ?? null;
				item.status = results[i] ? 'done' : 'failed';
				if (!results[i]) item.error = 'The server gave no result for this file.';
			});
		} catch (error) {
			const message = describeError(error);
			for (const item of batch) {
				item.status = 'failed';
				item.error = message;
			}
		} finally {
			this.#batchRunning = false;
		}
		if (batch.some((item) => item.result?.kind === 'uploaded')) this.#onTracksAdded();
		void this.refreshStatus();
		this.#pump();
	}

	#startResumable(item: UploadItem): void {
		item.status = 'uploading';
		const start = item.method === 'direct' && this.#direct ? this.#direct : this.#tus;
		item.handle = start(item.file, {
			onProgress: (sent) => {
				item.sent = sent;
			},
			onSuccess: (uploadId) => void this.#finish(item, uploadId),
			onRefused: (result) => {
				item.result = result;
				item.status = 'done';
				item.handle = null;
				void this.refreshStatus();
				this.#pump();
			},
			onError: (message) => {
				item.status = 'failed';
				item.error = message;
				item.handle = null;
				this.#pump();
			}
		});
	}

	async #finish(item: UploadItem, uploadId: string): Promise<void> {
		item.sent = item.file.size;
		item.status = 'finishing';
		item.handle = null;
		this.#pump();
		try {
			item.result = await this.#api.finishUpload(uploadId, item.file.name);
			item.status = 'done';
			if (item.result.kind === 'uploaded') this.#onTracksAdded();
		} catch (error) {
			item.status = 'failed';
			item.error = describeError(error);
		}
		void this.refreshStatus();
	}
}

/** A result as one line for the queue. */
export function describeResult(result: UploadResult): string {
	switch (result.kind) {
		case 'uploaded':
			return 'Uploaded';
		case 'duplicate':
			return result.message || 'Already in the library.';
		default:
			return result.message;
	}
}
