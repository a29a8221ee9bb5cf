import type { Handle } from '@sveltejs/kit';
import { bootRequestBlock, earlyBootScript, firstRowsRequestBlock } from '$lib/library/boot';

/**
 * Where app.html wants the boot request and the script that sends it (see boot.ts): at the
 * start of `<body>`, so a server that paints the first screen and embeds the boot answer
 * can send the whole head (code, styles) before it runs anything, paint just after `<body>`,
 * and put the answer before the script that would otherwise send the request.
 */
const BOOT_PLACEHOLDER = '%tonearm.boot%';

/**
 * Runs only while building (the player is static): puts the boot request and the early boot
 * script into the HTML shell. The tonearm server hashes every inline script of the built HTML
 * into its CSP, and embeds the boot answer just before the script (tonearm/web/player.py).
 */
export const handle: Handle = ({ event, resolve }) =>
	resolve(event, {
		transformPageChunk: ({ html }) =>
			html.replace(
				BOOT_PLACEHOLDER,
				`${firstRowsRequestBlock()}${bootRequestBlock()}<script>${earlyBootScript()}</script>`
			)
	});
