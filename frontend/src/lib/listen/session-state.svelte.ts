/**
 * ListenSession: one session as a member's page follows it — the snapshot
 * (`listeningSession`) and then `sessionEvents(afterSequence: <the snapshot's sequence>)`,
 * each event applied once in order (events.ts). A closed socket or a failed subscription
 * resubscribes with backoff from the last sequence applied, so nothing is missed and
 * nothing applies twice; a gap loads the snapshot again. The session ending, the member
 * being removed or the socket closed as forbidden (4403) stop it for good.
 */
import { describeError } from '$lib/api/graphql';
import {
	isGone,
	SESSION_EVENTS_SUBSCRIPTION,
	type ListeningSession,
	type SessionEvent,
	type SessionsApi
} from '$lib/api/sessions';
import { applyEvent, backoffMs } from './events';
import { CLOSE_FORBIDDEN, type LiveClient, type LiveError } from './live';

/** How long an answered change may wait for its event before the snapshot is loaded again. */
export const CATCH_UP_MS = 2000;

export type LiveStatus = 'loading' | 'live' | 'reconnecting' | 'ended' | 'gone' | 'error';

export interface ListenSessionOptions {
	setTimeout?: (callback: () => void, ms: number) => unknown;
	clearTimeout?: (handle: unknown) => void;
	random?: () => number;
}

export class ListenSession {
	session = $state.raw<ListeningSession | null>(null);
	status = $state<LiveStatus>('loading');
	error = $state<string | null>(null);
	/** Failures in a row since the subscription last delivered (drives the backoff). */
	attempts = $state(0);

	readonly id: string;
	readonly #api: SessionsApi;
	readonly #live: LiveClient;
	readonly #setTimeout: NonNullable<ListenSessionOptions['setTimeout']>;
	readonly #clearTimeout: NonNullable<ListenSessionOptions['clearTimeout']>;
	readonly #random: () => number;
	#unsubscribe: (() => void) | null = null;
	#retry: unknown = null;
	#stopped = false;

	constructor(api: SessionsApi, live: LiveClient, id: string, options: ListenSessionOptions = {}) {
		this.#api = api;
		this.#live = live;
		this.id = id;
		this.#setTimeout = options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
		this.#clearTimeout =
			options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>));
		this.#random = options.random ?? Math.random;
	}

	get playback() {
		return this.session?.playback ?? null;
	}

	/** Host or co-host: may control playback, the queue and requests. */
	get canControl(): boolean {
		const role = this.session?.viewerMember?.role;
		return role === 'HOST' || role === 'COHOST';
	}

	get isHost(): boolean {
		return this.session?.viewerMember?.role === 'HOST';
	}

	/** Load the snapshot (or take one already in hand, e.g. a join's answer) and go live. */
	async start(snapshot: ListeningSession | null = null): Promise<void> {
		this.#stopped = false;
		if (snapshot) this.session = snapshot;
		else if (!(await this.#load())) return;
		if (this.session?.status === 'ENDED') {
			this.status = 'ended';
			return;
		}
		this.#subscribe();
	}

	stop(): void {
		this.#stopped = true;
		this.#unsubscribe?.();
		this.#unsubscribe = null;
		if (this.#retry !== null) this.#clearTimeout(this.#retry);
		this.#retry = null;
	}

	/**
	 * A change of ours was answered at `sequence`: its event should arrive over the socket
	 * soon. If it has not in `CATCH_UP_MS` (a wake-up lost between workers), load the
	 * snapshot again rather than wait for the next change.
	 */
	expectSequence(sequence: number): void {
		this.#setTimeout(() => {
			if (!this.#stopped && this.session && this.session.sequence < sequence) this.#resync();
		}, CATCH_UP_MS);
	}

	/** Apply one event (exposed for tests and for answers of mutations that carry one). */
	receive(event: SessionEvent): void {
		const current = this.session;
		if (!current || this.#stopped) return;
		const result = applyEvent(current, event);
		if (result.outcome === 'duplicate') return;
		if (result.outcome === 'gap') {
			this.#resync();
			return;
		}
		this.session = result.session;
		this.attempts = 0;
		if (result.session.status === 'ENDED') {
			this.status = 'ended';
			this.stop();
		} else if (event.kind === 'MEMBERS' && !result.session.viewerMember) {
			this.#gone();
		} else {
			this.status = 'live';
		}
	}

	async #load(): Promise<boolean> {
		try {
			const session = await this.#api.session(this.id);
			if (this.#stopped) return false;
			if (!session) {
				this.#gone();
				return false;
			}
			this.session = session;
			return true;
		} catch (error) {
			if (isGone(error)) this.#gone();
			else {
				this.status = 'error';
				this.error = describeError(error);
			}
			return false;
		}
	}

	#subscribe(): void {
		const session = this.session;
		if (!session || this.#stopped) return;
		this.#unsubscribe?.();
		const afterSequence = session.sequence;
		let unsubscribed = false;
		const unsubscribe = this.#live.subscribe<{ sessionEvents: SessionEvent }>(
			SESSION_EVENTS_SUBSCRIPTION,
			{ sessionId: this.id, afterSequence },
			{
				next: (data) => {
					if (unsubscribed) return;
					if (this.status !== 'live') this.status = 'live';
					this.attempts = 0;
					this.receive(data.sessionEvents);
				},
				error: (error) => {
					if (!unsubscribed) this.#failed(error);
				},
				complete: () => {
					if (!unsubscribed) this.#failed(null);
				}
			}
		);
		this.#unsubscribe = () => {
			unsubscribed = true;
			unsubscribe();
		};
		// Live once subscribed: events may be rare, and the snapshot is current.
		if (this.status === 'loading') this.status = 'live';
	}

	#failed(error: LiveError | null): void {
		if (this.#stopped) return;
		this.#unsubscribe = null;
		if (error && (error.closeCode === CLOSE_FORBIDDEN || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN')) {
			this.#gone();
			return;
		}
		if (error?.code === 'SESSION_ENDED') {
			this.status = 'ended';
			this.stop();
			return;
		}
		this.status = 'reconnecting';
		this.error = error?.message ?? null;
		const wait = backoffMs(this.attempts, this.#random);
		this.attempts += 1;
		this.#retry = this.#setTimeout(() => {
			this.#retry = null;
			this.#subscribe();
		}, wait);
	}

	/** Something was missed: the snapshot again, then the events after it. */
	#resync(): void {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
		void this.#load().then((ok) => {
			if (ok) this.#subscribe();
		});
	}

	#gone(): void {
		this.status = 'gone';
		this.stop();
	}
}
