import { describe, expect, it } from 'vitest';
import { albumQueryFrom, albumQuerySuffix, artistQueryFrom, searchFrom, searchSuffix } from './url-query';

const params = (text: string) => new URLSearchParams(text);

describe('url queries', () => {
	it('reads the search from ?q=, trimmed', () => {
		expect(searchFrom(params('q=%20long%20drive%20'))).toBe('long drive');
		expect(searchFrom(params(''))).toBe('');
		expect(artistQueryFrom(params('q=kite'))).toEqual({ search: 'kite' });
	});

	it('reads the albums order from ?sort=, the default for none or an unknown one', () => {
		expect(albumQueryFrom(params('sort=year&q=rain'))).toEqual({ search: 'rain', orderBy: 'YEAR' });
		expect(albumQueryFrom(params('sort=recent'))).toEqual({ search: '', orderBy: 'RECENTLY_ADDED' });
		expect(albumQueryFrom(params('sort=YEAR'))).toEqual({ search: '', orderBy: 'ARTIST' });
		expect(albumQueryFrom(params(''))).toEqual({ search: '', orderBy: 'ARTIST' });
	});

	it('writes the shortest query string that reads back the same', () => {
		expect(searchSuffix('  ')).toBe('');
		expect(searchSuffix(' rain & snow ')).toBe('?q=rain+%26+snow');
		expect(albumQuerySuffix({ search: '', orderBy: 'ARTIST' })).toBe('');
		expect(albumQuerySuffix({ search: 'rain', orderBy: 'TITLE' })).toBe('?sort=title&q=rain');
		for (const orderBy of ['ARTIST', 'TITLE', 'YEAR', 'RECENTLY_ADDED'] as const) {
			const query = { search: 'x y', orderBy };
			expect(albumQueryFrom(params(albumQuerySuffix(query).slice(1)))).toEqual(query);
		}
	});
});
