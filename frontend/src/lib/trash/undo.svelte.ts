/**
 * "Moved to the trash — Undo": the one toast every Delete action offers. Deleting is
 * two-step on the server (the trash); Undo calls `restore` on what was just deleted, then
 * lets the page that deleted it show it again (`onrestored`).
 */
import { describeError } from '$lib/api/graphql';
import type { DeleteResult, TrashApi } from '$lib/api/trash';

/** How long the toast stays (ms). */
export const UNDO_MS = 10_000;

export interface Offer {
	/** What the toast says, e.g. "“Wave 2” moved to the trash". */
	message: string;
	/** The deleted object's global ID, for restore. */
	id: string;
	onrestored?: () => void;
}

export class UndoToast {
	offer = $state.raw<Offer | null>(null);
	/** A failure or the outcome of Undo, in place of the offer. */
	message = $state<string | null>(null);
	failed = $state(false);
	busy = $state(false);
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(private readonly api: () => TrashApi) {}

	/** Show the Undo toast for something just moved to the trash. */
	show(offer: Offer): void {
		this.offer = offer;
		this.message = null;
		this.failed = false;
		this.#arm();
	}

	/** Say why a delete was refused (or anything else worth a line). */
	say(message: string, failed = false): void {
		this.offer = null;
		this.message = message;
		this.failed = failed;
		this.#arm();
	}

	/** Show the outcome of a delete: the Undo offer, or why not. */
	afterDelete(result: DeleteResult, name: string, onrestored?: () => void): boolean {
		if (result.kind === 'ok') {
			this.show({ message: `“${name}” moved to the trash`, id: result.entry.id, onrestored });
			return true;
		}
		this.say(result.message || 'You may not delete this.', true);
		return false;
	}

	async undo(): Promise<void> {
		const offer = this.offer;
		if (!offer || this.busy) return;
		this.busy = true;
		try {
			const result = await this.api().restore(offer.id);
			if (result.kind === 'ok') {
				this.say('Restored');
				offer.onrestored?.();
			} else {
				this.say(result.message, true);
			}
		} catch (error) {
			this.say(describeError(error), true);
		} finally {
			this.busy = false;
		}
	}

	dismiss(): void {
		clearTimeout(this.#timer);
		this.offer = null;
		this.message = null;
	}

	#arm(): void {
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.dismiss(), UNDO_MS);
	}
}
