"""Every refusal of the stream route, and the one place that turns it into an HTTP response.

Bodies are short JSON codes; nothing here ever echoes the token, the stored path or the
absolute path of a file.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from tonearm.storage.base import UNAVAILABLE_RETRY_AFTER
from tonearm.streaming.tokens import (
    StreamTokenError,
    StreamTokenExpired,
    StreamTokenInvalid,
    StreamTokenWrongTrack,
)


class StreamRefused(Exception):
    """Base class: the stream route will not serve this request."""


class MissingToken(StreamRefused):
    """The request carries no ``token`` query parameter."""


class TrackNotFound(StreamRefused):
    """No streamable file for this id: malformed id, unknown track, or a file we refuse."""


class TrackFileMissing(TrackNotFound):
    """The registered file is gone (or changed under us) since the scan."""


class ListenerRefused(StreamRefused):
    """The token's user is disabled or deleted, or it carries no user while accounts are on."""


class TrackFileRefused(TrackNotFound):
    """The stored path resolves outside the media root or to something not a regular file."""


class ShareRefused(TrackNotFound):
    """A share's token whose share no longer grants this track (revoked, expired, owner
    disabled, target gone, another version): 404, like a track that is not there."""


class SessionRefused(TrackNotFound):
    """A listening session's token whose session no longer grants this track (ended, the
    member left or was removed, the track left the queue, another version): 404."""


class StorageDown(StreamRefused):
    """Remote storage (``TONEARM_STORAGE=s3``) cannot answer now: down, slow or refusing us.
    A 503 with ``Retry-After``; nothing of the cause reaches the client."""


class PreconditionFailed(StreamRefused):
    """``If-Match`` or ``If-Unmodified-Since`` does not hold for the file (RFC 9110 §13)."""


# A refused file answers 404 like an unknown id (not 403): a stranger holding a valid token
# learns nothing about what lies on disk, and "forbidden" would wrongly suggest that another
# credential could open it.
_RESPONSES: dict[type[Exception], tuple[int, str]] = {
    MissingToken: (401, "missing_token"),
    StreamTokenExpired: (403, "expired_token"),
    StreamTokenInvalid: (403, "invalid_token"),
    # A token for another track is as useless here as a forged one; say nothing more.
    StreamTokenWrongTrack: (403, "invalid_token"),
    TrackNotFound: (404, "not_found"),
    # The player re-mints on a 403; for a disabled user that fails and it shows the login.
    ListenerRefused: (403, "invalid_token"),
    PreconditionFailed: (412, "precondition_failed"),
    StorageDown: (503, "storage_unavailable"),
}

# RFC 9110 §15.5.2: a 401 must name a scheme. Browsers do not prompt for this one.
_CHALLENGE = {"WWW-Authenticate": 'StreamToken realm="tonearm"'}


def error_response(exc: StreamRefused | StreamTokenError) -> Response:
    """The response for a refusal: its status and a ``{"error": code}`` body, never cached."""
    for cls in type(exc).__mro__:
        if cls in _RESPONSES:
            status, code = _RESPONSES[cls]
            break
    else:  # pragma: no cover - every subclass above has an entry
        status, code = 403, "invalid_token"
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers.update(_CHALLENGE)
    elif status == 503:
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return JSONResponse({"error": code}, status_code=status, headers=headers)
