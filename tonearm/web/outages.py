"""The database is unreachable: 503 with ``Retry-After``, never a 500 with a trace.

``install_outage_handlers`` registers the handlers FastAPI's exception middleware runs for
every route (GraphQL's context, the tus routes, artwork): an error that
``db.outages.database_unavailable`` recognizes becomes ``unavailable_response`` — for
GraphQL a ``SERVICE_UNAVAILABLE`` error in GraphQL's shape — and one warning line in the
log; anything else goes on to be the 500 it was. The stream route, which bypasses that
middleware (``streaming.routes.StreamLane``), answers with the same response itself.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from tonearm.db.outages import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    database_unavailable,
    describe_outage,
)

logger = logging.getLogger(__name__)
UNAVAILABLE_CODE = "database_unavailable"
GRAPHQL_CODE = "SERVICE_UNAVAILABLE"
_HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def unavailable_response() -> Response:
    """503 ``{"error": "database_unavailable"}`` with ``Retry-After``."""
    body = json.dumps({"error": UNAVAILABLE_CODE}, separators=(",", ":"))
    return Response(body, status_code=503, media_type="application/json", headers=_HEADERS)


def graphql_unavailable_response(media_type: str = "application/json") -> Response:
    """503 with a GraphQL body: one ``SERVICE_UNAVAILABLE`` error, and ``Retry-After``."""
    error = {"message": UNAVAILABLE_MESSAGE, "extensions": {"code": GRAPHQL_CODE}}
    body = json.dumps({"errors": [error]})
    return Response(body, status_code=503, media_type=media_type, headers=_HEADERS)


def log_outage(where: str, error: BaseException) -> None:
    """One line, no traceback, no SQL: the database is down, which the operator sees."""
    logger.warning("%s: database unavailable (%s)", where, describe_outage(error))


def install_outage_handlers(app: FastAPI, *, graphql_path: str) -> None:
    """Answer database outages under every route with 503 instead of 500."""

    async def handle(request: Request, error: Exception) -> Response:
        if not database_unavailable(error):
            raise error
        log_outage(f"{request.method} {request.url.path}", error)
        if request.url.path == graphql_path:
            return graphql_unavailable_response()
        return unavailable_response()

    app.add_exception_handler(SQLAlchemyError, handle)
    app.add_exception_handler(OSError, handle)


__all__ = [
    "GRAPHQL_CODE",
    "UNAVAILABLE_CODE",
    "graphql_unavailable_response",
    "install_outage_handlers",
    "log_outage",
    "unavailable_response",
]
