/**
 * Listening sessions: the documents and types of the session API (see
 * docs/API-CONTRACT.md), for a signed-in member (the session cookie, through
 * `TonearmApi.run`) and for an anonymous guest (a `tgs_…` bearer token, through a
 * `GraphQLClient` of its own).
 */
import { GraphQLClient, GraphQLError, type TonearmApi, type Variables } from './graphql';
import type { AudioFormat } from './types';
import type { PlaybackStatus } from '$lib/listen/sync';

export type SessionMemberRole = 'HOST' | 'COHOST' | 'GUEST';
export type MemberSyncState = 'IN_SYNC' | 'CATCHING_UP' | 'OFFLINE';
export type SessionRequestStatus = 'PENDING' | 'APPROVED' | 'DECLINED';
export type SessionEventKind = 'PLAYBACK' | 'QUEUE' | 'REQUEST' | 'MEMBERS' | 'ENDED';
export type PlaybackAction = 'PLAY' | 'PAUSE' | 'SEEK' | 'NEXT' | 'PREVIOUS';

export interface SessionTrack {
	id: string;
	title: string;
	artistName: string | null;
	albumTitle: string | null;
	durationSeconds: number | null;
	coverUrl: string | null;
}

export interface SessionPlayback {
	trackId: string | null;
	itemId: string | null;
	track: SessionTrack | null;
	positionSeconds: number;
	updatedAt: number;
	isPlaying: boolean;
	status: PlaybackStatus;
	epoch: number;
	readyDeadline: number | null;
	format: AudioFormat | null;
	bitrateKbps: number | null;
}

export interface SessionMember {
	id: string;
	displayName: string;
	role: SessionMemberRole;
	isAnonymous: boolean;
	isOnline: boolean;
	syncState: MemberSyncState;
	offsetMs: number | null;
	joinedAt: string;
}

export interface SessionQueueItem {
	id: string;
	track: SessionTrack;
	position: number;
	addedBy: { id: string; displayName: string } | null;
	isCurrent: boolean;
	isPlayed: boolean;
	requestId: string | null;
}

export interface SessionRequest {
	id: string;
	track: SessionTrack;
	note: string | null;
	status: SessionRequestStatus;
	requestedBy: { id: string; displayName: string } | null;
	createdAt: string;
	decidedAt: string | null;
	decidedBy: { id: string; displayName: string } | null;
}

export interface ListeningSession {
	id: string;
	name: string;
	host: { id: string; displayName: string } | null;
	inviteCode: string | null;
	inviteUrl: string | null;
	inviteExpiresAt: string | null;
	allowAnonymousGuests: boolean;
	allowTakeover: boolean;
	requestLimit: number;
	status: 'ACTIVE' | 'ENDED';
	members: SessionMember[];
	queue: SessionQueueItem[];
	playback: SessionPlayback;
	requests: SessionRequest[];
	viewerMember: SessionMember | null;
	guestToken: string | null;
	sequence: number;
}

export interface SessionEvent {
	sequence: number;
	kind: SessionEventKind;
	at: number;
	sessionId: string;
	playback: SessionPlayback | null;
	queue: SessionQueueItem[] | null;
	request: SessionRequest | null;
	members: SessionMember[] | null;
}

export interface SessionInvite {
	name: string;
	hostName: string;
	allowsAnonymousGuests: boolean;
	expiresAt: string;
}

export interface CreateSessionInput {
	name: string;
	allowAnonymousGuests?: boolean;
	allowTakeover?: boolean;
	playable?: AudioFormat[] | null;
}

/** One item of "add tracks" / "request a track" search results. */
export interface TrackChoice {
	id: string;
	title: string;
	artist: string | null;
	durationSeconds: number;
}

const TRACK = 'id title artistName albumTitle durationSeconds coverUrl(size: 300)';
const WHO = 'id displayName';
export const PLAYBACK_FIELDS = `trackId itemId track { ${TRACK} } positionSeconds updatedAt isPlaying status epoch
  readyDeadline format bitrateKbps`;
