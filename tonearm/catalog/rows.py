"""The one builder of a ``tracks`` row from a file's tags, shared by the scanner and tests.

Search and sort keys are derived here, so every writer stores them the same way and queries
(which fold their input with the same ``catalog.text`` functions) match what was stored.
"""

from __future__ import annotations

from typing import Any

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
) -> dict[str, Any]:
    """Column values for one track, with ``search_text`` and the ``sort_*`` keys computed."""
    return {
        "path": path,
        "title": title,
        "artist": artist,
        "album": album,
        "album_artist": album_artist,
        "track_number": track_number,
        "disc_number": disc_number,
        "year": year,
        "genre": genre,
        "duration_seconds": duration_seconds,
        "bitrate": bitrate,
        "sample_rate": sample_rate,
        "channels": channels,
        "size_bytes": size_bytes,
        "mtime_ns": mtime_ns,
        "mime_type": mime_type,
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
