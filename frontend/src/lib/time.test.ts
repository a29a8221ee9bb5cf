import { describe, expect, it } from 'vitest';
import { formatMoment, formatTime, formatTotalDuration, spokenTime } from './time';

describe('formatTime', () => {
	it.each([
		[0, '0:00'],
		[5, '0:05'],
		[59.999, '0:59'],
		[60, '1:00'],
		[65, '1:05'],
		[600, '10:00'],
		[3599, '59:59'],
		[3600, '1:00:00'],
		[3723, '1:02:03'],
		[36000 + 61, '10:01:01']
	])('formats %s s as %s', (seconds, text) => {
		expect(formatTime(seconds)).toBe(text);
	});

	it('shows 0:00 for values that are not a time yet', () => {
		expect(formatTime(Number.NaN)).toBe('0:00');
		expect(formatTime(-3)).toBe('0:00');
		expect(formatTime(-Infinity)).toBe('0:00');
	});

	it('shows --:-- for an unknown (infinite) duration', () => {
		expect(formatTime(Infinity)).toBe('--:--');
	});
});

describe('spokenTime', () => {
	it('speaks minutes and seconds', () => {
		expect(spokenTime(83)).toBe('1 minute 23 seconds');
		expect(spokenTime(180)).toBe('3 minutes');
		expect(spokenTime(3601)).toBe('1 hour 1 second');
		expect(spokenTime(0)).toBe('0 seconds');
		expect(spokenTime(Number.NaN)).toBe('0 seconds');
	});
});

describe('formatTotalDuration', () => {
	it('rounds to minutes, hours and days', () => {
		expect(formatTotalDuration(0)).toBe('0 min');
		expect(formatTotalDuration(20)).toBe('1 min');
		expect(formatTotalDuration(45 * 60)).toBe('45 min');
		expect(formatTotalDuration(3 * 3600 + 12 * 60)).toBe('3 h 12 min');
		expect(formatTotalDuration(52 * 3600)).toBe('2 d 4 h');
		expect(formatTotalDuration(Number.NaN)).toBe('0 min');
	});
});

describe('formatMoment', () => {
	it('shows an API timestamp as a short date and time', () => {
		expect(formatMoment('2026-12-03T14:05:00+00:00', 'never', { locale: 'en-GB', timeZone: 'UTC' })).toBe(
			'3 Dec 2026, 14:05'
		);
		expect(formatMoment('2026-12-03T14:05:00+00:00', 'never', { locale: 'en-GB', timeZone: 'Europe/Berlin' })).toBe(
			'3 Dec 2026, 15:05'
		);
	});

	it('shows the fallback for no timestamp or a broken one', () => {
		expect(formatMoment(null, 'never')).toBe('never');
		expect(formatMoment('yesterday-ish')).toBe('—');
	});
});
