/** Sample data for the unit tests (imported by *.test.ts only). */
import type { Playlist } from '$lib/api/playlists';
import type { AlbumSummary, Track } from '$lib/api/types';

/** A track with every field the player reads; `overrides` set the ones a test cares about. */
export function sampleTrack(n: number, overrides: Partial<Track> = {}): Track {
	return {
		id: `id-${n}`,
		title: `Track ${n}`,
		artist: null,
		artists: [],
		album: null,
		albumArtist: null,
		trackNumber: n,
		discNumber: null,
		discSubtitle: null,
		durationSeconds: 180,
		mimeType: 'audio/mpeg',
		coverArt: null,
		...overrides
	};
}

export function sampleAlbum(n: number, overrides: Partial<AlbumSummary> = {}): AlbumSummary {
	return {
		id: `album-${n}`,
		title: `Album ${n}`,
		artistCredit: 'Artist',
		artists: [{ id: 'artist-1', name: 'Artist' }],
		year: 2020,
		isCompilation: false,
		coverArt: null,
		...overrides
	};
}

/** A playlist of the viewer's that they may change. */
export function samplePlaylist(n: number, overrides: Partial<Playlist> = {}): Playlist {
	return {
		id: `playlist-${n}`,
		name: `Playlist ${n}`,
		description: null,
		owner: { id: 'user-1', username: 'ada' },
		isPublic: false,
		isCollaborative: false,
		isSmart: false,
		isReadOnly: false,
		viewerCanEdit: true,
		viewerCanAddTracks: true,
		trackCount: 0,
		durationSeconds: 0,
		coverArt: null,
		likeCount: 0,
		viewerHasLiked: false,
		...overrides
	};
}

/** One GraphQL request as the fake server saw it. */
export interface SeenRequest {
	query: string;
	variables: Record<string, unknown>;
	/** The operation's name (`PlayerAlbums`…). */
	operation: string;
}

/**
 * A `fetch` that answers GraphQL requests with `respond(request)` (a `{ data }` or
 * `{ errors }` body, sent as JSON with status 200), and the requests it saw.
 */
export function graphqlFetch(respond: (request: SeenRequest) => unknown) {
	const requests: SeenRequest[] = [];
	const fetch = async (_url: string, init?: RequestInit): Promise<Response> => {
		const body = JSON.parse(String(init?.body)) as { query: string; variables: Record<string, unknown> };
		const request = { ...body, operation: /(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? '' };
		requests.push(request);
		const answer = await respond(request);
		return new Response(JSON.stringify(answer), {
			status: 200,
			headers: { 'Content-Type': 'application/graphql-response+json' }
		});
	};
	return { fetch, requests };
}

/** A connection's JSON with cursors `c<index>` (what `toPage` reads); `edge` adds edge fields. */
export function connection<N>(
	nodes: N[],
	{
		start = 0,
		total = nodes.length,
		more = false,
		edge = () => ({})
	}: { start?: number; total?: number; more?: boolean; edge?: (node: N, i: number) => object } = {}
) {
	return {
		totalCount: total,
		pageInfo: { hasNextPage: more, endCursor: nodes.length ? `c${start + nodes.length}` : null },
		edges: nodes.map((node, i) => ({ cursor: `c${start + i + 1}`, node, ...edge(node, start + i) }))
	};
}
