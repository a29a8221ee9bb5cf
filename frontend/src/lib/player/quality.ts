/**
 * Which version of a track the player asks for: the quality setting (Original, High, Normal,
 * Low, or Auto from the network), the format this browser plays (Opus in Ogg where
 * `canPlayType` says so, else MP3), what to ask for instead when the track does not offer
 * it, and how the now-playing area names what plays. Pure rules; see quality.test.ts.
 */
import type { AudioFormat, StreamRequest } from '$lib/api/types';

export type Quality = 'auto' | 'original' | 'high' | 'normal' | 'low';

/** A quality with the network taken into account: what is actually asked for. */
export type EffectiveQuality = Exclude<Quality, 'auto'>;

export const QUALITIES: readonly { value: Quality; label: string }[] = [
	{ value: 'auto', label: 'Auto' },
	{ value: 'original', label: 'Original' },
	{ value: 'high', label: 'High (320 kbps)' },
	{ value: 'normal', label: 'Normal (160 kbps)' },
	{ value: 'low', label: 'Low (96 kbps)' }
];

export const DEFAULT_QUALITY: Quality = 'auto';

/** The bitrate ceiling of each lossy quality. */
export const QUALITY_KBPS: Readonly<Record<Exclude<EffectiveQuality, 'original'>, number>> = {
	high: 320,
	normal: 160,
	low: 96
};

export function isQuality(value: unknown): value is Quality {
	return QUALITIES.some((q) => q.value === value);
}

/** The parts of `navigator.connection` (Network Information API) that Auto reads. */
export interface ConnectionInfo {
	saveData?: boolean;
	effectiveType?: string;
}

/** What the browser tells about itself: which media types it plays, and its network. */
export interface PlaybackEnvironment {
	/** `HTMLMediaElement.canPlayType`: '' (no), 'maybe' or 'probably'. */
	canPlayType(type: string): string;
	connection?: ConnectionInfo | null;
}

/** Effective types of a connection too slow for originals (Network Information API). */
const SLOW_CONNECTIONS = new Set(['slow-2g', '2g', '3g']);

/** Auto: Low when the user asked to save data or the connection is 2g/3g, else Original. */
export function effectiveQuality(quality: Quality, connection?: ConnectionInfo | null): EffectiveQuality {
	if (quality !== 'auto') return quality;
	if (connection?.saveData === true) return 'low';
	if (connection?.effectiveType && SLOW_CONNECTIONS.has(connection.effectiveType)) return 'low';
	return 'original';
}

export const OPUS_TYPE = 'audio/ogg; codecs=opus';
export const MP3_TYPE = 'audio/mpeg';

/** The lossy format to ask for: Opus in Ogg where this browser plays it, else MP3. */
export function lossyFormat(env: PlaybackEnvironment): AudioFormat {
	return env.canPlayType(OPUS_TYPE) !== '' ? 'OPUS' : 'MP3';
}

/** What to ask `createStreamUrl` for; null: the original (no format, no bitrate). */
export function streamRequest(quality: Quality, env: PlaybackEnvironment): StreamRequest | null {
	const effective = effectiveQuality(quality, env.connection);
	if (effective === 'original') return null;
	return { format: lossyFormat(env), maxBitrateKbps: QUALITY_KBPS[effective] };
}

/** Why the server would not give a URL for a request (`createStreamUrl`'s typed errors). */
export type StreamRefusal =
	{ kind: 'format-not-offered'; format: AudioFormat } | { kind: 'bitrate-too-low'; lowestBitrateKbps: number | null };

/**
 * What to ask for after a refusal; null: the original. Opus not offered (a source below
 * every Opus bitrate) → MP3 at the same ceiling, if the browser plays MP3. Every variant of
 * the format above the ceiling → the lowest the format has (still less to download than the
 * original, and the nearest to what was asked). Anything else → the original. The player
 * treats these as normal outcomes, never as errors.
 */
export function fallbackRequest(
	request: StreamRequest,
	refusal: StreamRefusal,
	env: PlaybackEnvironment
): StreamRequest | null {
	if (refusal.kind === 'format-not-offered') {
		if (request.format !== 'MP3' && env.canPlayType(MP3_TYPE) !== '') {
			return { format: 'MP3', maxBitrateKbps: request.maxBitrateKbps };
		}
		return null;
	}
	const lowest = refusal.lowestBitrateKbps;
	if (lowest != null && lowest > request.maxBitrateKbps) return { format: request.format, maxBitrateKbps: lowest };
	return null;
}

/** At most this many requests for one stream URL: the request, fallbacks, then the original. */
export const MAX_STREAM_REQUESTS = 3;

/** Formats that are lossless, named without a bitrate ("FLAC (original)"). */
const LOSSLESS: ReadonlySet<AudioFormat> = new Set<AudioFormat>(['FLAC', 'ALAC', 'WAV']);

/**
 * How the now-playing area names what plays: "OPUS 96 kbps", "FLAC (original)",
 * "MP3 128 kbps (original)". Empty when the server did not say (an older server).
 */
export function streamLabel(stream: { format?: AudioFormat; bitrateKbps?: number | null }, original: boolean): string {
	if (!stream.format) return '';
	const kbps = !LOSSLESS.has(stream.format) && stream.bitrateKbps ? ` ${stream.bitrateKbps} kbps` : '';
	return `${stream.format}${kbps}${original ? ' (original)' : ''}`;
}

const FORMAT_OF_MIME: Readonly<Record<string, AudioFormat>> = {
	'audio/mpeg': 'MP3',
	'audio/flac': 'FLAC',
	'audio/x-flac': 'FLAC',
	'audio/wav': 'WAV',
	'audio/x-wav': 'WAV',
	'audio/wave': 'WAV',
	'audio/opus': 'OPUS',
	'audio/aac': 'AAC'
};

/**
 * The format of a track's original from its MIME type, for a URL that came without one (the
 * URLs that come with a track list); null where the type does not say (Ogg, MP4).
 */
export function formatOfMime(mimeType: string | null | undefined): AudioFormat | null {
	return FORMAT_OF_MIME[(mimeType ?? '').split(';')[0]!.trim().toLowerCase()] ?? null;
}

/** The browser's environment, read when asked (the connection can change while playing). */
export function browserEnvironment(): PlaybackEnvironment {
	const probe = typeof document === 'undefined' ? null : document.createElement('audio');
	const nav = typeof navigator === 'undefined' ? null : (navigator as Navigator & { connection?: ConnectionInfo });
	return {
		canPlayType: (type) => probe?.canPlayType(type) ?? '',
		get connection() {
			return nav?.connection ?? null;
		}
	};
}
