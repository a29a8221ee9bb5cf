import { describe, expect, it, vi } from 'vitest';
import { GraphQLError } from '$lib/api/graphql';
import type { AudioFormat, FailedVariant, RetryVariantResult, TranscodeQueue } from '$lib/api/types';
import { TranscodeAdmin, failedVariantKey } from './transcode-admin.svelte';

const broken: FailedVariant = {
	track: { id: 'VHJhY2s6MQ==', title: 'Broken', artist: 'Someone' },
	format: 'OPUS',
	bitrateKbps: 96,
	reason: 'the source stops decoding at 0:42',
	attempts: 3,
	failedAt: '2026-12-01T10:00:00Z'
};

const queue = (over: Partial<TranscodeQueue> = {}): TranscodeQueue => ({
	pending: 2,
	running: 1,
	ready: 7,
	failed: 1,
	failedVariants: [broken],
	...over
});

function fakeApi() {
	let current = queue();
	return {
		transcodeQueue: vi.fn(async () => current),
		retryVariant: vi.fn<(trackId: string, format: AudioFormat, bitrateKbps: number) => Promise<RetryVariantResult>>(
			async () => {
				current = queue({ pending: 3, failed: 0, failedVariants: [] });
				return { kind: 'retried' };
			}
		)
	};
}

describe('TranscodeAdmin', () => {
	it('loads the counts and the failed variants', async () => {
		const api = fakeApi();
		const admin = new TranscodeAdmin(api);
		await admin.load();
		expect(admin.status).toBe('ready');
		expect(admin.queue).toEqual(queue());
	});

	it('retries a failed variant by track, format and bitrate, then shows the queue as it is now', async () => {
		const api = fakeApi();
		const admin = new TranscodeAdmin(api);
		await admin.load();
		const retry = admin.retry(broken);
		expect(admin.retrying[failedVariantKey(broken)]).toBe(true);
		await retry;
		expect(api.retryVariant).toHaveBeenCalledWith('VHJhY2s6MQ==', 'OPUS', 96);
		expect(admin.retrying).toEqual({});
		expect(admin.queue?.failedVariants).toEqual([]);
		expect(admin.queue?.pending).toBe(3);
	});

	it('keeps a refused retry’s reason on its row and the list as it was', async () => {
		const api = fakeApi();
		api.retryVariant.mockRejectedValueOnce(new GraphQLError('Admins only', 'FORBIDDEN', 200, []));
		const admin = new TranscodeAdmin(api);
		await admin.load();
		await admin.retry(broken);
		expect(admin.retryErrors[failedVariantKey(broken)]).toMatch(/^Not retried\. .*FORBIDDEN/);
		expect(admin.queue?.failedVariants).toEqual([broken]);
		expect(api.transcodeQueue).toHaveBeenCalledTimes(1);
	});

	it('shows the server’s reason when it refuses a retry (retried by someone else meanwhile)', async () => {
		const api = fakeApi();
		api.retryVariant.mockResolvedValueOnce({ kind: 'refused', message: 'That variant has not failed.' });
		const admin = new TranscodeAdmin(api);
		await admin.load();
		await admin.retry(broken);
		expect(admin.retryErrors[failedVariantKey(broken)]).toBe('That variant has not failed.');
		expect(admin.retrying).toEqual({});
	});

	it('says when the queue could not be loaded', async () => {
		const api = fakeApi();
		api.transcodeQueue.mockRejectedValueOnce(new Error('down'));
		const admin = new TranscodeAdmin(api);
		await admin.load();
		expect(admin.status).toBe('error');
		expect(admin.error).toBeInstanceOf(Error);
	});
});
