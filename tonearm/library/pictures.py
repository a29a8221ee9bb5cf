"""The best picture embedded in an audio file, for the artwork step (one file at a time).

The scan's probe only notes what kind of picture a file carries (``TrackFacts.picture``);
this reads the picture's bytes when the artwork step wants them. A front cover wins over any
other picture; pictures larger than ``max_bytes`` are never returned.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tonearm.library.facts import EmbeddedPicture, PictureKind
from tonearm.library.probe import read_audio

__all__ = ["EmbeddedPicture", "embedded_picture"]

logger = logging.getLogger(__name__)


def embedded_picture(path: Path, *, max_bytes: int) -> EmbeddedPicture | None:
    """The best embedded picture of at most ``max_bytes``, or ``None``.

    ``None`` also for a file that is missing, unreadable, not accepted audio or broken:
    this never raises. Blocking (it reads the file): call it from a worker thread.
    """
    try:
        with path.open("rb") as handle:
            opened = read_audio(handle)
            family = opened.container.tags
            pictures = family.pictures(opened.audio, opened.layout, handle, max_bytes)
    except Exception as exc:
        logger.debug("no embedded picture read from a file", exc_info=exc)
        return None
    front = next((p for p in pictures if p.kind is PictureKind.FRONT), None)
    return front or (pictures[0] if pictures else None)
