/**
 * What the root layout shares with every page: the API client, the session, and the
 * signed-in user's workspace (library and player), which outlives page changes so the
 * music keeps playing while you visit the settings or the admin page.
 */
import { getContext, setContext } from 'svelte';
import type { TonearmApi } from '$lib/api/graphql';
import type { TrashApi } from '$lib/api/trash';
import type { AlbumBrowse, ArtistBrowse } from '$lib/library/browse.svelte';
import type { Library } from '$lib/library/library.svelte';
import type { Player } from '$lib/player/player.svelte';
import type { Playlists } from '$lib/playlists/playlists.svelte';
import type { Session } from '$lib/session/session.svelte';
import type { Likes } from '$lib/social/likes.svelte';
import type { UndoToast } from '$lib/trash/undo.svelte';

/** One user's library and player; kept when a session ends, so signing in again resumes. */
export interface Workspace {
	userId: string;
	library: Library;
	/** The albums grid and the artists index, kept while moving between pages. */
	albums: AlbumBrowse;
	artists: ArtistBrowse;
	player: Player;
	/** The sidebar's playlists, and "Add to playlist" everywhere. */
	playlists: Playlists;
	/** The hearts, the same on every page. */
	likes: Likes;
	/** Delete (to the trash), restore, purge. */
	trash: TrashApi;
	/** "Moved to the trash — Undo", after every Delete. */
	undo: UndoToast;
}

export interface AppContext {
	readonly api: TonearmApi;
	readonly session: Session;
	/** Null until someone is signed in (pages render only once it is set). */
	readonly workspace: Workspace | null;
	/** Ask the server who is signed in again (after changing your own account): a new role
	 * shows at once, an ended session returns to sign-in. */
	recheckViewer(): Promise<void>;
}

const KEY = Symbol('tonearm-app');

export function provideApp(app: AppContext): void {
	setContext(KEY, app);
}

export function useApp(): AppContext {
	const app = getContext<AppContext | undefined>(KEY);
	if (!app) throw new Error('useApp() outside the root layout');
	return app;
}

/** The workspace of a page (the layout renders pages only for a signed-in user). */
export function useWorkspace(): Workspace {
	const workspace = useApp().workspace;
	if (!workspace) throw new Error('useWorkspace() before anyone signed in');
	return workspace;
}
