import { describeError, type TonearmApi } from '$lib/api/graphql';
import type { FailedVariant, TranscodeQueue } from '$lib/api/types';
import type { LoadStatus } from '$lib/library/track-list.svelte';

type TranscodeApi = Pick<TonearmApi, 'transcodeQueue' | 'retryVariant'>;

/** One failed variant's identity: its track, format and bitrate. */
export function failedVariantKey(variant: FailedVariant): string {
	return `${variant.track.id}:${variant.format}:${variant.bitrateKbps}`;
}

/**
 * The admin page's Transcoding section: how many variants are pending, being made, made and
 * failed, the failed ones with their reasons, and Retry for each.
 */
export class TranscodeAdmin {
	queue = $state.raw<TranscodeQueue | null>(null);
	status = $state<LoadStatus>('idle');
	error = $state.raw<unknown>(null);
	/** Keys (`failedVariantKey`) of the retries in flight. */
	retrying = $state.raw<Readonly<Record<string, true>>>({});
	/** The last refusal of a retry, per key. */
	retryErrors = $state.raw<Readonly<Record<string, string>>>({});

	readonly #api: TranscodeApi;

	constructor(api: TranscodeApi) {
		this.#api = api;
	}

	async load(): Promise<void> {
		this.status = 'loading';
		try {
			this.queue = await this.#api.transcodeQueue();
			this.error = null;
			this.status = 'ready';
		} catch (error) {
			this.error = error;
			this.status = 'error';
		}
	}

	/** Queue the variant to be made again, then show the queue as it is now. */
	async retry(variant: FailedVariant): Promise<void> {
		const key = failedVariantKey(variant);
		if (this.retrying[key]) return;
		this.retrying = { ...this.retrying, [key]: true };
		this.retryErrors = without(this.retryErrors, key);
		try {
			const result = await this.#api.retryVariant(variant.track.id, variant.format, variant.bitrateKbps);
			if (result.kind === 'refused') this.retryErrors = { ...this.retryErrors, [key]: result.message };
		} catch (error) {
			this.retryErrors = { ...this.retryErrors, [key]: `Not retried. ${describeError(error)}` };
		}
		this.retrying = without(this.retrying, key);
		if (!this.retryErrors[key]) await this.load();
	}
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
	const copy = { ...record };
	delete copy[key];
	return copy;
}
