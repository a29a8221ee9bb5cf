/**
 * A file's direct upload into the server's bucket (`User.uploadMethod` DIRECT): tonearm
 * begins an S3 multipart upload (`startDirectUpload`: the quota, size and permission checks
 * of a tus POST, then a presigned URL per part), the browser PUTs each part straight to its
 * URL, and `finishUpload` (the queue's, as after tus) has the server list the parts itself,
 * complete, probe and register the file. The bytes never pass through tonearm.
 *
 * Parts go in order, `DIRECT_CONCURRENCY` at a time, by `XMLHttpRequest` (the only browser
 * API that reports upload progress). A part that fails on the network, or that the bucket
 * refuses with 403 (its URL expired), is tried again after `DIRECT_RETRY_DELAYS`, with a URL
 * signed anew by `uploadPartUrls` when the old one expired. Pause aborts the PUTs under way
 * (finished parts stay in the bucket); resume sends the rest.
 *
 * After a reload, picking the same file again goes on with the same upload: the upload id
 * and the parts the bucket confirmed (a PUT's 200) are kept in `localStorage`, and only the
 * others are sent (with new URLs; an upload the server no longer has starts afresh). The
 * server lists the parts itself at `finishUpload`, so a wrong note costs an "incomplete"
 * answer, never a wrong file.
 */
import { describeError } from '$lib/api/graphql';
import type { UploadResult } from '$lib/api/uploads';
import type { ResumableCallbacks, ResumableHandle, ResumableStarter } from './resumable';

/** Parts PUT at once. */
export const DIRECT_CONCURRENCY = 2;
/** After a failed PUT, wait this long (ms) before each next attempt; then give up. */
export const DIRECT_RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
/** A URL that expires within this many ms is signed anew before it is used. */
export const EXPIRY_MARGIN_MS = 30_000;
/** At most this many part URLs per `uploadPartUrls` request (the server's limit is 1000). */
export const SIGN_BATCH = 100;
/** `localStorage` keys of unfinished direct uploads start with this. */
export const RESUME_PREFIX = 'tonearm-direct::';

/** Where one part goes, until `expiresAt` (ms since the epoch). */
export interface DirectPartUrl {
	number: number;
	url: string;
	expiresAt: number;
}

/** `startDirectUpload`'s `DirectUpload`. */
export interface DirectStart {
	uploadId: string;
	length: number;
	partBytes: number;
	partCount: number;
	expiresAt: number;
	parts: DirectPartUrl[];
}

/** What the transport asks of tonearm (`directUploadsApi` in `$lib/api/uploads`). */
export interface DirectUploadsApi {
	/** The upload begun, or the server's refusal as one file's result (quota, too large…). */
	startDirectUpload(input: {
		length: number;
		fileName: string;
		contentType: string | null;
		albumId: string | null;
	}): Promise<DirectStart | UploadResult>;
	/** New URLs for these parts; null when the server has no such live upload of ours. */
	uploadPartUrls(uploadId: string, partNumbers: number[]): Promise<DirectPartUrl[] | null>;
}

