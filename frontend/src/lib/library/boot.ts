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
 * The ids of the two JSON data blocks of the HTML shell (`<script type="application/json">`,
 * never executed). The request: the boot operation as the shell sends it, which the tonearm
 * server also reads from the built `index.html` to run the very same operation itself. The
 * answer: what the server embeds when it serves the shell to a signed-in browser (the same
 * JSON a POST to /graphql would return), so the first screen needs no request at all.
 */
export const BOOT_REQUEST_ID = 'tonearm-boot-request';
export const BOOT_ANSWER_ID = 'tonearm-boot-answer';

/** How many rows the server paints before the app mounts: more than a tall window shows. */
export const FIRST_ROWS = 30;

/**
 * What the server paints of the first screen before the code runs (tonearm/web/first_screen.py):
 * who is signed in and the first rows of the very page BOOT_QUERY asks for (the same field,
 * order and visibility), without what is costly to resolve (stream URLs, covers, playlists,
 * totals). The server runs it first, paints, then runs BOOT_QUERY for the app.
 */
export const FIRST_ROWS_QUERY = /* GraphQL */ `
	query PlayerFirstRows($first: Int!, $orderBy: TrackOrder!) {
		viewer {
			username
			role
			mustChangePassword
			canUpload
		}
		authMode
		tracks(first: $first, orderBy: $orderBy) {
			edges {
				node {
					id
					title
					artist
					album {
						id
						title
					}
					durationSeconds
					canEdit
					viewerHasLiked
				}
			}
		}
	}
`;

/** The data block of FIRST_ROWS_QUERY in the shell, read by the server only. */
export const FIRST_ROWS_REQUEST_ID = 'tonearm-first-rows-request';

/** What the server painted from FIRST_ROWS_QUERY's answer, until the app mounts its own. */
export const FIRST_SCREEN_ID = 'tonearm-first-screen';

/** `JSON.stringify` that is safe inside a `<script>` element: no `<` can start `</script>`. */
function scriptSafeJson(value: unknown): string {
	return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The boot operation as a JSON data block for the HTML shell's `<body>` (put there by
 * hooks.server.ts): the body `earlyBootScript` POSTs, and the operation the server runs when
 * it embeds the answer.
 */
export function bootRequestBlock(): string {
	const body = { query: BOOT_QUERY.replace(/\s+/g, ' ').trim(), variables: BOOT_VARIABLES };
	return `<script type="application/json" id="${BOOT_REQUEST_ID}">${scriptSafeJson(body)}</script>`;
}

/** FIRST_ROWS_QUERY as a data block of the HTML shell (never sent by the client). */
export function firstRowsRequestBlock(): string {
	const body = {
		query: FIRST_ROWS_QUERY.replace(/\s+/g, ' ').trim(),
		variables: { first: FIRST_ROWS, orderBy: BOOT_ORDER }
	};
	return `<script type="application/json" id="${FIRST_ROWS_REQUEST_ID}">${scriptSafeJson(body)}</script>`;
}

/**
 * A classic inline script for the HTML shell (at the start of `<body>`), after `bootRequestBlock` (put there
 * by hooks.server.ts, and allowed by the server's CSP through its hash): on the player's own
 * page, unless the server already embedded the answer, it sends the boot request while the
 * browser is still fetching the code. The same POST the client sends.
 */
export function earlyBootScript(): string {
	const init = {
		method: 'POST',
		credentials: 'same-origin',
		headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' }
	};
	const element = (id: string) => `document.getElementById(${JSON.stringify(id)})`;
	// The no-op catch only keeps a failure from being reported as unhandled before boot() reads it.
	return (
		`if(location.pathname==='/'&&!${element(BOOT_ANSWER_ID)}){` +
		`var init=${scriptSafeJson(init)};init.body=${element(BOOT_REQUEST_ID)}.textContent;` +
		`window.__tonearmBoot=fetch('/graphql',init);window.__tonearmBoot.catch(function(){})}`
	);
}

/**
 * The boot answer as a response: the one the server embedded in the shell (read once, then
 * removed), else the request the shell already sent; later calls (and other pages) get
 * undefined.
 */
function takeEarlyBoot(): Promise<Response> | undefined {
	if (typeof window === 'undefined') return undefined;
	const embedded = typeof document === 'undefined' ? null : document.getElementById(BOOT_ANSWER_ID);
	if (embedded) {
		embedded.remove();
		delete window.__tonearmBoot;
		const text = embedded.textContent ?? '';
		return Promise.resolve(new Response(text, { status: 200, headers: { 'Content-Type': 'application/json' } }));
	}
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
