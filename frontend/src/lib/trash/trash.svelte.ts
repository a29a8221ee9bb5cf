/**
 * The /trash page's state: the entries page by page, and Restore, Purge and Empty trash,
 * each of which removes its entries from the list once the server has done it.
 */
import { describeError } from '$lib/api/graphql';
import type { TrashApi, TrashEntry } from '$lib/api/trash';
import { PagedList } from '$lib/library/paged-list.svelte';

export const TRASH_PAGE_SIZE = 50;

export class TrashView {
	list = $state.raw(new PagedList<TrashEntry>(() => Promise.reject(new Error('not started'))));
	/** The entry an action is running on (its buttons are disabled). */
	busy = $state<string | null>(null);
	/** What the last action did, or why it failed. */
	notice = $state.raw<{ ok: boolean; message: string } | null>(null);

	constructor(private readonly api: TrashApi) {
		this.reload();
	}

	reload(): Promise<void> {
		this.list = new PagedList((after) => this.api.trash(TRASH_PAGE_SIZE, after));
		return this.list.loadMore();
	}

	async restore(entry: TrashEntry): Promise<void> {
		await this.#run(entry.id, async () => {
			const result = await this.api.restore(entry.id);
			this.notice =
				result.kind === 'ok'
					? { ok: true, message: `Restored “${entry.name}”` }
					: { ok: false, message: result.message };
		});
	}

	async purge(entry: TrashEntry): Promise<void> {
		await this.#run(entry.id, async () => {
			const result = await this.api.purge(entry.id);
			this.notice =
				result.kind === 'ok'
					? { ok: true, message: `Deleted “${entry.name}” for good` }
					: { ok: false, message: result.message };
		});
	}

	async empty(): Promise<void> {
		await this.#run('*', async () => {
			const count = await this.api.emptyTrash();
			this.notice = { ok: true, message: count === 1 ? 'Deleted 1 item for good' : `Deleted ${count} items for good` };
		});
	}

	async #run(key: string, action: () => Promise<void>): Promise<void> {
		if (this.busy) return;
		this.busy = key;
		try {
			await action();
		} catch (error) {
			this.notice = { ok: false, message: describeError(error) };
		} finally {
			this.busy = null;
		}
		await this.reload();
	}
}
