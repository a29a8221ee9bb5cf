/**
 * The state of a share's public page: asking for the password, the shared item, the track
 * playing and its stream URL (minted per play; minted again when a stream is refused, which
 * tells a revoked or expired share apart from a URL that merely timed out).
 */
import { describeError } from '$lib/api/graphql';
import type { PublicShares, SharedPage } from '$lib/api/shares';

export type ShareStatus = 'loading' | 'password' | 'ready' | 'gone' | 'error';

export class SharedView {
	status = $state<ShareStatus>('loading');
	page = $state.raw<SharedPage | null>(null);
	passwordMessage = $state<string | null>(null);
	unlocking = $state(false);
	error = $state<string | null>(null);
	/** Index into `page.tracks` of the track in the player, or -1. */
	current = $state(-1);
	streamUrl = $state<string | null>(null);
	notice = $state<string | null>(null);

	readonly #api: PublicShares;
	readonly #key: string;

	constructor(api: PublicShares, key: string) {
		this.#api = api;
		this.#key = key;
	}

	get track() {
		return this.page && this.current >= 0 ? (this.page.tracks[this.current] ?? null) : null;
	}

	async load(password: string | null = null): Promise<void> {
		try {
			const result = await this.#api.open(this.#key, password);
			if (result.kind === 'item') {
				this.page = result.page;
				this.status = 'ready';
				this.passwordMessage = null;
			} else if (result.kind === 'password') {
				this.status = 'password';
				this.passwordMessage = result.wrongPassword || result.retryAfterSeconds ? result.message : null;
			} else {
				this.status = 'gone';
			}
		} catch (error) {
			this.status = 'error';
			this.error = describeError(error);
		}
	}

	async unlock(password: string): Promise<void> {
		this.unlocking = true;
		await this.load(password);
		this.unlocking = false;
	}

	/** Mint a stream URL for track `index` and make it the player's. */
	async play(index: number): Promise<boolean> {
		const track = this.page?.tracks[index];
		if (!track) return false;
		this.notice = null;
		try {
			const result = await this.#api.streamUrl(this.#key, track.id);
			switch (result.kind) {
				case 'url':
					this.current = index;
					this.streamUrl = result.url;
					return true;
				case 'password':
					this.status = 'password';
					return false;
				case 'exhausted':
					this.notice = result.message;
					return false;
				case 'no-track':
					this.notice = 'This track is no longer part of the share.';
					return false;
				default:
					this.stop();
					this.status = 'gone';
					return false;
			}
		} catch (error) {
			this.notice = describeError(error);
			return false;
		}
	}

	/** The stream was refused: the share may be gone; mint again to find out. */
	async streamFailed(): Promise<void> {
		if (this.current < 0) return;
		const index = this.current;
		this.streamUrl = null;
		await this.play(index);
	}

	stop(): void {
		this.streamUrl = null;
		this.current = -1;
	}
}