/** A PUT that got no 2xx: `status` 0 is the network (no answer at all). */
export class PartPutError extends Error {
	override name = 'PartPutError';
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

/** PUT one part's bytes; reject with `PartPutError`, or an `AbortError` once `signal` aborts. */
export type PartPutter = (
	url: string,
	body: Blob,
	onProgress: (loaded: number) => void,
	signal: AbortSignal
) => Promise<void>;

/** The part of `XMLHttpRequest` a part's PUT uses (tests pass a fake). */
export interface PutXhr {
	open(method: string, url: string): void;
	send(body: Blob): void;
	abort(): void;
	readonly status: number;
	onload: (() => void) | null;
	onerror: (() => void) | null;
	onabort: (() => void) | null;
	readonly upload: { onprogress: ((event: { loaded: number }) => void) | null };
}

/** `PartPutter` over `XMLHttpRequest`: no header of our own (the URL's signature covers only the host). */
export function xhrPutter(xhr: () => PutXhr = () => new XMLHttpRequest() as unknown as PutXhr): PartPutter {
	return (url, body, onProgress, signal) =>
		new Promise<void>((resolve, reject) => {
			const aborted = () => new DOMException('The upload was paused.', 'AbortError');
			if (signal.aborted) return reject(aborted());
			const request = xhr();
			request.open('PUT', url);
			request.upload.onprogress = (event) => onProgress(event.loaded);
			request.onerror = () => reject(new PartPutError(0, 'The storage could not be reached.'));
			request.onabort = () => reject(aborted());
			request.onload = () => {
				if (request.status >= 200 && request.status < 300) resolve();
				else reject(new PartPutError(request.status, `The storage answered ${request.status}.`));
			};
			signal.addEventListener('abort', () => request.abort(), { once: true });
			request.send(body);
		});
}

/** Part `number`'s bytes: `[start, end)` of the file. */
export interface PartRange {
	number: number;
	start: number;
	end: number;
}

/** The parts of a file of `length` bytes: each `partBytes` long, the last the rest (at least one). */
export function partRanges(length: number, partBytes: number): PartRange[] {
	const count = Math.max(1, Math.ceil(length / partBytes));
	return Array.from({ length: count }, (_, i) => ({
		number: i + 1,
		start: i * partBytes,
		end: Math.min(length, (i + 1) * partBytes)
	}));
}

/** The `localStorage` subset the transport keeps its notes in. */
export interface ResumeStore {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
	removeItem(key: string): void;
}

interface ResumeNote {
	uploadId: string;
	partBytes: number;
	partCount: number;
	expiresAt: number;
	albumId: string | null;
	done: number[];
}

/** The note's key: the file as far as a browser can tell it apart (as tus-js-client's fingerprint). */
export function resumeKey(file: File): string {
	return `${RESUME_PREFIX}${file.name}::${file.type}::${file.size}::${file.lastModified}`;
}

export interface DirectOptions {
	api: DirectUploadsApi;
	put?: PartPutter;
	concurrency?: number;
	retryDelays?: number[];
	/** null: no notes (no resuming after a reload). */
	store?: ResumeStore | null;
	albumId?: string | null;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

const STORAGE_GONE =
	'The server no longer has this upload (it expired or was cleaned up). Retry to send the file again.';

function isAbort(error: unknown): boolean {
	return error instanceof DOMException && error.name === 'AbortError';
}

function retryable(error: unknown): error is PartPutError {
	// 0: no answer; 403: the signature expired (or the clock is off); 408/429/5xx: try later.
	return (
		error instanceof PartPutError &&
		(error.status === 0 || error.status === 403 || error.status === 408 || error.status === 429 || error.status >= 500)
	);
}

function defaultStore(): ResumeStore | null {
	try {
		return typeof localStorage === 'undefined' ? null : localStorage;
	} catch {
		return null; // storage blocked: no resuming after a reload
	}
}

/** A `ResumableStarter` for direct uploads (the queue's `direct`). */
export function directStarter(options: DirectOptions): ResumableStarter {
	return (file, callbacks) => {
		const upload = new DirectUpload(file, callbacks, options);
		void upload.begin();
		return upload;
	};
}

class DirectUpload implements ResumableHandle {
	readonly #file: File;
	readonly #callbacks: ResumableCallbacks;
	readonly #api: DirectUploadsApi;
	readonly #put: PartPutter;
	readonly #concurrency: number;
	readonly #delays: number[];
	readonly #store: ResumeStore | null;
	readonly #albumId: string | null;
	readonly #now: () => number;
	readonly #sleep: (ms: number) => Promise<void>;
	readonly #key: string;

	#uploadId: string | null = null;
	#partBytes = 0;
	#expiresAt = 0;
	#parts: PartRange[] = [];
	#urls = new Map<number, DirectPartUrl>();
	#done = new Set<number>();
	#inFlight = new Map<number, number>();
	#controller = new AbortController();
	#paused = false;
	#running = false;
	#ended = false;

