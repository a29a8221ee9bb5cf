"""Writing the registry: the scanner's persistence operations on the tracks table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import TrackRecord, utcnow

# Columns a rescan may change; the id and created_at of a known path never change.
_IMMUTABLE = frozenset({"row_id", "id", "path", "created_at"})


@dataclass(frozen=True, slots=True)
class KnownFile:
    """What the registry remembers of a file, enough to tell whether it changed."""

    size_bytes: int
    mtime_ns: int


async def load_known_files(session: AsyncSession) -> dict[str, KnownFile]:
    """Path → size and mtime for every registered track (no tags: this stays small)."""
    result = await session.stream(
        select(TrackRecord.path, TrackRecord.size_bytes, TrackRecord.mtime_ns).execution_options(
            yield_per=5000
        )
    )
    return {path: KnownFile(size, mtime) async for path, size, mtime in result}


async def upsert_tracks(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new paths and update known ones, keeping each path's id and created_at."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    values = [{**row, "created_at": now, "updated_at": now} for row in rows]
    statement = insert(TrackRecord).values(values)
    updated = {
        column.name: statement.excluded[column.name]
        for column in TrackRecord.__table__.columns
        if column.name not in _IMMUTABLE
    }
    await session.execute(statement.on_conflict_do_update(index_elements=["path"], set_=updated))


async def delete_paths(session: AsyncSession, paths: Iterable[str], batch: int = 500) -> int:
    """Remove the tracks at these paths; returns how many rows went."""
    pending = list(paths)
    removed = 0
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        result = await session.execute(delete(TrackRecord).where(TrackRecord.path.in_(chunk)))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
