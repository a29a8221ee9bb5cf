/**
 * Uploads: the operations behind the upload page (`uploadTracks` in batches by GraphQL
 * multipart, `finishUpload` after a tus upload, the viewer's quota) and how their unions
 * become `UploadResult`s. GraphQL multipart requests go through `XMLHttpRequest`, the only
 * browser API that reports upload progress; they carry `Tonearm-CSRF: 1`, the header a
 * cross-site form cannot set (the server refuses cookie-borne multipart requests without it).
 */
import type { DirectPartUrl, DirectUploadsApi } from '$lib/uploads/direct';
import { GraphQLError, HttpError, NetworkError, type GraphQLErrorEntry, type TonearmApi } from './graphql';

/** The part of a track an upload's result links to. */
export interface UploadedTrackRef {
	id: string;
	title: string;
	album: { id: string; title: string } | null;
}

/** One file's outcome (`UploadResult` / `FinishUploadResult`, flattened). */
export type UploadResult =
	| { kind: 'uploaded'; fileName: string; track: UploadedTrackRef }
	| { kind: 'duplicate'; fileName: string; message: string; track: UploadedTrackRef }
	| { kind: 'not-audio' | 'corrupt'; fileName: string; message: string }
	| { kind: 'too-large'; fileName: string; message: string; limitBytes: number }
	| { kind: 'quota-exceeded'; fileName: string; message: string; usedBytes: number; limitBytes: number }
	/** Refused before looking at the file (no permission, unknown album or upload…). */
	| { kind: 'refused'; fileName: string; message: string };

/** `User.uploadQuota`: bytes used by the viewer's uploads and the limit (null: unlimited). */
export interface UploadQuota {
	usedBytes: number;
	limitBytes: number | null;
}

export interface UploadStatus {
	canUpload: boolean;
	quota: UploadQuota | null;
	/** `User.uploadMethod`: TUS (through tonearm) or DIRECT (into the bucket). */
	uploadMethod: 'TUS' | 'DIRECT';
}

const TRACK_REF = /* GraphQL */ `
	track {
		id
		title
		album {
			id
			title
		}
	}
`;

const RESULT_FIELDS = /* GraphQL */ `
	__typename
	... on UploadedTrack {
		fileName
		${TRACK_REF}
	}
	... on Duplicate {
		fileName
		message
		${TRACK_REF}
	}
	... on NotAudio {
		fileName
		message
	}
	... on Corrupt {
		fileName
		message
	}
	... on TooLarge {
		fileName
		message
		limitBytes
	}
	... on QuotaExceeded {
		fileName
		message
		usedBytes
		limitBytes
	}
`;

export const UPLOAD_TRACKS_MUTATION = /* GraphQL */ `
	mutation PlayerUploadTracks($files: [Upload!]!, $albumId: ID) {
		uploadTracks(files: $files, albumId: $albumId) {
			__typename
			... on UploadBatch {
				results {
					${RESULT_FIELDS}
				}
			}
			... on UploadNotAllowedError {
				message
			}
			... on AlbumNotFoundError {
				message
			}
		}
	}
`;

export const FINISH_UPLOAD_MUTATION = /* GraphQL */ `
	mutation PlayerFinishUpload($uploadId: ID!) {
		finishUpload(uploadId: $uploadId) {
			${RESULT_FIELDS}
			... on UploadNotFoundError {
				message
			}
			... on UploadIncompleteError {
				message
			}
			... on UploadAlreadyFinishedError {
				message
				${TRACK_REF}
			}
		}
	}
`;

export const UPLOAD_STATUS_QUERY = /* GraphQL */ `
	query PlayerUploadStatus {
		viewer {
			id
			canUpload
			uploadMethod
			uploadQuota {
				usedBytes
				limitBytes
			}
		}
	}
`;

export const START_DIRECT_UPLOAD_MUTATION = /* GraphQL */ `
	mutation PlayerStartDirectUpload($length: Long!, $fileName: String, $contentType: String, $albumId: ID) {
		startDirectUpload(length: $length, fileName: $fileName, contentType: $contentType, albumId: $albumId) {
			__typename
			... on DirectUpload {
				uploadId
				length
				partBytes
				partCount
				expiresAt
				parts {
					partNumber
					url
					expiresAt
				}
			}
			... on TooLarge {
				fileName
				message
				limitBytes
			}
			... on QuotaExceeded {
				fileName
				message
				usedBytes
				limitBytes
			}
			... on UploadNotAllowedError {
				message
			}
			... on AlbumNotFoundError {
				message
			}
			... on DirectUploadsUnsupportedError {
				message
			}
		}
	}
`;

