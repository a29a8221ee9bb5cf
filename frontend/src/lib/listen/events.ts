/**
 * Pure rules of the session log as a member sees it: a session's state is a snapshot at a
 * sequence plus the events after it, each carrying the whole changed aspect (the playback,
 * the queue, every member, one request). Events arrive in order; one at or below the
 * sequence applied is a duplicate (a replay after a reconnect overlaps what came live),
 * and one past the next is a gap (something was missed: load the snapshot again).
 */
import type { ListeningSession, SessionEvent, SessionQueueItem, SessionRequest } from '$lib/api/sessions';

export type Applied =
	| { outcome: 'applied'; session: ListeningSession }
	| { outcome: 'duplicate' }
	| { outcome: 'gap'; expected: number; got: number };

/** `session` with `event` applied, or why not. */
export function applyEvent(session: ListeningSession, event: SessionEvent): Applied {
	if (event.sequence <= session.sequence) return { outcome: 'duplicate' };
	if (event.sequence !== session.sequence + 1) {
		return { outcome: 'gap', expected: session.sequence + 1, got: event.sequence };
	}
	const next: ListeningSession = { ...session, sequence: event.sequence };
	switch (event.kind) {
		case 'PLAYBACK':
			if (event.playback) {
				next.playback = event.playback;
				next.queue = markCurrent(session.queue, event.playback.itemId);
			}
			break;
		case 'QUEUE':
			if (event.queue) next.queue = event.queue;
			break;
		case 'REQUEST':
			if (event.request) next.requests = upsertRequest(session.requests, event.request);
			break;
		case 'MEMBERS':
			if (event.members) {
				next.members = event.members;
				const mine = session.viewerMember && event.members.find((m) => m.id === session.viewerMember?.id);
				next.viewerMember = mine ?? null;
			}
			break;
		case 'ENDED':
			next.status = 'ENDED';
			break;
	}
	return { outcome: 'applied', session: next };
}

/**
 * The queue with `isCurrent`/`isPlayed` following the playback's item: a track change is a
 * PLAYBACK event, and the queue it moved along comes with no QUEUE event.
 */
export function markCurrent(queue: readonly SessionQueueItem[], itemId: string | null): SessionQueueItem[] {
	const current = itemId === null ? -1 : queue.findIndex((item) => item.id === itemId);
	if (current < 0) return [...queue];
	return queue.map((item, index) => ({ ...item, isCurrent: index === current, isPlayed: index < current }));
}

/** Requests newest first, `request` replacing its older self. */
export function upsertRequest(requests: readonly SessionRequest[], request: SessionRequest): SessionRequest[] {
	const rest = requests.filter((r) => r.id !== request.id);
	const index = requests.findIndex((r) => r.id === request.id);
	if (index >= 0) {
		const copy = [...requests];
		copy[index] = request;
		return copy;
	}
	return [request, ...rest];
}

/** The wait before resubscribing after the `attempt`-th failure in a row (0-based): 0.5 s doubling to 15 s, with jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const base = Math.min(15_000, 500 * 2 ** Math.min(attempt, 10));
	return Math.round(base * (0.5 + random() / 2));
}
