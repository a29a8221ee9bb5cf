"""The baseline for ``benchmarks/graphql_api.py``: the same 100 rows as plain FastAPI JSON.

It authenticates the same bearer token the same way (one lookup), so the comparison
measures GraphQL's overhead, not the cost of accounts.
Same database, same driver, same query shape (one keyset-ordered SELECT) and the same
fields as the GraphQL page, serialized by FastAPI's ``JSONResponse``; no GraphQL.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from tonearm.accounts.viewer import resolve_viewer
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.web.credentials import bearer_token

FIELDS = [
    "id",
    "title",
    "artist",
    "album",
    "album_artist",
    "track_number",
    "disc_number",
    "year",
    "genre",
    "duration_seconds",
    "bitrate",
    "sample_rate",
    "channels",
    "size_bytes",
    "mime_type",
    "created_at",
    "updated_at",
]


def create_app() -> FastAPI:
    """An app with ``GET /tracks`` returning the first 100 tracks in library order."""
    engine = create_engine(os.environ["TONEARM_DATABASE_URL"])
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    columns = [getattr(TrackRecord, name) for name in FIELDS]

    sessions = create_session_factory(engine)

    @app.get("/tracks")
    async def tracks(request: Request) -> JSONResponse:
        async with sessions() as session:
            viewer = await resolve_viewer(session, bearer=bearer_token(request), cookie=None)
            await session.commit()
        if viewer is None:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        statement = select(*columns).order_by(TrackRecord.sort_library, TrackRecord.id).limit(100)
        async with engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        items: list[dict[str, Any]] = [
            {
                **row._asdict(),
                "id": str(row.id),
                "created_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
            }
            for row in rows
        ]
        return JSONResponse({"tracks": items})

    return app