export const UPLOAD_PART_URLS_MUTATION = /* GraphQL */ `
	mutation PlayerUploadPartUrls($uploadId: ID!, $partNumbers: [Int!]!) {
		uploadPartUrls(uploadId: $uploadId, partNumbers: $partNumbers) {
			__typename
			... on UploadPartUrls {
				parts {
					partNumber
					url
					expiresAt
				}
			}
			... on UploadNotFoundError {
				message
			}
			... on DirectUploadsUnsupportedError {
				message
			}
		}
	}
`;

interface RawPartUrl {
	partNumber: number;
	url: string;
	expiresAt: string;
}

function partUrl(raw: RawPartUrl): DirectPartUrl {
	return { number: raw.partNumber, url: raw.url, expiresAt: Date.parse(raw.expiresAt) };
}

/** `DirectUploadsApi` (the direct transport's) over the real server. */
export function directUploadsApi(api: TonearmApi): DirectUploadsApi {
	return {
		async startDirectUpload({ length, fileName, contentType, albumId }) {
			const data = await api.run<{
				startDirectUpload: RawUploadResult & {
					uploadId?: string;
					length?: number | string;
					partBytes?: number | string;
					partCount?: number;
					expiresAt?: string;
					parts?: RawPartUrl[];
				};
			}>(START_DIRECT_UPLOAD_MUTATION, { length, fileName, contentType, albumId });
			const raw = data.startDirectUpload;
			if (raw.__typename !== 'DirectUpload') return toUploadResult(raw, fileName);
			return {
				uploadId: raw.uploadId ?? '',
				length: long(raw.length),
				partBytes: long(raw.partBytes),
				partCount: raw.partCount ?? 0,
				expiresAt: Date.parse(raw.expiresAt ?? ''),
				parts: (raw.parts ?? []).map(partUrl)
			};
		},

		async uploadPartUrls(uploadId, partNumbers) {
			const data = await api.run<{ uploadPartUrls: { __typename: string; parts?: RawPartUrl[]; message?: string } }>(
				UPLOAD_PART_URLS_MUTATION,
				{ uploadId, partNumbers }
			);
			const raw = data.uploadPartUrls;
			if (raw.__typename === 'UploadPartUrls') return (raw.parts ?? []).map(partUrl);
			if (raw.__typename === 'UploadNotFoundError') return null;
			throw new Error(raw.message ?? `The server refused to sign the parts (${raw.__typename}).`);
		}
	};
}

/** A member of `UploadResult` or `FinishUploadResult` as the server sends it. */
export interface RawUploadResult {
	__typename: string;
	fileName?: string;
	message?: string;
	track?: UploadedTrackRef;
	limitBytes?: number | string | null;
	usedBytes?: number | string | null;
}

type UploadTracksData = {
	uploadTracks:
		| { __typename: 'UploadBatch'; results: RawUploadResult[] }
		| { __typename: 'UploadNotAllowedError' | 'AlbumNotFoundError'; message: string };
};

/** `Long` may arrive as a number or (beyond 2^53) a string. */
function long(value: number | string | null | undefined): number {
	return value == null ? 0 : Number(value);
}

/** One result union member as an `UploadResult`; `fileName` fills in a name the member lacks. */
export function toUploadResult(raw: RawUploadResult, fileName: string): UploadResult {
	const name = raw.fileName ?? fileName;
	const message = raw.message ?? '';
	switch (raw.__typename) {
		case 'UploadedTrack':
			return { kind: 'uploaded', fileName: name, track: raw.track as UploadedTrackRef };
		// Finished already (a retried finish after a lost answer): the track is there.
		case 'UploadAlreadyFinishedError':
			return raw.track
				? { kind: 'uploaded', fileName: name, track: raw.track }
				: { kind: 'refused', fileName: name, message };
		case 'Duplicate':
			return { kind: 'duplicate', fileName: name, message, track: raw.track as UploadedTrackRef };
		case 'NotAudio':
			return { kind: 'not-audio', fileName: name, message };
		case 'Corrupt':
			return { kind: 'corrupt', fileName: name, message };
		case 'TooLarge':
			return { kind: 'too-large', fileName: name, message, limitBytes: long(raw.limitBytes) };
		case 'QuotaExceeded':
			return {
				kind: 'quota-exceeded',
				fileName: name,
				message,
				usedBytes: long(raw.usedBytes),
				limitBytes: long(raw.limitBytes)
			};
		default:
			return {
				kind: 'refused',
				fileName: name,
				message: message || `The server refused the file (${raw.__typename}).`
			};
	}
}

/**
 * The body of a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec):
 * `operations` with a null where each file goes, `map` from part name to that place, then the
 * files in order. The file's name travels as the part's filename (display text only).
 */
export function multipartBody(query: string, variables: Record<string, unknown>, files: readonly File[]): FormData {
	const form = new FormData();
	form.append('operations', JSON.stringify({ query, variables: { ...variables, files: files.map(() => null) } }));
	form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
	files.forEach((file, i) => form.append(String(i), file, file.name));
	return form;
}

