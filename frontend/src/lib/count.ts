/** Counts for people (`12`, `1,234` in the user's locale). Pure; see count.test.ts. */

let grouped: Intl.NumberFormat | undefined;

/**
 * A count as the user's locale writes it. Numbers below 1,000 need no grouping and are
 * written as they are: the first `Intl.NumberFormat` a page creates loads ICU's locale data,
 * which measured 20–40 ms in Chromium here, on the first screen's critical path. A library
 * with more tracks than that pays it once, when the first such number shows.
 */
export function formatCount(n: number): string {
	if (Number.isInteger(n) && Math.abs(n) < 1000) return String(n);
	grouped ??= new Intl.NumberFormat();
	return grouped.format(n);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'] as const;

/** A size for people, in powers of 1,024 with one decimal from KB up (`1 byte`, `8.5 MB`). */
export function formatBytes(n: number): string {
	if (n === 1) return '1 byte';
	let value = n;
	let unit = 0;
	while (value >= 1024 && unit < UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	return unit === 0 ? `${formatCount(value)} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
