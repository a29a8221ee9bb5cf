"""``GET /healthz``: is the database reachable, and how many tracks does it hold."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from tonearm.catalog.access import ANONYMOUS
from tonearm.catalog.queries import count_tracks
from tonearm.db.outages import database_unavailable
from tonearm.services import Services
from tonearm.web.outages import log_outage

router = APIRouter()
logger = logging.getLogger(__name__)


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    """200 with the track count when the database answers, 503 otherwise."""
    services: Services = request.app.state.services
    try:
        async with services.sessions() as session:
            tracks = await count_tracks(session, reader=ANONYMOUS, search=None)
    except (SQLAlchemyError, OSError) as error:
        if not database_unavailable(error):
            logger.exception("health check: database unreachable")
        else:
            log_outage("health check", error)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "tracks": tracks})
