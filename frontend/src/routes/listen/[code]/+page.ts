// Any code or id: nothing to prerender. The server answers the path with the SPA shell, and
// the router renders this page in the browser.
export const prerender = false;