/** The part of `XMLHttpRequest` a multipart upload uses (tests pass a fake). */
export interface XhrLike {
	open(method: string, url: string): void;
	setRequestHeader(name: string, value: string): void;
	send(body: FormData): void;
	abort(): void;
	readonly status: number;
	readonly responseText: string;
	onload: (() => void) | null;
	onerror: (() => void) | null;
	onabort: (() => void) | null;
	readonly upload: { onprogress: ((event: { loaded: number; total: number }) => void) | null };
}

export interface MultipartOptions {
	endpoint?: string;
	/** Bytes of the request body sent so far, and its total. */
	onProgress?: (loaded: number, total: number) => void;
	signal?: AbortSignal;
	xhr?: () => XhrLike;
}

/** POST one GraphQL multipart request; resolve with `data` or throw an `ApiError` (as `GraphQLClient.request`). */
export function sendMultipart<T>(
	query: string,
	variables: Record<string, unknown>,
	files: readonly File[],
	{
		endpoint = '/graphql',
		onProgress,
		signal,
		xhr = () => new XMLHttpRequest() as unknown as XhrLike
	}: MultipartOptions = {}
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const request = xhr();
		request.open('POST', endpoint);
		request.setRequestHeader('Accept', 'application/graphql-response+json, application/json');
		request.setRequestHeader('Tonearm-CSRF', '1');
		request.upload.onprogress = (event) => onProgress?.(event.loaded, event.total);
		request.onerror = () => reject(new NetworkError('Could not reach the tonearm server.'));
		request.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
		request.onload = () => {
			try {
				resolve(interpret<T>(request.status, request.responseText));
			} catch (error) {
				reject(error);
			}
		};
		signal?.addEventListener('abort', () => request.abort(), { once: true });
		request.send(multipartBody(query, variables, files));
	});
}

function interpret<T>(status: number, text: string): T {
	type Body = { data?: T | null; errors?: GraphQLErrorEntry[] };
	let body: Body | null;
	try {
		body = JSON.parse(text) as Body | null;
	} catch {
		body = null;
	}
	const first = body?.errors?.[0];
	if (first) {
		const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
		throw new GraphQLError(first.message || 'Unknown GraphQL error', code, status, body?.errors ?? []);
	}
	if (status === 413) throw new HttpError(status, 'The files are too large for one request.');
	if (status < 200 || status >= 300) throw new HttpError(status, `The server answered ${status}.`);
	if (!body || body.data == null) throw new HttpError(status, 'The server sent a response that is not GraphQL.');
	return body.data;
}

/** What the upload queue asks of the server. */
export interface UploadsApi {
	uploadTracks(
		files: readonly File[],
		options: { albumId?: string | null; onProgress?: (loaded: number, total: number) => void; signal?: AbortSignal }
	): Promise<UploadResult[]>;
	finishUpload(uploadId: string, fileName: string): Promise<UploadResult>;
	uploadStatus(): Promise<UploadStatus>;
}

/** `UploadsApi` over the real server, reporting an ended session like every other request. */
export function uploadsApi(api: TonearmApi, xhr?: () => XhrLike): UploadsApi {
	return {
		async uploadTracks(files, { albumId = null, onProgress, signal } = {}) {
			let data: UploadTracksData;
			try {
				data = await sendMultipart<UploadTracksData>(UPLOAD_TRACKS_MUTATION, { albumId }, files, {
					endpoint: api.client.endpoint,
					onProgress,
					signal,
					xhr
				});
			} catch (error) {
				api.reportUnauthenticated(error);
				throw error;
			}
			const result = data.uploadTracks;
			if (result.__typename !== 'UploadBatch') {
				return files.map((file) => ({ kind: 'refused' as const, fileName: file.name, message: result.message }));
			}
			return files.map((file, i) => {
				const raw = result.results[i];
				return raw
					? toUploadResult(raw, file.name)
					: { kind: 'refused' as const, fileName: file.name, message: 'The server gave no result for this file.' };
			});
		},

		async finishUpload(uploadId, fileName) {
			const data = await api.run<{ finishUpload: RawUploadResult }>(FINISH_UPLOAD_MUTATION, { uploadId });
			return toUploadResult(data.finishUpload, fileName);
		},

		async uploadStatus() {
			const data = await api.run<{
				viewer: {
					canUpload: boolean;
					uploadMethod?: 'TUS' | 'DIRECT' | null;
					uploadQuota: { usedBytes: number | string; limitBytes: number | string | null } | null;
				} | null;
			}>(UPLOAD_STATUS_QUERY);
			const quota = data.viewer?.uploadQuota;
			return {
				canUpload: data.viewer?.canUpload === true,
				uploadMethod: data.viewer?.uploadMethod === 'DIRECT' ? 'DIRECT' : 'TUS',
				quota: quota
					? { usedBytes: long(quota.usedBytes), limitBytes: quota.limitBytes == null ? null : long(quota.limitBytes) }
					: null
			};
		}
	};
}
