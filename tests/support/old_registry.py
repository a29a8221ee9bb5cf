"""The tracks table as earlier revisions had it, for migration tests that start from them.

Rows are built with today's row builder (``catalog.rows.track_row``) and cut down to the
columns the old revision had, so an old registry holds what its scanner would have stored.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.catalog.rows import track_row
from tonearm.db.models import TrackRecord, utcnow
from tonearm.library.probe import probe_file

# Columns migration 0005 (albums and artists) added to ``tracks``.
COLUMNS_OF_0005 = frozenset(
    {
        "format",
        "bit_depth",
        "disc_subtitle",
        "composer",
        "genres",
        "is_compilation",
        "musicbrainz_album_id",
        "musicbrainz_track_id",
        "artist_names",
        "featured_artist_names",
        "album_artist_names",
        "album_group",
        "album_id",
        "picture",
    }
)


def tracks_table(*, text_paths: bool) -> sa.Table:
    """``tracks`` before 0005; before 0004 too when ``text_paths`` (paths were text)."""
    columns = [
        sa.Column(c.name, sa.String() if text_paths and c.name == "path" else c.type)
        for c in TrackRecord.__table__.columns
        if c.name not in COLUMNS_OF_0005
    ]
    return sa.Table("tracks", sa.MetaData(), *columns)


def track_rows(root: Path, paths: Iterable[str]) -> list[dict[str, Any]]:
    """What a scanner before 0005 stored for each file below ``root``."""
    rows = []
    for rel in paths:
        info = (root / rel).stat()
        facts = dataclasses.asdict(probe_file(root / rel, rel))
        row = track_row(path=rel, size_bytes=info.st_size, mtime_ns=info.st_mtime_ns, **facts)
        row = {name: value for name, value in row.items() if name not in COLUMNS_OF_0005}
        rows.append({**row, "id": uuid.uuid4(), "created_at": utcnow(), "updated_at": utcnow()})
    return rows


async def raw_tracks(engine: AsyncEngine) -> dict[int, tuple[uuid.UUID, Any]]:
    """row_id → (id, the path exactly as the database returns it), read without the models."""
    async with engine.connect() as connection:
        result = await connection.execute(sa.text("SELECT row_id, id, path FROM tracks"))
        return {
            row_id: (track_id if isinstance(track_id, uuid.UUID) else uuid.UUID(track_id), path)
            for row_id, track_id, path in result
        }
