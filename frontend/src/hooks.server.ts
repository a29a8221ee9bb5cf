import type { Handle } from '@sveltejs/kit';
import { earlyBootScript } from '$lib/library/boot';

/** Where app.html wants the script that starts the boot request (see `earlyBootScript`). */
const BOOT_PLACEHOLDER = '%tonearm.boot%';

/**
 * Runs only while building (the player is static): puts the early boot script into the
 * HTML shell. The tonearm server hashes every inline script of the built HTML into its CSP.
 */
export const handle: Handle = ({ event, resolve }) =>
	resolve(event, {
		transformPageChunk: ({ html }) => html.replace(BOOT_PLACEHOLDER, `<script>${earlyBootScript()}</script>`)
	});
