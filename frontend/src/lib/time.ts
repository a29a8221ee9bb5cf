/** Time formatting for the player. Pure functions; see time.test.ts. */

/**
 * Clock-style time: `0:00`, `1:05`, `1:02:03`. Negative and NaN values show `0:00`
 * (nothing loaded yet); an infinite duration (unknown length) shows `--:--`.
 */
export function formatTime(seconds: number): string {
	if (seconds === Infinity) return '--:--';
	if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
	const whole = Math.floor(seconds);
	const h = Math.floor(whole / 3600);
	const m = Math.floor((whole % 3600) / 60);
	const s = whole % 60;
	const ss = String(s).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Spoken form for screen readers: `1 minute 23 seconds`. */
export function spokenTime(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) return '0 seconds';
	const whole = Math.floor(seconds);
	const h = Math.floor(whole / 3600);
	const m = Math.floor((whole % 3600) / 60);
	const s = whole % 60;
	const parts: string[] = [];
	if (h) parts.push(plural(h, 'hour'));
	if (m) parts.push(plural(m, 'minute'));
	if (s || parts.length === 0) parts.push(plural(s, 'second'));
	return parts.join(' ');
}

/** Library totals: `45 min`, `3 h 12 min`, `2 d 4 h`. */
export function formatTotalDuration(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds <= 0) return '0 min';
	const minutes = Math.round(seconds / 60);
	if (minutes < 60) return `${Math.max(1, minutes)} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours} h ${minutes % 60} min`;
	return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export interface MomentFormat {
	locale?: string;
	timeZone?: string;
}

/**
 * A timestamp from the API (ISO 8601) as a short date and time in the user's locale, e.g.
 * `3 Dec 2026, 14:05`; `fallback` when there is none (or it does not parse).
 */
export function formatMoment(iso: string | null, fallback = '—', { locale, timeZone }: MomentFormat = {}): string {
	if (!iso) return fallback;
	const moment = new Date(iso);
	if (Number.isNaN(moment.getTime())) return fallback;
	return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(moment);
}

function plural(n: number, unit: string): string {
	return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
