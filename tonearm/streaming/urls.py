"""The one place that knows the shape of a stream URL (minting and serving both import it)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

STREAM_PATH = "/api/tracks/{track_id}/stream"
TOKEN_PARAM = "token"  # noqa: S105 - the parameter name


def stream_url(track_id: uuid.UUID, token: str) -> str:
    """The server-relative URL that streams ``track_id`` with ``token``."""
    path = STREAM_PATH.format(track_id=track_id)
    return f"{path}?{TOKEN_PARAM}={quote(token, safe='')}"


def track_id_from_path(raw: str) -> uuid.UUID | None:
    """The track id of a stream URL's path segment; None for anything but a UUID."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
