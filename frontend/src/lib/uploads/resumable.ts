/**
 * The one interface the upload queue drives a large file's upload through, whichever
 * transport carries it: tus to tonearm (`tus.ts`) or direct PUTs of presigned parts into
 * the bucket (`direct.ts`). Each ends in `onSuccess(uploadId)`, after which the queue calls
 * `finishUpload(uploadId)`, the same last step for both.
 */
import type { UploadResult } from '$lib/api/uploads';

export interface ResumableCallbacks {
	/** Bytes the server (or the bucket) has taken so far, of `total`. */
	onProgress(sent: number, total: number): void;
	/** The bytes are all there, under this upload id: call `finishUpload`. */
	onSuccess(uploadId: string): void;
	/** The server refused the file before any byte was sent (quota, size, permission…). */
	onRefused(result: UploadResult): void;
	/** No result: network, session, storage… `message` says why; the queue offers a retry. */
	onError(message: string): void;
}

/** A running upload: pause stops sending (what arrived is kept), resume goes on from there. */
export interface ResumableHandle {
	pause(): void;
	resume(): void;
}

/** Starts the upload of one file (the queue's seam; tests pass a fake). */
export type ResumableStarter = (file: File, callbacks: ResumableCallbacks) => ResumableHandle;
