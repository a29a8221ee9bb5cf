/**
 * The painted first screen's template, written to `build/first-screen.template.json` at build
 * time: the library page as the app's own components render it (FirstScreen.svelte, through
 * svelte/server), cut where the rows go, and the row itself in each shape it can take. The
 * tonearm server fills it for a signed-in viewer (tonearm/web/first_screen.py), so the rows
 * it paints before the code runs have one definition: TrackRow.svelte.
 *
 * Every value is a slot, `TONEARM_SLOT_<name>_`, which no escaping nor `encodeURIComponent`
 * alters; the server replaces each with the value HTML-escaped (ids also URL-encoded).
 */
import { render } from 'svelte/server';
import type { AuthMode, Role, Track } from '$lib/api/types';
import { formatTime } from '$lib/time';
import FirstScreen from './FirstScreen.svelte';

export const SLOT_PATTERN = /TONEARM_SLOT_([a-z]+)_/g;
const slot = (name: string) => `TONEARM_SLOT_${name}_`;

/** A duration whose formatted text is unmistakable, replaced by the `time` slot. */
const DURATION = 35999;

export interface Frame {
	/** Up to the list's `<ol>` open tag, and from its `</ol>` on. */
	before: string;
	after: string;
}

export interface FirstScreenTemplate {
	/** `${authMode}/${role}/${canUpload ? 'upload' : 'no-upload'}` → the frame. */
	frames: Record<string, Frame>;
	/** `${canEdit ? 'edit' : 'view'}/${album ? 'album' : 'no-album'}/${liked ? 'liked' : 'not-liked'}` → one row. */
	rows: Record<string, string>;
}

function placeholderTrack(canEdit: boolean, album: boolean, liked: boolean): Track {
	return {
		id: slot('id'),
		title: slot('title'),
		artist: slot('artist'),
		artists: [],
		album: album ? { id: slot('albumid'), title: slot('album') } : null,
		albumArtist: null,
		trackNumber: null,
		discNumber: null,
		discSubtitle: null,
		durationSeconds: DURATION,
		mimeType: 'audio/mpeg',
		coverArt: null,
		canEdit,
		viewerRole: null,
		likeCount: 0,
		viewerHasLiked: liked
	};
}

function renderPart(part: 'frame' | 'row', authMode: AuthMode, role: Role, canUpload: boolean, track: Track): string {
	const viewer = { id: slot('userid'), username: slot('username'), role, mustChangePassword: false, canUpload };
	const { body } = render(FirstScreen, { props: { viewer, authMode, track, number: slot('number'), part } });
	// The row menu's popover id is minted per render: one per painted row instead.
	const menu = /popovertarget="([^"]+)"/.exec(body)?.[1];
	const html = menu ? body.replaceAll(menu, slot('menu')) : body;
	// The server's `style-src` allows no style attribute (the app sets these through the
	// CSSOM, which it allows): the seek bar's "0% played" is what it shows without one.
	return html.replaceAll(formatTime(DURATION), slot('time')).replace(/ style="[^"]*"/g, '');
}

/** The `<li>…</li>` of the one row in `html`. */
function onlyRow(html: string): string {
	const start = html.indexOf('<li');
	const end = html.lastIndexOf('</li>');
	if (start < 0 || end < start) throw new Error('first screen: no row rendered');
	return html.slice(start, end + '</li>'.length);
}

/** Everything the server needs to paint the first screen. */
export function firstScreenTemplate(): FirstScreenTemplate {
	const rows: Record<string, string> = {};
	for (const canEdit of [false, true])
		for (const album of [false, true])
			for (const liked of [false, true]) {
				const key = `${canEdit ? 'edit' : 'view'}/${album ? 'album' : 'no-album'}/${liked ? 'liked' : 'not-liked'}`;
				rows[key] = onlyRow(renderPart('row', 'REQUIRED', 'LISTENER', false, placeholderTrack(canEdit, album, liked)));
			}
	const frames: Record<string, Frame> = {};
	for (const authMode of ['REQUIRED', 'NONE'] as const)
		for (const role of ['ADMIN', 'LISTENER'] as const)
			for (const canUpload of [false, true]) {
				const html = renderPart('frame', authMode, role, canUpload, placeholderTrack(false, true, false));
				const open = /<ol [^>]*aria-label="Tracks"[^>]*>/.exec(html);
				const close = open ? html.indexOf('</ol>', open.index) : -1;
				if (!open || close < 0) throw new Error('first screen: no track list rendered');
				frames[`${authMode}/${role}/${canUpload ? 'upload' : 'no-upload'}`] = {
					before: html.slice(0, open.index + open[0].length),
					after: html.slice(close)
				};
			}
	return { frames, rows };
}
