"""Writing the registry: the scanner's persistence operations on the tracks table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, Text, delete, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import TrackRecord, utcnow

TRACKS = cast(Table, TrackRecord.__table__)

# Columns a rescan's upsert leaves alone: the id and created_at of a known path never
# change, and the album link is the grouping phase's to set (``library/grouping.py``).
_IMMUTABLE = frozenset({"row_id", "id", "path", "created_at", "album_id"})
# Nor what people decided, which no file says: the publication flag and the edits (a
# rescan's row already has the edits applied over the tags, see ``catalog.rows``).
_IMMUTABLE |= {"is_published", "overrides"}
# Nor what listeners did: plays and popularity are ``social``'s.
_IMMUTABLE |= {"play_count", "popularity"}
# Columns only an upload sets: a scanned row keeps their defaults.
_UPLOAD_ONLY = frozenset({"origin", "uploaded_by", "content_hash", "original_name"})
# The scanner sees and changes only what it found in the media root; uploads are not its.
_SCANNED = TrackRecord.origin == "library"
# SQLSTATE classes of a refused value: data exception, integrity constraint violation.
_ROW_SQLSTATE_CLASSES = frozenset({"22", "23"})


@dataclass(frozen=True, slots=True)
class KnownFile:
    """What the registry remembers of a file, enough to tell whether it changed."""

    size_bytes: int
    mtime_ns: int
    album_group: str | None = None


async def load_known_files(session: AsyncSession) -> dict[str, KnownFile]:
    """Path → size, mtime and album group of every registered track (no tags: small)."""
    result = await session.stream(
        select(
            TrackRecord.path,
            TrackRecord.size_bytes,
            TrackRecord.mtime_ns,
            TrackRecord.album_group,
        )
        .where(_SCANNED)
        .execution_options(yield_per=5000)
    )
    # One await per partition, not per row: row-wise iteration of an async result costs a
    # greenlet switch per row, most of a no-change rescan's time.
    known: dict[str, KnownFile] = {}
    async for partition in result.partitions():
        known.update(
            (path, KnownFile(size, mtime, group)) for path, size, mtime, group in partition
        )
    return known


async def upsert_tracks(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Insert new paths and update known ones, keeping each path's id and created_at.

    Returns the paths left alone because an uploaded track holds them (an upload's stored
    path can equal a media file's, a user-id folder): an upload row is never overwritten.
    """
    if not rows:
        return []
    taken = set(
        (
            await session.scalars(
                select(TrackRecord.path).where(
                    TrackRecord.path.in_([row["path"] for row in rows]), ~_SCANNED
                )
            )
        ).all()
    )
    rows = [row for row in rows if row["path"] not in taken]
    if not rows:
        return sorted(taken)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    values = [{**row, "created_at": now, "updated_at": now} for row in rows]
    # One statement executed for many parameter sets: compiled once and cached, where a
    # multi-row VALUES clause would be compiled afresh for every batch.
    statement = insert(TRACKS)
    updated = {
        column.name: statement.excluded[column.name]
        for column in TrackRecord.__table__.columns
        if column.name not in _IMMUTABLE | _UPLOAD_ONLY
    }
    # The WHERE settles a race with an upload committed since the check above: its row stays.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["path"], set_=updated, where=TRACKS.c.origin == "library"
        ),
        values,
    )
    return sorted(taken)


def cast_text(column: Any) -> Any:
    """A JSON column as text (PostgreSQL's ``json`` has no equality operator)."""
    return sql_cast(column, Text)


def is_row_fault(exc: BaseException) -> bool:
    """Whether a failed write is the fault of a value in it, not of the database.

    A value is refused by the driver before it is sent (it cannot be encoded, a number out
    of range) or by the database (SQLSTATE class 22 or 23 on PostgreSQL, which tags even the
    driver's own refusals; ``DataError``/``IntegrityError`` on SQLite). Anything else — a
    lost connection, a locked or read-only database, a wrong schema — is no file's fault.
    """
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate:
            return sqlstate[:2] in _ROW_SQLSTATE_CLASSES
        return isinstance(exc, DataError | IntegrityError)
    if isinstance(exc, StatementError):  # a bind processor failed: look at what it raised
        return exc.orig is not None and is_row_fault(exc.orig)
    return isinstance(exc, ValueError | OverflowError)


async def load_overrides(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Path → the edited fields of every scanned track that has any (few; read in one go)."""
    statement = select(TrackRecord.path, TrackRecord.overrides).where(
        TrackRecord.origin == "library", cast_text(TrackRecord.overrides) != "{}"
    )
    return {path: dict(edits) for path, edits in await session.execute(statement) if edits}


async def delete_paths(session: AsyncSession, paths: Iterable[str], batch: int = 500) -> int:
    """Remove the tracks at these paths; returns how many rows went."""
    pending = list(paths)
    removed = 0
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        result = await session.execute(
            delete(TrackRecord).where(TrackRecord.path.in_(chunk), _SCANNED)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
