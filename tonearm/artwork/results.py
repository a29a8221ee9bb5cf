"""What making artwork from one source gives: an ``Artwork``, or a typed ``ArtworkRefusal``."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Artwork:
    """A source image turned into stored thumbnails (the ``artworks`` row's values)."""

    hash: str  # SHA-256 hex of the source bytes
    width: int  # of the source, as displayed (EXIF orientation applied)
    height: int
    sizes: tuple[int, ...]  # longer-edge lengths made, ascending
    color: str  # "#rrggbb" placeholder


class RefusalReason(enum.StrEnum):
    """Why a source made no artwork; stable codes for the scan summary."""

    TOO_LARGE = "too_large"  # more bytes than the cap
    TOO_MANY_PIXELS = "too_many_pixels"  # over the pixel cap, or a decompression bomb
    NOT_AN_IMAGE = "not_an_image"  # not a JPEG, PNG, WebP or GIF at all
    DAMAGED = "damaged"  # an image that fails to decode: truncated, corrupt
    UNREADABLE = "unreadable"  # the file could not be read
    STORE_FAILED = "store_failed"  # the thumbnails could not be written


@dataclass(frozen=True, slots=True)
class ArtworkRefusal:
    """A source that made no artwork, and a short reason a person can read.

    ``message`` never holds a path: scan summaries leave the server.
    """

    reason: RefusalReason
    message: str

    def __str__(self) -> str:
        return self.message
