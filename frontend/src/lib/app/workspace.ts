/**
 * Opening a signed-in user's workspace: the root layout does it for the app, and the build
 * does it with placeholders to paint the first screen from the same components
 * (routes/first-screen.template.json).
 */
import type { TonearmApi } from '$lib/api/graphql';
import { playlistsApi } from '$lib/api/playlists';
import { socialApi } from '$lib/api/social';
import { trashApi } from '$lib/api/trash';
import type { Viewer } from '$lib/api/types';
import type { Workspace } from '$lib/app/context';
import type { BootLibrary } from '$lib/library/boot';
import { albumBrowse, artistBrowse } from '$lib/library/browse.svelte';
import { Library } from '$lib/library/library.svelte';
import { Player } from '$lib/player/player.svelte';
import { Playlists } from '$lib/playlists/playlists.svelte';
import { Likes } from '$lib/social/likes.svelte';
import { UndoToast } from '$lib/trash/undo.svelte';

/** `viewer`'s library, player, playlists, likes and trash, starting from `first` when given. */
export function openWorkspace(api: TonearmApi, viewer: Viewer, first?: BootLibrary): Workspace {
	const library = new Library(api);
	void library.start(first);
	const playlists = new Playlists(playlistsApi(api));
	if (first?.playlists) playlists.list.adopt(first.playlists);
	const trash = trashApi(api);
	return {
		userId: viewer.id,
		library,
		albums: albumBrowse(api),
		artists: artistBrowse(api),
		player: new Player(api),
		playlists,
		likes: new Likes(socialApi(api)),
		trash,
		undo: new UndoToast(() => trash)
	};
}
