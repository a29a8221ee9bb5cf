"""What a scan learns from one audio file: the probe's answer, the scanner's input."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tonearm.catalog.formats import AudioFormat


class PictureKind(Enum):
    """The best embedded picture a file carries: a front cover, or some other picture."""

    FRONT = "front"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class EmbeddedPicture:
    """A picture embedded in an audio file, as stored there (not decoded, not checked).

    ``mime_type`` is what the bytes start like (JPEG, PNG, GIF, WebP), else what the tag
    declares; the artwork step decodes and verifies it.
    """

    data: bytes
    mime_type: str
    kind: PictureKind


@dataclass(frozen=True, slots=True)
class TrackFacts:
    """Tags and stream facts of one file, cleaned (no NULs, bounded lengths).

    ``artist`` and ``album_artist`` are the credits as tagged, for display. ``artists`` and
    ``album_artists`` hold names only when the file carries a multi-valued tag (``ARTISTS``,
    ``ALBUMARTISTS``, an ID3v2.4 multi-value ``TPE1``/``TPE2``, repeated Vorbis ``ARTIST``);
    when they are empty the scanner splits the credit (``catalog.artists``).
    """

    format: AudioFormat
    mime_type: str
    title: str
    artist: str | None
    album: str | None
    album_artist: str | None
    track_number: int | None
    disc_number: int | None
    year: int | None
    genre: str | None
    duration_seconds: float
    bitrate: int | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None = None
    artists: tuple[str, ...] = ()
    album_artists: tuple[str, ...] = ()
    composers: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    disc_subtitle: str | None = None
    is_compilation: bool = False
    musicbrainz_album_id: str | None = None
    musicbrainz_track_id: str | None = None
    picture: PictureKind | None = None
