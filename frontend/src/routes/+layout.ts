import { browser } from '$app/environment';
import { bootWithin } from '$lib/library/boot';
import type { LayoutLoad } from './$types';

// A static single-page app: the HTML shell is prerendered, everything else runs in the browser.
export const prerender = true;
export const ssr = false;

/**
 * How long the first render waits for the boot request (usually under way since the HTML
 * was parsed, see boot.ts). With the answer in hand the first render is the page itself;
 * a slower server gets the "Connecting…" screen meanwhile. In the layout, so every page
 * (library, settings, admin) starts from the one request.
 */
const BOOT_WAIT_MS = 200;

export const load: LayoutLoad = async () => (browser ? bootWithin(BOOT_WAIT_MS) : { boot: null, pending: null });
