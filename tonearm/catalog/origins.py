"""Where a track's file comes from, and so under which root it lives."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class TrackOrigin(enum.StrEnum):
    """``tracks.origin``: scanned from the media root, or uploaded into the uploads root."""

    LIBRARY = "library"
    UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class FileRoots:
    """The one mapping from a track's origin to the (resolved) root its stored path is under.

    Streams, the variant maker and the cover phase all locate a track's file through it.
    ``uploads`` is None where no uploads root is known (e.g. a scan run without one): an
    upload's file then has no root, and ``root_for`` says so with ``None``.
    """

    library: Path
    uploads: Path | None = None

    def root_for(self, origin: str) -> Path | None:
        """The root of a track of ``origin`` (a ``tracks.origin`` value)."""
        if origin == TrackOrigin.UPLOAD:
            return self.uploads
        return self.library