	constructor(file: File, callbacks: ResumableCallbacks, options: DirectOptions) {
		this.#file = file;
		this.#callbacks = callbacks;
		this.#api = options.api;
		this.#put = options.put ?? xhrPutter();
		this.#concurrency = Math.max(1, options.concurrency ?? DIRECT_CONCURRENCY);
		this.#delays = options.retryDelays ?? DIRECT_RETRY_DELAYS;
		this.#store = options.store === undefined ? defaultStore() : options.store;
		this.#albumId = options.albumId ?? null;
		this.#now = options.now ?? Date.now;
		this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
		this.#key = resumeKey(file);
	}

	pause(): void {
		if (this.#ended || this.#paused) return;
		this.#paused = true;
		this.#controller.abort();
	}

	resume(): void {
		if (this.#ended || !this.#paused) return;
		this.#paused = false;
		this.#controller = new AbortController();
		if (this.#uploadId === null) void this.begin();
		else void this.#run();
	}

	/** Start, or go on with the upload a note names. */
	async begin(): Promise<void> {
		try {
			if (!(await this.#resumeNoted())) {
				const started = await this.#api.startDirectUpload({
					length: this.#file.size,
					fileName: this.#file.name,
					contentType: this.#file.type || null,
					albumId: this.#albumId
				});
				if (!('uploadId' in started)) {
					this.#ended = true;
					this.#callbacks.onRefused(started);
					return;
				}
				this.#adopt(started.uploadId, started.partBytes, started.expiresAt);
				for (const url of started.parts) this.#urls.set(url.number, url);
				this.#note();
			}
		} catch (error) {
			this.#fail(describeError(error));
			return;
		}
		if (!this.#paused) await this.#run();
	}

	async #resumeNoted(): Promise<boolean> {
		const note = this.#readNote();
		if (!note || note.expiresAt <= this.#now() || note.albumId !== this.#albumId) {
			this.#forget();
			return false;
		}
		const ranges = partRanges(this.#file.size, note.partBytes);
		if (ranges.length !== note.partCount) {
			this.#forget();
			return false;
		}
		const missing = ranges.map((r) => r.number).filter((n) => !note.done.includes(n));
		if (missing.length > 0) {
			// Asking for URLs is also how we learn the server still has the upload.
			const urls = await this.#api.uploadPartUrls(note.uploadId, missing.slice(0, SIGN_BATCH));
			if (urls === null) {
				this.#forget();
				return false;
			}
			for (const url of urls) this.#urls.set(url.number, url);
		}
		this.#adopt(note.uploadId, note.partBytes, note.expiresAt);
		for (const n of note.done) this.#done.add(n);
		this.#report();
		return true;
	}

	#adopt(uploadId: string, partBytes: number, expiresAt: number): void {
		this.#uploadId = uploadId;
		this.#partBytes = partBytes;
		this.#expiresAt = expiresAt;
		this.#parts = partRanges(this.#file.size, partBytes);
	}

	async #run(): Promise<void> {
		if (this.#running || this.#ended) return;
		this.#running = true;
		const signal = this.#controller.signal;
		const pending = this.#parts.filter((p) => !this.#done.has(p.number));
		let failure: string | null = null;
		const worker = async () => {
			while (failure === null && !signal.aborted) {
				const part = pending.shift();
				if (!part) return;
				try {
					await this.#send(part, signal);
				} catch (error) {
					if (isAbort(error) || signal.aborted) return;
					failure = describeError(error);
				}
			}
		};
		try {
			await Promise.all(Array.from({ length: Math.min(this.#concurrency, pending.length) }, worker));
		} finally {
			this.#running = false;
			this.#inFlight.clear();
			this.#report();
		}
		if (failure !== null) {
			this.#controller.abort();
			this.#fail(failure);
		} else if (!signal.aborted && this.#done.size === this.#parts.length && this.#uploadId) {
			this.#ended = true;
			this.#forget();
			this.#callbacks.onSuccess(this.#uploadId);
		} else if (!this.#paused) {
			void this.#run(); // resumed while the paused PUTs were winding down
		}
	}

	/** PUT one part, with its retries. */
	async #send(part: PartRange, signal: AbortSignal): Promise<void> {
		const body = this.#file.slice(part.start, part.end);
		// After a 403 (the URL expired, or the clocks disagree) the part gets a URL signed anew.
		let refused = false;
		for (let attempt = 0; ; attempt++) {
			const url = await this.#urlFor(part.number, refused);
			if (signal.aborted) throw new DOMException('The upload was paused.', 'AbortError');
			try {
				await this.#put(
					url,
					body,
					(loaded) => {
						this.#inFlight.set(part.number, Math.min(loaded, part.end - part.start));
						this.#report();
					},
					signal
				);
				this.#inFlight.delete(part.number);
				this.#done.add(part.number);
				this.#note();
				this.#report();
				return;
			} catch (error) {
				this.#inFlight.delete(part.number);
				this.#report();
				if (isAbort(error) || signal.aborted) throw error;
				const delay = this.#delays[attempt];
				if (!retryable(error) || delay === undefined) {
					throw new Error(
						error instanceof PartPutError && error.status !== 0
							? `The storage refused part ${part.number} of ${this.#parts.length} (HTTP ${error.status}).`
							: 'The upload was interrupted and could not be resumed. Check the connection, then retry.',
						{ cause: error }
					);
				}
				refused = error.status === 403;
				await this.#sleep(delay);
			}
		}
	}

	/** A URL for part `number` that is still good (signed anew when expired, or `force`). */
	async #urlFor(number: number, force: boolean): Promise<string> {
		const known = this.#urls.get(number);
		if (known && !force && known.expiresAt - EXPIRY_MARGIN_MS > this.#now()) return known.url;
		const wanted = [number];
		for (const part of this.#parts) {
			if (wanted.length >= SIGN_BATCH) break;
			const url = this.#urls.get(part.number);
			if (part.number !== number && !this.#done.has(part.number) && !this.#inFlight.has(part.number)) {
				if (!url || url.expiresAt - EXPIRY_MARGIN_MS <= this.#now()) wanted.push(part.number);
			}
		}
		const fresh = await this.#api.uploadPartUrls(this.#uploadId ?? '', wanted);
		if (fresh === null) {
			this.#forget();
			throw new Error(STORAGE_GONE);
		}
		for (const url of fresh) this.#urls.set(url.number, url);
		const signed = this.#urls.get(number);
		if (!signed) throw new Error(STORAGE_GONE);
		return signed.url;
	}

	#report(): void {
		let sent = 0;
		for (const part of this.#parts) {
			if (this.#done.has(part.number)) sent += part.end - part.start;
			else sent += this.#inFlight.get(part.number) ?? 0;
		}
		this.#callbacks.onProgress(sent, this.#file.size);
	}

	#fail(message: string): void {
		if (this.#ended) return;
		this.#ended = true;
		this.#callbacks.onError(message);
	}

	#readNote(): ResumeNote | null {
		try {
			const text = this.#store?.getItem(this.#key);
			if (!text) return null;
			const note = JSON.parse(text) as Partial<ResumeNote>;
			if (
				typeof note.uploadId !== 'string' ||
				typeof note.partBytes !== 'number' ||
				note.partBytes < 1 ||
				typeof note.partCount !== 'number' ||
				typeof note.expiresAt !== 'number' ||
				!Array.isArray(note.done)
			) {
				return null;
			}
			return {
				uploadId: note.uploadId,
				partBytes: note.partBytes,
				partCount: note.partCount,
				expiresAt: note.expiresAt,
				albumId: typeof note.albumId === 'string' ? note.albumId : null,
				done: note.done.filter((n): n is number => Number.isInteger(n))
			};
		} catch {
			return null;
		}
	}

	#note(): void {
		if (!this.#store || this.#uploadId === null) return;
		const note: ResumeNote = {
			uploadId: this.#uploadId,
			partBytes: this.#partBytes,
			partCount: this.#parts.length,
			expiresAt: this.#expiresAt,
			albumId: this.#albumId,
			done: [...this.#done].sort((a, b) => a - b)
		};
		try {
			this.#store.setItem(this.#key, JSON.stringify(note));
		} catch {
			// storage full or blocked: this upload just cannot resume after a reload
		}
	}

	#forget(): void {
		try {
			this.#store?.removeItem(this.#key);
		} catch {
			// nothing kept
		}
	}
}
