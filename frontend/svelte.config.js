import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: {
		runes: true
	},
	kit: {
		// A single-page app: the tonearm server serves build/ and falls back to index.html.
		adapter: adapter({
			pages: 'build',
			assets: 'build',
			fallback: 'index.html',
			precompress: false,
			strict: true
		}),
		// The server sends `style-src 'self'`: never inline CSS into the HTML.
		inlineStyleThreshold: 0,
		output: {
			// One JS and one CSS file, both named in the HTML shell: the browser fetches them
			// while it parses, instead of discovering each route's chunks after the router runs.
			bundleStrategy: 'single'
		},
		typescript: {
			// Type-check the Playwright suite, its config and the benchmark too (`npm run check`).
			config(config) {
				config.include.push('../e2e/**/*.ts', '../playwright.config.ts', '../bench/**/*.js');
			}
		}
	}
};

export default config;
