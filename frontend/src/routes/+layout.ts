// A static single-page app: the HTML shell is prerendered, everything else runs in the browser.
export const prerender = true;
export const ssr = false;