export const MEMBER_FIELDS = 'id displayName role isAnonymous isOnline syncState offsetMs joinedAt';
export const QUEUE_FIELDS = `id track { ${TRACK} } position addedBy { ${WHO} } isCurrent isPlayed requestId`;
export const REQUEST_FIELDS = `id track { ${TRACK} } note status requestedBy { ${WHO} } createdAt decidedAt
  decidedBy { ${WHO} }`;
const SESSION_FIELDS = `id name host { ${WHO} } inviteCode inviteUrl inviteExpiresAt allowAnonymousGuests
  allowTakeover requestLimit status members { ${MEMBER_FIELDS} } queue { ${QUEUE_FIELDS} }
  playback { ${PLAYBACK_FIELDS} } requests { ${REQUEST_FIELDS} } viewerMember { ${MEMBER_FIELDS} } sequence`;

/** The subscription: every event of the session after `afterSequence` (null: only new ones). */
export const SESSION_EVENTS_SUBSCRIPTION = `subscription SessionEvents($sessionId: ID!, $afterSequence: Int) {
  sessionEvents(sessionId: $sessionId, afterSequence: $afterSequence) {
    sequence kind at sessionId playback { ${PLAYBACK_FIELDS} } queue { ${QUEUE_FIELDS} }
    request { ${REQUEST_FIELDS} } members { ${MEMBER_FIELDS} } } }`;

export const SERVER_TIME_QUERY = `query ServerTime($clientSentAt: Float!) {
  serverTime(clientSentAt: $clientSentAt) { clientSentAt serverReceivedAt serverSentAt } }`;

const SESSION = `query ListeningSession($id: ID!) { listeningSession(id: $id) { ${SESSION_FIELDS} } }`;
const SESSIONS = `query ListeningSessions { listeningSessions { id name status host { ${WHO} }
  viewerMember { ${MEMBER_FIELDS} } members { id } playback { track { title artistName } isPlaying } } }`;
const INVITE = `query SessionInvite($code: String!) { listeningSessionInvite(inviteCode: $code) {
  name hostName allowsAnonymousGuests expiresAt } }`;
const CREATE = `mutation CreateListeningSession($input: CreateListeningSessionInput!) {
  createListeningSession(input: $input) { ${SESSION_FIELDS} } }`;
const JOIN = `mutation JoinListeningSession($code: String!, $displayName: String, $playable: [AudioFormat!]) {
  joinListeningSession(inviteCode: $code, displayName: $displayName, playable: $playable) {
    ${SESSION_FIELDS} guestToken } }`;
const LEAVE = 'mutation LeaveListeningSession($id: ID!) { leaveListeningSession(id: $id) }';
const END = 'mutation EndListeningSession($id: ID!) { endListeningSession(id: $id) { id status } }';
const RENEW =
	'mutation RenewInviteCode($id: ID!) { renewInviteCode(id: $id) { id inviteCode inviteUrl inviteExpiresAt } }';
const CONTROL = `mutation ControlPlayback($sessionId: ID!, $action: PlaybackAction!, $positionSeconds: Float) {
  controlPlayback(sessionId: $sessionId, action: $action, positionSeconds: $positionSeconds) { ${PLAYBACK_FIELDS} } }`;
const ENQUEUE = `mutation Enqueue($sessionId: ID!, $trackIds: [ID!]!, $position: Int) {
  enqueue(sessionId: $sessionId, trackIds: $trackIds, position: $position) { id sequence } }`;
const DEQUEUE = `mutation Dequeue($sessionId: ID!, $itemIds: [ID!]!) {
  dequeue(sessionId: $sessionId, itemIds: $itemIds) { id sequence } }`;
const MOVE = `mutation MoveQueueItem($sessionId: ID!, $itemId: ID!, $toPosition: Int!) {
  moveQueueItem(sessionId: $sessionId, itemId: $itemId, toPosition: $toPosition) { id sequence } }`;
const REQUEST = `mutation RequestTrack($sessionId: ID!, $trackId: ID!, $note: String) {
  requestTrack(sessionId: $sessionId, trackId: $trackId, note: $note) { ${REQUEST_FIELDS} } }`;
const DECIDE = `mutation DecideRequest($requestId: ID!, $approve: Boolean!, $position: Int) {
  decideRequest(requestId: $requestId, approve: $approve, position: $position) { ${REQUEST_FIELDS} } }`;
