import { describe, expect, it } from 'vitest';
import { creditParts } from './credit';

const kite = { id: 'k', name: 'Kite Parade' };
const mirela = { id: 'm', name: 'Mirela Ďurková' };

/** `[text, artist id]` pairs, for readable expectations. */
const parts = (...args: Parameters<typeof creditParts>) =>
	creditParts(...args).map((p) => (p.artist ? [p.text, p.artist.id] : [p.text]));

describe('creditParts', () => {
	it('links each artist where the credit names them and keeps the rest as text', () => {
		expect(parts('Kite Parade feat. Mirela Ďurková', [kite, mirela])).toEqual([
			['Kite Parade', 'k'],
			[' feat. '],
			['Mirela Ďurková', 'm']
		]);
	});

	it('keeps the credit’s spelling and finds names whatever their case or order', () => {
		expect(parts('MIRELA ĎURKOVÁ & kite parade', [kite, mirela])).toEqual([
			['MIRELA ĎURKOVÁ', 'm'],
			[' & '],
			['kite parade', 'k']
		]);
	});

	it('finds a name that another name contains only where the other is not', () => {
		const simon = { id: 's', name: 'Simon' };
		const duo = { id: 'd', name: 'Simon & Garfunkel' };
		expect(parts('Simon & Garfunkel with Simon', [duo, simon])).toEqual([
			['Simon & Garfunkel', 'd'],
			[' with '],
			['Simon', 's']
		]);
	});

	it('adds artists the credit does not name after it, so each has a link', () => {
		expect(parts('Kite Parade', [kite, mirela])).toEqual([['Kite Parade', 'k'], [', '], ['Mirela Ďurková', 'm']]);
	});

	it('is the credit as text when no artist is known (Various Artists)', () => {
		expect(parts('Various Artists', [])).toEqual([['Various Artists']]);
	});

	it('joins the artists’ names without a credit, and is empty without either', () => {
		expect(parts(null, [kite, mirela])).toEqual([['Kite Parade', 'k'], [', '], ['Mirela Ďurková', 'm']]);
		expect(parts('  ', [])).toEqual([]);
	});
});
