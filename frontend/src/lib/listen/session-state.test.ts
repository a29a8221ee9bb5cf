import { describe, expect, it } from 'vitest';
import type { ListeningSession, SessionEvent, SessionQueueItem, SessionsApi } from '$lib/api/sessions';
import { applyEvent, backoffMs, markCurrent, upsertRequest } from './events';
import { LiveError, type LiveClient, type LiveSink } from './live';
import { CATCH_UP_MS, ListenSession } from './session-state.svelte';

const me = {
	id: 'U2Vzc2lvbk1lbWJlcjox',
	displayName: 'Ada',
	role: 'GUEST' as const,
	isAnonymous: true,
	isOnline: true,
	syncState: 'IN_SYNC' as const,
	offsetMs: null,
	joinedAt: '2026-01-01T00:00:00Z'
};

function snapshot(sequence: number): ListeningSession {
	return {
		id: 'TGlzdGVuaW5nU2Vzc2lvbjox',
		name: 'Friday',
		host: null,
		inviteCode: null,
		inviteUrl: null,
		inviteExpiresAt: null,
		allowAnonymousGuests: true,
		allowTakeover: false,
		requestLimit: 3,
		status: 'ACTIVE',
		members: [me],
		queue: [],
		playback: {
			trackId: null,
			itemId: null,
			track: null,
			positionSeconds: 0,
			updatedAt: 0,
			isPlaying: false,
			status: 'PAUSED',
			epoch: 0,
			readyDeadline: null,
			format: null,
			bitrateKbps: null
		},
		requests: [],
		viewerMember: me,
		guestToken: null,
		sequence
	};
}

function playbackEvent(sequence: number, positionSeconds: number): SessionEvent {
	return {
		sequence,
		kind: 'PLAYBACK',
		at: 0,
		sessionId: 'TGlzdGVuaW5nU2Vzc2lvbjox',
		playback: { ...snapshot(0).playback, positionSeconds, epoch: sequence },
		queue: null,
		request: null,
		members: null
	};
}

/** A LiveClient whose subscriptions the test drives by hand. */
function fakeLive() {
	const subscriptions: { variables: Record<string, unknown>; sink: LiveSink<unknown>; closed: boolean }[] = [];
	const live: LiveClient = {
		subscribe(_query, variables, sink) {
			const entry = { variables, sink: sink as LiveSink<unknown>, closed: false };
			subscriptions.push(entry);
			return () => {
				entry.closed = true;
			};
		},
		request: () => Promise.reject(new Error('unused')),
		dispose: () => undefined
	};
	return { live, subscriptions };
}

function fakeApi(answers: (ListeningSession | null)[]) {
	const calls: string[] = [];
	const api = {
		async session(id: string) {
			calls.push(id);
			return answers.shift() ?? null;
		}
	} as unknown as SessionsApi;
	return { api, calls };
}

function manualTimers() {
	const timers: { callback: () => void; ms: number }[] = [];
	return {
		timers,
		setTimeout: (callback: () => void, ms: number) => timers.push({ callback, ms }),
		clearTimeout: () => undefined,
		random: () => 1
	};
}

const events = (sink: LiveSink<unknown>, event: SessionEvent) => sink.next({ sessionEvents: event });

describe('applyEvent', () => {
	it('applies the next event, drops duplicates and reports a gap', () => {
		const base = snapshot(4);
		const applied = applyEvent(base, playbackEvent(5, 30));
		expect(applied.outcome).toBe('applied');
		expect(applied.outcome === 'applied' && applied.session.playback.positionSeconds).toBe(30);
		expect(applied.outcome === 'applied' && applied.session.sequence).toBe(5);
		expect(applyEvent(base, playbackEvent(4, 1))).toEqual({ outcome: 'duplicate' });
		expect(applyEvent(base, playbackEvent(7, 1))).toEqual({ outcome: 'gap', expected: 5, got: 7 });
	});

	it('a track change moves the queue’s current and played items along', () => {
		const item = (id: string) => ({ id, isCurrent: false, isPlayed: false }) as unknown as SessionQueueItem;
		expect(markCurrent([item('a'), item('b'), item('c')], 'b').map((i) => [i.id, i.isCurrent, i.isPlayed])).toEqual([
			['a', false, true],
			['b', true, false],
			['c', false, false]
		]);
		const base = { ...snapshot(0), queue: [item('a'), item('b')] };
		const event = playbackEvent(1, 0);
		const applied = applyEvent(base, { ...event, playback: { ...event.playback!, itemId: 'b' } });
		expect(applied.outcome === 'applied' && applied.session.queue.map((i) => i.isPlayed)).toEqual([true, false]);
	});

	it('a MEMBERS event without me means I am no longer a member', () => {
		const event: SessionEvent = { ...playbackEvent(1, 0), kind: 'MEMBERS', playback: null, members: [] };
		const applied = applyEvent(snapshot(0), event);
		expect(applied.outcome === 'applied' && applied.session.viewerMember).toBeNull();
	});

	it('keeps requests newest first, a decision replacing its request in place', () => {
		const request = (id: string, status: 'PENDING' | 'APPROVED') =>
			({ id, status }) as unknown as ListeningSession['requests'][number];
		const list = upsertRequest([request('b', 'PENDING'), request('a', 'PENDING')], request('c', 'PENDING'));
		expect(list.map((r) => r.id)).toEqual(['c', 'b', 'a']);
		const decided = upsertRequest(list, request('b', 'APPROVED'));
		expect(decided.map((r) => `${r.id}:${r.status}`)).toEqual(['c:PENDING', 'b:APPROVED', 'a:PENDING']);
	});
});

