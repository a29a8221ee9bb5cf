/**
 * Where the album and artist pages are. A global ID is base64 and may hold `/` or `+`, so
 * it is percent-encoded into the path; SvelteKit decodes `page.params.id` again.
 */
import { resolve } from '$app/paths';
import type { ResolvedPathname } from '$app/types';

export function albumHref(id: string): ResolvedPathname {
	return resolve('/albums/[id]', { id: encodeURIComponent(id) });
}

export function artistHref(id: string): ResolvedPathname {
	return resolve('/artists/[id]', { id: encodeURIComponent(id) });
}

export function playlistHref(id: string): ResolvedPathname {
	return resolve('/playlists/[id]', { id: encodeURIComponent(id) });
}

export function trackHref(id: string): ResolvedPathname {
	return resolve('/tracks/[id]', { id: encodeURIComponent(id) });
}

/** A listening session's page (members), and an invite's (anyone with the code). */
export function listenSessionHref(id: string): ResolvedPathname {
	return resolve('/listen/session/[id]', { id: encodeURIComponent(id) });
}

export function listenInviteHref(code: string): ResolvedPathname {
	return resolve('/listen/[code]', { code: encodeURIComponent(code) });
}

/**
 * Pages that render without the sign-in screen: a share's (/s/<key>) and an invite's
 * (/listen/<code>, where an anonymous guest joins and listens).
 */
export function isPublicPath(pathname: string): boolean {
	return pathname.startsWith('/s/') || /^\/listen\/(?!session(?:\/|$))[^/]+\/?$/.test(pathname);
}
