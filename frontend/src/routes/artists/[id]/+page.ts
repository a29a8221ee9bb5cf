// Any artist id: nothing to prerender. The server answers /artists/<id> with the SPA shell
// (index.html), and the router renders this page in the browser.
export const prerender = false;
