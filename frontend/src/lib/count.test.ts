import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from './count';

describe('formatCount', () => {
	it('writes small counts as they are', () => {
		expect(formatCount(0)).toBe('0');
		expect(formatCount(12)).toBe('12');
		expect(formatCount(999)).toBe('999');
		expect(formatCount(-5)).toBe('-5');
	});
	it('groups larger ones the way the locale does', () => {
		const locale = new Intl.NumberFormat();
		expect(formatCount(1000)).toBe(locale.format(1000));
		expect(formatCount(1234567)).toBe(locale.format(1234567));
		expect(formatCount(2.5)).toBe(locale.format(2.5));
	});
});

describe('formatBytes', () => {
	it('writes sizes in binary units with one decimal', () => {
		expect(formatBytes(0)).toBe('0 bytes');
		expect(formatBytes(1)).toBe('1 byte');
		expect(formatBytes(999)).toBe('999 bytes');
		expect(formatBytes(1536)).toBe('1.5 KB');
		expect(formatBytes(9 * 1024 * 1024)).toBe('9.0 MB');
		expect(formatBytes(20 * 1024 ** 3)).toBe('20.0 GB');
	});
});
