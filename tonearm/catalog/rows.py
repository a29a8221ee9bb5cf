"""The one builder of a ``tracks`` row from a file's tags, shared by the scanner and tests.

Search and sort keys, the split artist names and the album group are derived here, so
every writer stores them the same way and queries (which fold their input with the same
``catalog.text`` functions) match what was stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from tonearm.catalog.albums import album_group
from tonearm.catalog.artists import split_credit
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.text import library_sort_key, search_document, sort_text


def track_row(
    *,
    path: str,
    title: str,
    artist: str | None,
    album: str | None,
    album_artist: str | None,
    track_number: int | None,
    disc_number: int | None,
    year: int | None,
    genre: str | None,
    duration_seconds: float,
    bitrate: int | None,
    sample_rate: int | None,
    channels: int | None,
    size_bytes: int,
    mtime_ns: int,
    mime_type: str,
    format: AudioFormat = AudioFormat.MP3,
    bit_depth: int | None = None,
    artists: Sequence[str] = (),
    album_artists: Sequence[str] = (),
    composers: Sequence[str] = (),
    genres: Sequence[str] = (),
    disc_subtitle: str | None = None,
    is_compilation: bool = False,
    musicbrainz_album_id: str | None = None,
    musicbrainz_track_id: str | None = None,
    picture: Enum | None = None,
    keep_whole: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Column values for one track, with ``search_text``, the ``sort_*`` keys computed.

    ``keep_whole`` holds folded artist names never to split (``catalog.artists``).
    """
    track_credit = split_credit(artist, artists, keep_whole=keep_whole)
    album_credit = split_credit(album_artist, album_artists, keep_whole=keep_whole)
    all_genres = list(dict.fromkeys([*genres, *([genre] if genre else [])]))
    return {
        "path": path,
        "title": title,
        "artist": artist,
        "album": album,
        "album_artist": album_artist,
        "track_number": track_number,
        "disc_number": disc_number,
        "year": year,
        "genre": all_genres[0] if all_genres else None,
        "duration_seconds": duration_seconds,
        "bitrate": bitrate,
        "sample_rate": sample_rate,
        "channels": channels,
        "size_bytes": size_bytes,
        "mtime_ns": mtime_ns,
        "mime_type": mime_type,
        "format": format.value,
        "bit_depth": bit_depth,
        "disc_subtitle": disc_subtitle,
        "composer": "; ".join(composers)[:1024] or None,
        "genres": all_genres,
        "is_compilation": is_compilation,
        "musicbrainz_album_id": musicbrainz_album_id,
        "musicbrainz_track_id": musicbrainz_track_id,
        "artist_names": list(track_credit.main),
        "featured_artist_names": list(track_credit.featured),
        "album_artist_names": list(album_credit.names),
        "album_group": album_group(
            album=album,
            album_artist_names=album_credit.main,
            artist_names=track_credit.main,
            is_compilation=is_compilation,
            musicbrainz_album_id=musicbrainz_album_id,
        ),
        "picture": picture.value if picture is not None else None,
        "search_text": search_document(title, artist, album, album_artist),
        "sort_library": library_sort_key(
            artist=album_artist or artist,
            album=album,
            disc_number=disc_number,
            track_number=track_number,
            title=title,
        ),
        "sort_title": sort_text(title),
    }


# Fields a person may edit: the key in ``tracks.overrides`` → the ``TrackInput`` field name.
OVERRIDE_FIELDS: dict[str, str] = {
    "title": "title",
    "artists": "artists",
    "album": "album",
    "album_artist": "albumArtist",
    "track_number": "trackNumber",
    "disc_number": "discNumber",
    "year": "year",
    "genre": "genre",
    "lyrics": "lyrics",
    "is_explicit": "explicit",
}
# What an ``artists`` override is shown as in the ``artist`` credit.
ARTISTS_JOINER = ", "
_GROUP_FIELDS = frozenset({"album", "album_artist", "artists"})


def overridden_fields(overrides: dict[str, Any] | None) -> list[str]:
    """The ``TrackInput`` names of the edited fields, in the input's order."""
    edited = overrides or {}
    return [name for key, name in OVERRIDE_FIELDS.items() if key in edited]


def apply_overrides(
    row: dict[str, Any],
    overrides: dict[str, Any] | None,
    *,
    keep_whole: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """``row`` (``track_row``'s columns, or a stored track's) with the edited fields applied.

    The scanner applies a path's stored overrides over the tags it probed, and an edit
    applies the new overrides over the stored row: both go through here, so the derived
    columns (credits, album group, search text, sort keys) come out the same either way.
    ``lyrics`` and ``is_explicit`` are always present in the result. Unknown keys are
    ignored.
    """
    edited = {key: value for key, value in (overrides or {}).items() if key in OVERRIDE_FIELDS}
    result = dict(row)
    result.setdefault("lyrics", None)
    result.setdefault("is_explicit", False)
    if not edited:
        return result
    for key in ("title", "album", "track_number", "disc_number", "year", "lyrics"):
        if key in edited:
            result[key] = edited[key]
    if "is_explicit" in edited:
        result["is_explicit"] = bool(edited["is_explicit"])
    if "artists" in edited:
        names = [str(name) for name in edited["artists"] or []]
        credit = split_credit(None, names, keep_whole=keep_whole)
        result["artist"] = ARTISTS_JOINER.join(credit.main)[:1024] or None
        result["artist_names"] = list(credit.main)
        result["featured_artist_names"] = []
    album_main: Sequence[str] = result.get("album_artist_names") or ()
    if "album_artist" in edited:
        album_credit = split_credit(edited["album_artist"], keep_whole=keep_whole)
        result["album_artist"] = edited["album_artist"]
        result["album_artist_names"] = list(album_credit.names)
        album_main = album_credit.main
    if "genre" in edited:
        genre = edited["genre"]
        result["genre"] = genre
        result["genres"] = [genre] if genre else []
    if edited.keys() & _GROUP_FIELDS:
        result["album_group"] = album_group(
            album=result["album"],
            album_artist_names=album_main,
            artist_names=result["artist_names"],
            is_compilation=result["is_compilation"],
            # A person who renames the album or its artist means another album than the
            # release the file's MusicBrainz id names.
            musicbrainz_album_id=None
            if edited.keys() & {"album", "album_artist"}
            else result["musicbrainz_album_id"],
        )
    title, artist = result["title"], result["artist"]
    album, album_artist = result["album"], result["album_artist"]
    result["search_text"] = search_document(title, artist, album, album_artist)
    result["sort_library"] = library_sort_key(
        artist=album_artist or artist,
        album=album,
        disc_number=result["disc_number"],
        track_number=result["track_number"],
        title=title,
    )
    result["sort_title"] = sort_text(title)
    return result