const READY = `mutation ReportReady($sessionId: ID!, $epoch: Int!, $roundTripMs: Float) {
  reportReady(sessionId: $sessionId, epoch: $epoch, roundTripMs: $roundTripMs) { epoch } }`;
const SYNC_STATE = `mutation ReportSyncState($sessionId: ID!, $state: MemberSyncState!, $offsetMs: Float) {
  reportSyncState(sessionId: $sessionId, state: $state, offsetMs: $offsetMs) }`;
const STREAM_URL = `mutation SessionStreamUrl($sessionId: ID!, $trackId: ID!) {
  createSessionStreamUrl(sessionId: $sessionId, trackId: $trackId) { url expiresAt mimeType } }`;
const SET_ROLE = `mutation SetSessionMemberRole($sessionId: ID!, $memberId: ID!, $role: SessionMemberRole!) {
  setSessionMemberRole(sessionId: $sessionId, memberId: $memberId, role: $role) { ${MEMBER_FIELDS} } }`;
const REMOVE_MEMBER = `mutation RemoveSessionMember($sessionId: ID!, $memberId: ID!) {
  removeSessionMember(sessionId: $sessionId, memberId: $memberId) }`;
const TAKE_OVER = 'mutation TakeOver($id: ID!) { takeOverListeningSession(id: $id) { id } }';
const SEARCH = `query SessionTrackSearch($search: String!) { tracks(first: 20, search: $search) {
  edges { node { id title artist durationSeconds } } } }`;

/** `extensions.code`s of the session API's refusals. */
export const NOT_FOUND = 'NOT_FOUND';
export const SESSION_ENDED = 'SESSION_ENDED';
export const RATE_LIMITED = 'RATE_LIMITED';

/** The session (or the member's place in it) is gone for the caller: stop following it. */
export function isGone(error: unknown): boolean {
	return (
		error instanceof GraphQLError &&
		error.errors.some((e) => e.extensions?.code === NOT_FOUND || e.extensions?.code === SESSION_ENDED)
	);
}

/** Runs one operation as the member (cookie or guest bearer token). */
export type Runner = <T>(query: string, variables?: Variables) => Promise<T>;

/** A runner for a signed-in member: the session cookie, ended sessions reported. */
export function viewerRunner(api: TonearmApi): Runner {
	return (query, variables = {}) => api.run(query, variables);
}

/** A runner for an anonymous guest: `Authorization: Bearer tgs_…`. */
export function guestRunner(token: string, client?: GraphQLClient): Runner {
	const guest = client ?? new GraphQLClient({ headers: { Authorization: `Bearer ${token}` } });
	return (query, variables = {}) => guest.request(query, variables);
}

