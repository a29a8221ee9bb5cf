"""Where a track's file comes from, and so under which root it lives."""

from __future__ import annotations

import enum


class TrackOrigin(enum.StrEnum):
    """``tracks.origin``: scanned from the media root, or uploaded into the uploads root."""

    LIBRARY = "library"
    UPLOAD = "upload"
