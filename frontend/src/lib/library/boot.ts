import { GraphQLClient, GraphQLError, TRACK_FIELDS, UNAUTHENTICATED } from '$lib/api/graphql';
import { PLAYLIST_FIELDS, SIDEBAR_PLAYLISTS_SELECTION, type Playlist } from '$lib/api/playlists';
import type { LibraryStats, Page, TrackOrder, TrackPage, Viewer, ViewerInfo } from '$lib/api/types';
import { PAGE_SIZE } from './track-list.svelte';

/** The order the library opens in (Library's default). */
export const BOOT_ORDER: TrackOrder = 'ARTIST';

/**
 * Everything the first screen needs, in one request: who is signed in, the library totals
 * and the first page of tracks in the default order, and the sidebar's playlists. Asked before the UI mounts, so that
 * loading the data overlaps loading and starting the code instead of following it.
 */
export const BOOT_QUERY = /* GraphQL */ `
	query PlayerBoot($first: Int!, $orderBy: TrackOrder!) {
		viewer {
			id
			username
			role
			mustChangePassword
			canUpload
		}
		authMode
		library {
			trackCount
			artistCount
			albumCount
			totalDurationSeconds
		}
		tracks(first: $first, orderBy: $orderBy) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					...PlayerTrack
				}
			}
		}
		${SIDEBAR_PLAYLISTS_SELECTION}
	}
	${TRACK_FIELDS}
	${PLAYLIST_FIELDS}
`;

/** The library's opening state: totals and the first page of `orderBy`, unsearched. */
export interface BootLibrary {
	stats: LibraryStats;
	page: TrackPage;
	orderBy: TrackOrder;
	/** The sidebar's first page of playlists (absent from an older server's answer). */
	playlists?: Page<Playlist> | null;
}

/** What the boot request found: the viewer check, plus the library when someone is signed in. */
export interface Boot {
	viewer: ViewerInfo;
	/** Present only when a viewer is. */
	library: BootLibrary | null;
}

interface BootData {
	viewer: Viewer | null;
	authMode: ViewerInfo['authMode'];
	library: LibraryStats;
	tracks: { totalCount: number; pageInfo: TrackPage['pageInfo']; edges: { node: TrackPage['tracks'][number] }[] };
	playlists?: { totalCount: number; pageInfo: TrackPage['pageInfo']; edges: { node: Playlist }[] };
}

declare global {
	interface Window {
		/** The boot request as the HTML shell started it (see `earlyBootScript`), until taken. */
		__tonearmBoot?: Promise<Response>;
	}
}

const BOOT_VARIABLES = { first: PAGE_SIZE, orderBy: BOOT_ORDER };

/**
 * A classic inline script for the HTML shell's `<head>` (put there by hooks.server.ts, and
 * allowed by the server's CSP through its hash): it sends the boot request while the browser
 * is still fetching the code, on the player's own page only. The same POST the client sends.
 */
export function earlyBootScript(): string {
	const init = {
		method: 'POST',
		credentials: 'same-origin',
		headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
		body: JSON.stringify({ query: BOOT_QUERY.replace(/\s+/g, ' ').trim(), variables: BOOT_VARIABLES })
	};
	// `<` only ever occurs inside the JSON's strings: escaped, no `</script>` can end the element.
	const args = JSON.stringify(init).replace(/</g, '\\u003c');
	// The no-op catch only keeps a failure from being reported as unhandled before boot() reads it.
	return `if(location.pathname==='/'){window.__tonearmBoot=fetch('/graphql',${args});window.__tonearmBoot.catch(function(){})}`;
}

/** The request the shell already sent, once; later calls (and other pages) get undefined. */
function takeEarlyBoot(): Promise<Response> | undefined {
	if (typeof window === 'undefined') return undefined;
	const early = window.__tonearmBoot;
	delete window.__tonearmBoot;
	return early;
}

/**
 * Run the boot request, or read the answer to the one the HTML shell already sent. Resolves
 * `null` when it did not give a clear answer (server down, an unexpected error): the caller
 * then takes the usual path (viewer check, then the library), which reports the problem as
 * it always has.
 */
export async function boot(client: GraphQLClient = new GraphQLClient()): Promise<Boot | null> {
	const early = takeEarlyBoot();
	if (early) {
		// Same parsing and errors as every other request: only the fetch is already under way.
		client = new GraphQLClient({ endpoint: client.endpoint, fetch: () => early });
	}
	let data: BootData;
	try {
		data = await client.request<BootData>(BOOT_QUERY, BOOT_VARIABLES);
	} catch (error) {
		// Nobody signed in: the library fields refuse, and that is the whole answer. (With
		// accounts off there is always a viewer, so this means accounts are required.)
		if (error instanceof GraphQLError && error.errors.every((e) => e.extensions?.code === UNAUTHENTICATED)) {
			return { viewer: { viewer: null, authMode: 'REQUIRED' }, library: null };
		}
		return null;
	}
	if (!data.viewer) return null; // a library without a viewer: not an answer we can use
	const { id, username, role, mustChangePassword, canUpload } = data.viewer;
	return {
		viewer: {
			viewer: { id, username, role, mustChangePassword, canUpload: canUpload === true },
			authMode: data.authMode
		},
		library: {
			stats: data.library,
			orderBy: BOOT_ORDER,
			page: {
				tracks: data.tracks.edges.map((edge) => edge.node),
				pageInfo: data.tracks.pageInfo,
				totalCount: data.tracks.totalCount
			},
			playlists: data.playlists
				? {
						items: data.playlists.edges.map((edge) => edge.node),
						pageInfo: data.playlists.pageInfo,
						totalCount: data.playlists.totalCount
					}
				: null
		}
	};
}

/** `boot()`'s answer if it comes within `ms`, else the request still under way. */
export async function bootWithin(
	ms: number,
	booting: Promise<Boot | null> = boot()
): Promise<{ boot: Boot | null; pending: null } | { boot: null; pending: Promise<Boot | null> }> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
	const first = await Promise.race([booting, late]);
	clearTimeout(timer);
	return first === 'late' ? { boot: null, pending: booting } : { boot: first, pending: null };
}
