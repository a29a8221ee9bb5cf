"""What the session domain refuses with; the GraphQL layer maps each to one error code.

Every not-found reason of one kind of object carries the very same message, so a stranger
learns nothing from it (malformed id, unknown id, not a member, someone else's session).
"""

from __future__ import annotations

import enum


class Missing(enum.StrEnum):
    """The not-found answers, byte-identical for every reason."""

    SESSION = "No such listening session."
    ITEM = "No such queue item."
    REQUEST = "No such request."
    MEMBER = "No such member."
    INVITE = "This invite has expired or was revoked."


class SessionError(Exception):
    """Base class of the domain's refusals; ``message`` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SessionError):
    """Not there for this caller (``NOT_FOUND``)."""

    def __init__(self, what: Missing) -> None:
        super().__init__(what.value)


class Forbidden(SessionError):
    """A member without the right (``FORBIDDEN``); the message says who may."""


class Ended(SessionError):
    """The session has ended (``SESSION_ENDED``)."""

    def __init__(self) -> None:
        super().__init__("This listening session has ended.")


class BadInput(SessionError):
    """Input outside the documented bounds (``BAD_USER_INPUT``)."""


class RateLimited(SessionError):
    """Too many requests (``RATE_LIMITED``); the message says when to retry."""

    def __init__(self, message: str, retry_after_seconds: int | None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
