// Any share key: nothing to prerender. The server answers /s/<key> with the SPA shell, and
// the layout renders this page without asking anyone to sign in.
export const prerender = false;
