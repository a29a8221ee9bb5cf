/**
 * Selections shared by several operations. The cover is a plain selection rather than a
 * fragment: a document may define a fragment only once, and a track, an album and an artist
 * all carry one.
 */

/** The three cover sizes the player shows (track rows, album tiles, the album page). */
export const COVER_SELECTION = /* GraphQL */ `
	coverArt {
		placeholder
		small: url(size: 64)
		medium: url(size: 300)
		large: url(size: 600)
	}
`;

export const TRACK_FIELDS = /* GraphQL */ `
	fragment PlayerTrack on Track {
		id
		title
		artist
		artists {
			id
			name
		}
		album {
			id
			title
		}
		albumArtist
		trackNumber
		discNumber
		discSubtitle
		durationSeconds
		mimeType
		${COVER_SELECTION}
		streamUrl {
			url
			expiresAt
		}
		canEdit
		viewerRole
		likeCount
		viewerHasLiked
		playCount
	}
`;

export const ALBUM_CARD_FIELDS = /* GraphQL */ `
	fragment PlayerAlbumCard on Album {
		id
		title
		artistCredit
		artists {
			id
			name
		}
		year
		isCompilation
		${COVER_SELECTION}
	}
`;

export const ARTIST_CARD_FIELDS = /* GraphQL */ `
	fragment PlayerArtistCard on Artist {
		id
		name
		albumCount
		trackCount
		${COVER_SELECTION}
	}
`;
