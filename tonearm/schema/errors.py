"""GraphQL error codes (``extensions.code``) and the errors resolvers raise.

Expected failures are ``GraphQLError``s carrying a code from ``ErrorCode``; anything else
that escapes a resolver is logged (``TonearmSchema.process_errors`` in ``schema/build.py``)
and masked by ``apply_error_policy`` (``schema/extensions.py``).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from graphql import GraphQLError

logger = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    """The values of ``extensions.code`` the API promises (docs/API-CONTRACT.md)."""

    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_ID = "INVALID_ID"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CSRF_REJECTED = "CSRF_REJECTED"
    STORAGE_FULL = "STORAGE_FULL"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    SESSION_ENDED = "SESSION_ENDED"
    # The database cannot be reached right now (a restart, cut connections): try again.
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


INTERNAL_ERROR_MESSAGE = "Internal server error"


def api_error(code: ErrorCode, message: str) -> GraphQLError:
    """An expected error with its code, for a resolver to raise."""
    return GraphQLError(message, extensions={"code": code.value})


def storage_unavailable(reason: Exception, message: str, **extensions: Any) -> GraphQLError:
    """The client's ``STORAGE_UNAVAILABLE`` error; the operator's log gets the reason.

    The client learns only that storage cannot be reached; why (bucket missing, refused,
    endpoint down) is for the log, which is where an operator looks first.
    """
    logger.warning("storage unavailable: %s", reason)
    return GraphQLError(
        message, extensions={"code": ErrorCode.STORAGE_UNAVAILABLE.value, **extensions}
    )


def error_code(error: GraphQLError) -> str | None:
    """The code an error already carries, if any."""
    extensions = error.extensions or {}
    code = extensions.get("code")
    return code if isinstance(code, str) else None
