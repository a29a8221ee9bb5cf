/**
 * SessionRoom: everything one member's page of a session runs — the socket, the server
 * clock (sampled over the socket), the session state and the audio follower — and what the
 * member does (host controls, queue, requests, leave, end), each refusal shown as the
 * server phrased it.
 */
import { describeError, GraphQLError } from '$lib/api/graphql';
import {
	SERVER_TIME_QUERY,
	type ListeningSession,
	type PlaybackAction,
	type SessionMemberRole,
	type SessionsApi
} from '$lib/api/sessions';
import { ServerClock, type ServerTimeAnswer } from './clock';
import { Follower } from './follower.svelte';
import { liveClient, socketUrl, type LiveClient } from './live';
import { ListenSession } from './session-state.svelte';

export class SessionRoom {
	readonly api: SessionsApi;
	readonly live: LiveClient;
	readonly clock: ServerClock;
	readonly state: ListenSession;
	readonly follower: Follower;
	/** The last refusal or failure of something the member did. */
	message = $state<string | null>(null);
	busy = $state(false);
	offsetMs = $state<number | null>(null);

	constructor(api: SessionsApi, sessionId: string, guestToken: string | null = null, live?: LiveClient) {
		this.api = api;
		this.live = live ?? liveClient(socketUrl(globalThis.location), guestToken);
		this.clock = new ServerClock(
			async (clientSentAt) =>
				(await this.live.request<{ serverTime: ServerTimeAnswer }>(SERVER_TIME_QUERY, { clientSentAt })).serverTime,
			{ onSample: (clock) => (this.offsetMs = clock.offsetMs) }
		);
		this.state = new ListenSession(api, this.live, sessionId);
		this.follower = new Follower(api, this.clock, () => this.state.session);
	}

	get session(): ListeningSession | null {
		return this.state.session;
	}

	start(snapshot: ListeningSession | null = null): void {
		this.clock.start();
		void this.state.start(snapshot);
	}

	stop(): void {
		this.state.stop();
		this.clock.stop();
		this.follower.detach();
		this.live.dispose();
	}

	/** The host's expected position now (s), from the server state and the clock; null before either. */
	expectedPosition(): number | null {
		const playback = this.state.playback;
		const now = this.clock.serverNow();
		if (!playback || now === null) return null;
		return playback.status === 'PLAYING'
			? playback.positionSeconds + (now - playback.updatedAt) / 1000
			: playback.positionSeconds;
	}

	control(action: PlaybackAction, positionSeconds: number | null = null) {
		return this.#do(() => this.api.control(this.state.id, action, positionSeconds));
	}

	enqueue(trackIds: string[], position: number | null = null) {
		return this.#changed(() => this.api.enqueue(this.state.id, trackIds, position));
	}

	dequeue(itemId: string) {
		return this.#changed(() => this.api.dequeue(this.state.id, [itemId]));
	}

	move(itemId: string, toPosition: number) {
		return this.#changed(() => this.api.move(this.state.id, itemId, toPosition));
	}

	/** A change answered with the sequence it took: make sure its event shows. */
	async #changed(action: () => Promise<number>): Promise<number | null> {
		const sequence = await this.#do(action);
		if (sequence !== null) this.state.expectSequence(sequence);
		return sequence;
	}

	request(trackId: string, note: string | null) {
		return this.#do(() => this.api.request(this.state.id, trackId, note));
	}

	decide(requestId: string, approve: boolean, position: number | null = null) {
		return this.#do(() => this.api.decide(requestId, approve, position));
	}

	setRole(memberId: string, role: SessionMemberRole) {
		return this.#do(() => this.api.setRole(this.state.id, memberId, role));
	}

	removeMember(memberId: string) {
		return this.#do(() => this.api.removeMember(this.state.id, memberId));
	}

	takeOver() {
		return this.#do(() => this.api.takeOver(this.state.id));
	}

	async renewInvite(): Promise<boolean> {
		const renewed = await this.#do(() => this.api.renewInvite(this.state.id));
		if (!renewed || !this.state.session) return false;
		this.state.session = { ...this.state.session, ...renewed };
		return true;
	}

	leave() {
		return this.#do(() => this.api.leave(this.state.id));
	}

	end() {
		return this.#do(() => this.api.end(this.state.id));
	}

	/** Run one action; resolve with its answer, or null with `message` set. */
	async #do<T>(action: () => Promise<T>): Promise<T | null> {
		this.busy = true;
		this.message = null;
		try {
			return await action();
		} catch (error) {
			this.message = error instanceof GraphQLError && error.code !== 'INTERNAL' ? error.message : describeError(error);
			return null;
		} finally {
			this.busy = false;
		}
	}
}

/** Where an anonymous guest's token is kept for a reload (sessionStorage: this tab only). */
export interface GuestPass {
	token: string;
	sessionId: string;
}

const passKey = (code: string) => `tonearm.listen.${code}`;

export function loadGuestPass(storage: Storage, code: string): GuestPass | null {
	try {
		const value = JSON.parse(storage.getItem(passKey(code)) ?? 'null') as Partial<GuestPass> | null;
		return value && typeof value.token === 'string' && typeof value.sessionId === 'string'
			? { token: value.token, sessionId: value.sessionId }
			: null;
	} catch {
		return null;
	}
}

export function saveGuestPass(storage: Storage, code: string, pass: GuestPass): void {
	storage.setItem(passKey(code), JSON.stringify(pass));
}

export function forgetGuestPass(storage: Storage, code: string): void {
	storage.removeItem(passKey(code));
}