describe('backoffMs', () => {
	it('doubles from 0.5 s to at most 15 s, jittered down to half', () => {
		expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 1))).toEqual([
			500, 1000, 2000, 4000, 8000, 15000, 15000
		]);
		expect(backoffMs(0, () => 0)).toBe(250);
	});
});

describe('ListenSession', () => {
	it('subscribes after the snapshot’s sequence and applies each event once', async () => {
		const { live, subscriptions } = fakeLive();
		const { api } = fakeApi([snapshot(10)]);
		const state = new ListenSession(api, live, 'TGlzdGVuaW5nU2Vzc2lvbjox', manualTimers());
		await state.start();
		expect(state.status).toBe('live');
		expect(subscriptions[0]?.variables).toEqual({ sessionId: 'TGlzdGVuaW5nU2Vzc2lvbjox', afterSequence: 10 });
		const sink = subscriptions[0]!.sink;
		events(sink, playbackEvent(11, 5));
		events(sink, playbackEvent(11, 99)); // a duplicate
		events(sink, playbackEvent(12, 6));
		expect(state.session?.sequence).toBe(12);
		expect(state.playback?.positionSeconds).toBe(6);
	});

	it('resumes after a dropped socket from the last sequence applied, with backoff, without duplicates', async () => {
		const { live, subscriptions } = fakeLive();
		const timers = manualTimers();
		const state = new ListenSession(fakeApi([snapshot(0)]).api, live, 'S', timers);
		await state.start();
		events(subscriptions[0]!.sink, playbackEvent(1, 1));
		events(subscriptions[0]!.sink, playbackEvent(2, 2));
		subscriptions[0]!.sink.error(new LiveError('The connection closed (1006).', 1006, null));
		expect(state.status).toBe('reconnecting');
		expect(timers.timers.map((t) => t.ms)).toEqual([500]);
		timers.timers.shift()!.callback();
		expect(subscriptions[1]?.variables.afterSequence).toBe(2);
		// the failure again: a longer wait
		subscriptions[1]!.sink.error(new LiveError('closed', 1006, null));
		expect(timers.timers.map((t) => t.ms)).toEqual([1000]);
		timers.timers.shift()!.callback();
		const sink = subscriptions[2]!.sink;
		// the server replays from 3; an event the old socket already gave is dropped
		events(sink, playbackEvent(2, 222));
		events(sink, playbackEvent(3, 3));
		expect(state.status).toBe('live');
		expect(state.playback?.positionSeconds).toBe(3);
		expect(state.attempts).toBe(0);
	});

	it('loads the snapshot again on a gap and subscribes after it', async () => {
		const { live, subscriptions } = fakeLive();
		const { api, calls } = fakeApi([snapshot(0), snapshot(8)]);
		const state = new ListenSession(api, live, 'S', manualTimers());
		await state.start();
		events(subscriptions[0]!.sink, playbackEvent(3, 3));
		await Promise.resolve();
		await Promise.resolve();
		expect(calls).toEqual(['S', 'S']);
		expect(subscriptions[0]!.closed).toBe(true);
		expect(subscriptions[1]?.variables.afterSequence).toBe(8);
		expect(state.session?.sequence).toBe(8);
	});

	it('stops for good when the session ends, the member is removed, or the socket is closed as forbidden', async () => {
		const { live, subscriptions } = fakeLive();
		const timers = manualTimers();
		const ended = new ListenSession(fakeApi([snapshot(0)]).api, live, 'S', timers);
		await ended.start();
		events(subscriptions[0]!.sink, { ...playbackEvent(1, 0), kind: 'ENDED', playback: null });
		expect(ended.status).toBe('ended');
		expect(subscriptions[0]!.closed).toBe(true);

		const removed = new ListenSession(fakeApi([snapshot(0)]).api, live, 'S', timers);
		await removed.start();
		events(subscriptions[1]!.sink, { ...playbackEvent(1, 0), kind: 'MEMBERS', playback: null, members: [] });
		expect(removed.status).toBe('gone');

		const forbidden = new ListenSession(fakeApi([snapshot(0)]).api, live, 'S', timers);
		await forbidden.start();
		subscriptions[2]!.sink.error(new LiveError('Forbidden', 4403, null));
		expect(forbidden.status).toBe('gone');
		expect(timers.timers).toEqual([]);
	});

	it('loads the snapshot again when the event of an answered change does not come', async () => {
		const { live, subscriptions } = fakeLive();
		const timers = manualTimers();
		const { api, calls } = fakeApi([snapshot(3), snapshot(4)]);
		const state = new ListenSession(api, live, 'S', timers);
		await state.start();
		state.expectSequence(4);
		state.expectSequence(3); // already applied: nothing to do
		expect(timers.timers.map((t) => t.ms)).toEqual([CATCH_UP_MS, CATCH_UP_MS]);
		timers.timers.pop()!.callback();
		expect(calls).toEqual(['S']);
		timers.timers.pop()!.callback();
		await Promise.resolve();
		await Promise.resolve();
		expect(calls).toEqual(['S', 'S']);
		expect(state.session?.sequence).toBe(4);
		expect(subscriptions.at(-1)?.variables.afterSequence).toBe(4);
	});

	it('is gone when the snapshot is null (not a member, or no such session)', async () => {
		const { live, subscriptions } = fakeLive();
		const state = new ListenSession(fakeApi([null]).api, live, 'S', manualTimers());
		await state.start();
		expect(state.status).toBe('gone');
		expect(subscriptions).toEqual([]);
	});
});
