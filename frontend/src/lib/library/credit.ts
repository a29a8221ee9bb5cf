/** An artist credit with links to the artists in it. Pure; see credit.test.ts. */
import type { ArtistRef } from '$lib/api/types';

/** A piece of a credit: plain text, or an artist's name that links to their page. */
export type CreditPart = { text: string; artist?: undefined } | { text: string; artist: ArtistRef };

interface Claim {
	start: number;
	end: number;
	artist: ArtistRef;
}

/**
 * Split the credit as tagged (`Kite Parade feat. Mirela Ďurková`) into text and the names of
 * `artists`. Each name is found case-insensitively where no other name was found; an artist
 * whose name is not in the credit is added after it (`, Name`), so every artist gets a link.
 * Without a credit, the artists' names joined with commas.
 */
export function creditParts(credit: string | null | undefined, artists: readonly ArtistRef[]): CreditPart[] {
	const text = credit?.trim() ?? '';
	if (!text) return joined(artists);
	const folded = text.toLocaleLowerCase();
	// Lower-casing can change a string's length (rarely); then offsets in it would be wrong.
	const searchable = folded.length === text.length;
	const claims: Claim[] = [];
	const missing: ArtistRef[] = [];
	for (const artist of artists) {
		const claim = searchable ? find(folded, artist, claims) : null;
		if (claim) claims.push(claim);
		else missing.push(artist);
	}
	claims.sort((a, b) => a.start - b.start);
	const parts: CreditPart[] = [];
	let at = 0;
	for (const claim of claims) {
		if (claim.start > at) parts.push({ text: text.slice(at, claim.start) });
		parts.push({ text: text.slice(claim.start, claim.end), artist: claim.artist });
		at = claim.end;
	}
	if (at < text.length) parts.push({ text: text.slice(at) });
	if (missing.length > 0) parts.push({ text: ', ' }, ...joined(missing));
	return parts;
}

/** The first occurrence of the artist's name that overlaps no claim made before. */
function find(folded: string, artist: ArtistRef, claims: readonly Claim[]): Claim | null {
	const name = artist.name.trim().toLocaleLowerCase();
	if (!name) return null;
	for (let start = folded.indexOf(name); start >= 0; start = folded.indexOf(name, start + 1)) {
		const end = start + name.length;
		if (claims.every((c) => end <= c.start || start >= c.end)) return { start, end, artist };
	}
	return null;
}

function joined(artists: readonly ArtistRef[]): CreditPart[] {
	return artists.flatMap((artist, i): CreditPart[] =>
		i === 0 ? [{ text: artist.name, artist }] : [{ text: ', ' }, { text: artist.name, artist }]
	);
}
