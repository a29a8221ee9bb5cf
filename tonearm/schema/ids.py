"""Global IDs: ``base64("<Type>:<uuid>")`` (Relay's format), parsed strictly.

Tracks, albums, artists, users, API tokens and browser sessions all use it; a client reads
an id from a list (``tracks``, ``albums``, ``artists``) and passes it to the matching lookup
(``track``, ``album``, ``artist``), to ``node`` and to ``createStreamUrl``.
"""

from __future__ import annotations

import uuid

from strawberry.relay import GlobalID, GlobalIDValueError

from tonearm.schema.errors import ErrorCode, api_error

TRACK_TYPE_NAME = "Track"
ALBUM_TYPE_NAME = "Album"
ARTIST_TYPE_NAME = "Artist"
USER_TYPE_NAME = "User"
API_TOKEN_TYPE_NAME = "ApiToken"  # noqa: S105 - a type name
SESSION_TYPE_NAME = "BrowserSession"
PLAYLIST_TYPE_NAME = "Playlist"
PLAYLIST_ITEM_TYPE_NAME = "PlaylistItem"
COMMENT_TYPE_NAME = "Comment"
PLAY_TYPE_NAME = "Play"
SHARE_TYPE_NAME = "Share"


class InvalidGlobalId(ValueError):
    """Not the canonical global ID of an object of the expected type."""


def global_id(type_name: str, object_id: uuid.UUID) -> str:
    """The global ID of an object."""
    return str(GlobalID(type_name, str(object_id)))


def track_global_id(track_id: uuid.UUID) -> str:
    """The global ID of a track."""
    return global_id(TRACK_TYPE_NAME, track_id)


def parse_global_id(value: str, type_name: str) -> uuid.UUID:
    """The UUID inside a ``type_name`` global ID; ``InvalidGlobalId`` for anything else.

    Only the exact encoding ``global_id`` produces is accepted, so one object never has two
    spellings (base64 decoding alone would skip stray characters).
    """
    return parse_any_global_id(value, (type_name,))[1]


def parse_any_global_id(value: str, type_names: tuple[str, ...]) -> tuple[str, uuid.UUID]:
    """The type name and UUID of a global ID of one of ``type_names`` (strict, as above)."""
    try:
        parsed = GlobalID.from_id(value)
        object_id = uuid.UUID(parsed.node_id)
    except (GlobalIDValueError, ValueError, TypeError):
        raise InvalidGlobalId(value) from None
    type_name = parsed.type_name
    if type_name not in type_names or global_id(type_name, object_id) != value:
        raise InvalidGlobalId(value)
    return type_name, object_id


def id_argument(value: str, type_name: str, what: str) -> uuid.UUID:
    """The UUID of an ID argument of ``type_name``; the API's ``INVALID_ID`` error otherwise.

    ``what`` names the object for people: "Not a valid {what} ID."
    """
    try:
        return parse_global_id(value, type_name)
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, f"Not a valid {what} ID.") from None


def play_global_id(play_id: int) -> str:
    """The global ID of a play (its row id: plays are numbered, not UUIDs)."""
    return str(GlobalID(PLAY_TYPE_NAME, str(play_id)))
