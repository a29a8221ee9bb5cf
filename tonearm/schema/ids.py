"""The one global ID format: ``base64("Track:<uuid>")`` (Relay), parsed strictly."""

from __future__ import annotations

import uuid

from strawberry.relay import GlobalID, GlobalIDValueError

TRACK_TYPE_NAME = "Track"


class InvalidGlobalId(ValueError):
    """Not the canonical global ID of a track."""


def track_global_id(track_id: uuid.UUID) -> str:
    """The global ID of a track."""
    return str(GlobalID(TRACK_TYPE_NAME, str(track_id)))


def parse_track_id(value: str) -> uuid.UUID:
    """The UUID inside a track's global ID; ``InvalidGlobalId`` for anything else.

    Only the exact encoding ``track_global_id`` produces is accepted, so one track never
    has two spellings (base64 decoding alone would skip stray characters).
    """
    try:
        global_id = GlobalID.from_id(value)
        track_id = uuid.UUID(global_id.node_id)
    except (GlobalIDValueError, ValueError, TypeError):
        raise InvalidGlobalId(value) from None
    if global_id.type_name != TRACK_TYPE_NAME or track_global_id(track_id) != value:
        raise InvalidGlobalId(value)
    return track_id
