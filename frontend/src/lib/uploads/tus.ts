/**
 * A large file's resumable upload by the tus protocol (tus-js-client) to `/api/uploads`, in
 * ~8 MiB chunks with retries. The browser sends the session cookie; `Tus-Resumable` (which
 * tus-js-client sets on every request) is the header a cross-site form cannot send. Its
 * upload id, for `finishUpload`, is the last path segment of the upload's `Location`.
 */
import { Upload } from 'tus-js-client';
import type { ResumableCallbacks, ResumableHandle, ResumableStarter } from './resumable';

export const TUS_ENDPOINT = '/api/uploads';
export const TUS_CHUNK_BYTES = 8 * 1024 * 1024;
/** After a failed request, wait this long (ms) before each next attempt; then give up. */
export const TUS_RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

/** tus's callbacks: the queue's (`resumable.ts`); tus refusals arrive as `onError` (the server's words). */
export type TusCallbacks = ResumableCallbacks;

/** A running resumable upload: pause stops it (the server keeps what it has), resume goes on. */
export type TusHandle = ResumableHandle;

/** Starts a tus upload of one file (the queue's seam; tests pass a fake). */
export type TusStarter = ResumableStarter;

/** The tus upload id in a `Location` (absolute or relative): its last path segment. */
export function uploadIdFrom(location: string): string {
	const path = location.split(/[?#]/, 1)[0] ?? '';
	return decodeURIComponent(path.replace(/\/+$/, '').split('/').pop() ?? '');
}

/** `TusStarter` with tus-js-client, resuming an upload of the same file this browser left unfinished. */
export const startTusUpload: TusStarter = (file, callbacks) => {
	const upload = new Upload(file, {
		endpoint: TUS_ENDPOINT,
		chunkSize: TUS_CHUNK_BYTES,
		retryDelays: TUS_RETRY_DELAYS,
		metadata: { filename: file.name, filetype: file.type },
		removeFingerprintOnSuccess: true,
		onProgress: (sent, total) => callbacks.onProgress(sent, total),
		onSuccess: () => callbacks.onSuccess(uploadIdFrom(upload.url ?? '')),
		onError: (error) => callbacks.onError(tusErrorMessage(error))
	});
	void upload
		.findPreviousUploads()
		.then((previous) => {
			const last = previous[0];
			if (last) upload.resumeFromPreviousUpload(last);
		})
		.catch(() => {
			// No storage (private mode): start afresh.
		})
		.then(() => upload.start());
	return {
		pause: () => void upload.abort(),
		// The upload remembers its URL: start() asks the server for its offset and goes on.
		resume: () => upload.start()
	};
};

/** The server's own words when it sent any (a 413's "too large", a quota), else a summary. */
export function tusErrorMessage(
	error: Error & { originalResponse?: { getStatus(): number; getBody(): string } | null }
) {
	const response = error.originalResponse;
	if (response) {
		const status = response.getStatus();
		const body = (response.getBody() ?? '').trim();
		if (body && body.length < 500 && !body.startsWith('<')) return `${body} (HTTP ${status})`;
		return `The server refused the upload (HTTP ${status}).`;
	}
	return 'The upload was interrupted and could not be resumed. Check the connection, then retry.';
}
