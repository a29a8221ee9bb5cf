import { browser } from '$app/environment';
import { bootWithin } from '$lib/library/boot';
import type { PageLoad } from './$types';

/**
 * How long the first render waits for the boot request (usually under way since the HTML
 * was parsed, see boot.ts). With the answer in hand the first render is the library itself;
 * a slower server gets the "Connecting…" screen meanwhile, as before.
 */
const BOOT_WAIT_MS = 200;

export const load: PageLoad = async () => (browser ? bootWithin(BOOT_WAIT_MS) : { boot: null, pending: null });
