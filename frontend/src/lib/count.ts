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