/** Every session operation a member's page sends. */
export function sessionsApi(run: Runner) {
	return {
		async session(id: string): Promise<ListeningSession | null> {
			return (await run<{ listeningSession: ListeningSession | null }>(SESSION, { id })).listeningSession;
		},
		async mine() {
			return (
				await run<{
					listeningSessions: (Pick<ListeningSession, 'id' | 'name' | 'status' | 'host' | 'viewerMember'> & {
						members: { id: string }[];
						playback: { track: { title: string; artistName: string | null } | null; isPlaying: boolean };
					})[];
				}>(SESSIONS)
			).listeningSessions;
		},
		async invite(code: string): Promise<SessionInvite | null> {
			return (await run<{ listeningSessionInvite: SessionInvite | null }>(INVITE, { code })).listeningSessionInvite;
		},
		async create(input: CreateSessionInput): Promise<ListeningSession> {
			return (await run<{ createListeningSession: ListeningSession }>(CREATE, { input })).createListeningSession;
		},
		async join(code: string, displayName: string | null, playable: AudioFormat[] | null): Promise<ListeningSession> {
			return (await run<{ joinListeningSession: ListeningSession }>(JOIN, { code, displayName, playable }))
				.joinListeningSession;
		},
		async leave(id: string): Promise<boolean> {
			return (await run<{ leaveListeningSession: boolean }>(LEAVE, { id })).leaveListeningSession;
		},
		async end(id: string): Promise<void> {
			await run(END, { id });
		},
		async renewInvite(id: string) {
			return (
				await run<{
					renewInviteCode: Pick<ListeningSession, 'id' | 'inviteCode' | 'inviteUrl' | 'inviteExpiresAt'>;
				}>(RENEW, { id })
			).renewInviteCode;
		},
		async control(sessionId: string, action: PlaybackAction, positionSeconds: number | null = null) {
			return (await run<{ controlPlayback: SessionPlayback }>(CONTROL, { sessionId, action, positionSeconds }))
				.controlPlayback;
		},
		/** Each queue change resolves with the session's sequence after it. */
		async enqueue(sessionId: string, trackIds: string[], position: number | null = null): Promise<number> {
			return (await run<{ enqueue: { sequence: number } }>(ENQUEUE, { sessionId, trackIds, position })).enqueue
				.sequence;
		},
		async dequeue(sessionId: string, itemIds: string[]): Promise<number> {
			return (await run<{ dequeue: { sequence: number } }>(DEQUEUE, { sessionId, itemIds })).dequeue.sequence;
		},
		async move(sessionId: string, itemId: string, toPosition: number): Promise<number> {
			return (await run<{ moveQueueItem: { sequence: number } }>(MOVE, { sessionId, itemId, toPosition })).moveQueueItem
				.sequence;
		},
		async request(sessionId: string, trackId: string, note: string | null): Promise<SessionRequest> {
			return (await run<{ requestTrack: SessionRequest }>(REQUEST, { sessionId, trackId, note })).requestTrack;
		},
		async decide(requestId: string, approve: boolean, position: number | null = null): Promise<SessionRequest> {
			return (await run<{ decideRequest: SessionRequest }>(DECIDE, { requestId, approve, position })).decideRequest;
		},
		async reportReady(sessionId: string, epoch: number, roundTripMs: number | null): Promise<void> {
			await run(READY, { sessionId, epoch, roundTripMs });
		},
		async reportSyncState(sessionId: string, state: MemberSyncState, offsetMs: number | null): Promise<void> {
			await run(SYNC_STATE, { sessionId, state, offsetMs });
		},
		async streamUrl(sessionId: string, trackId: string): Promise<{ url: string; expiresAt: string; mimeType: string }> {
			return (
				await run<{ createSessionStreamUrl: { url: string; expiresAt: string; mimeType: string } }>(STREAM_URL, {
					sessionId,
					trackId
				})
			).createSessionStreamUrl;
		},
		async setRole(sessionId: string, memberId: string, role: SessionMemberRole): Promise<void> {
			await run(SET_ROLE, { sessionId, memberId, role });
		},
		async removeMember(sessionId: string, memberId: string): Promise<boolean> {
			return (await run<{ removeSessionMember: boolean }>(REMOVE_MEMBER, { sessionId, memberId })).removeSessionMember;
		},
		async takeOver(id: string): Promise<void> {
			await run(TAKE_OVER, { id });
		},
		/** Library search for "add to the queue" and requests (signed-in members only). */
		async searchTracks(search: string): Promise<TrackChoice[]> {
			const data = await run<{ tracks: { edges: { node: TrackChoice }[] } }>(SEARCH, { search });
			return data.tracks.edges.map((edge) => edge.node);
		}
	};
}

export type SessionsApi = ReturnType<typeof sessionsApi>;

/** The formats this browser plays, as `playable` for create/join (what `canPlayType` says). */
export function playableFormats(probe: (mime: string) => string): AudioFormat[] {
	const candidates: [AudioFormat, string][] = [
		['MP3', 'audio/mpeg'],
		['FLAC', 'audio/flac'],
		['OPUS', 'audio/ogg; codecs="opus"'],
		['VORBIS', 'audio/ogg; codecs="vorbis"'],
		['AAC', 'audio/mp4; codecs="mp4a.40.2"'],
		['ALAC', 'audio/mp4; codecs="alac"'],
		['WAV', 'audio/wav']
	];
	return candidates.filter(([, mime]) => probe(mime) !== '').map(([format]) => format);
}
