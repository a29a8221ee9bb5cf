/** The one track of the variants server's media root (a FLAC made in global-setup.ts). */
export const VARIANT_TRACK = {
	title: 'First Play Sweep',
	artist: 'The Variant Makers',
	album: 'Variants',
	seconds: 240
};
