"""Whether a track is there for listeners: the one definition of a track's state.

A track is ``AVAILABLE`` until its file is gone at a rescan (``MISSING``) or someone deletes
it (``TRASHED``). Either way its row stays, and with it everything that refers to it —
likes, plays, comments, playlist entries, shares — hidden by ``catalog.access``'s
predicates until the file comes back, the track is restored, or it is purged.
"""

from __future__ import annotations

import enum


class TrackState(enum.StrEnum):
    """A track's state; the value is what ``tracks.state`` stores."""

    AVAILABLE = "available"
    MISSING = "missing"
    TRASHED = "trashed"


HIDDEN_STATES = (TrackState.MISSING.value, TrackState.TRASHED.value)
# The SQL literal of the available state: the WHERE term of the partial index of the rows
# that are not (``ix_tracks_gone``; ``catalog.access.track_gone``).
GONE_LITERAL = "'available'"
