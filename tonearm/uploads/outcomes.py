"""What becomes of one upload: the pipeline's outcomes and refusals, as plain values.

Standard library only, so the GraphQL types can name them without loading the scanner
(``uploads.pipeline`` re-exports them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Uploaded:
    """The file is a new track."""

    track_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class NotAudio:
    """The file is not audio of an accepted type."""

    reason: str


@dataclass(frozen=True, slots=True)
class Corrupt:
    """The file is empty, or audio that cannot be read (truncated, broken)."""

    reason: str


@dataclass(frozen=True, slots=True)
class TooLarge:
    """The file is larger than ``TONEARM_MAX_UPLOAD_BYTES``."""

    limit: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The same bytes are already a track the user can see."""

    track_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class QuotaExceeded:
    """Storing the file would take the user past their quota."""

    used: int
    limit: int


UploadOutcome = Uploaded | NotAudio | Corrupt | TooLarge | Duplicate | QuotaExceeded


class UploadNotAllowed(Exception):
    """The viewer may not upload (no permission, a disabled account, or no account at all)."""


class AlbumNotFound(Exception):
    """The album to upload into does not exist or the viewer may not add tracks to it."""
