"""Reads and writes of ``track_variants``: the registry's truth about transcoded variants.

States: ``pending`` (asked for, being made or queued), ``ready`` (verified and in the
store), ``failed`` (with a reason, until an admin retries). A variant is identified by
``(track id, format, bitrate)``: ``catalog.variants.VariantKey`` satisfies ``VariantName``
(``db`` knows no domain types; the format is the stored ``AudioFormat`` value).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Table, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tonearm.db.models import TrackRecord, VariantRecord, utcnow

VARIANTS = cast(Table, VariantRecord.__table__)

VariantState = Literal["pending", "ready", "failed"]
PENDING: VariantState = "pending"
READY: VariantState = "ready"
FAILED: VariantState = "failed"
MAX_REASON = 1000


class VariantName(Protocol):
    """What names a variant in the registry: the stored format value and the bitrate."""

    @property
    def format_value(self) -> str:
        """The ``AudioFormat`` value, e.g. ``opus``."""
        ...

    @property
    def bitrate_kbps(self) -> int:
        """The bitrate in kbps."""
        ...

    @property
    def container(self) -> str:
        """The container (and file extension), e.g. ``ogg``."""
        ...


@dataclass(frozen=True, slots=True)
class VariantRow:
    """One ``track_variants`` row as the rest of tonearm sees it."""

    id: int
    track_id: uuid.UUID
    format: str
    bitrate_kbps: int
    container: str
    state: VariantState
    failure_reason: str | None
    attempts: int
    size_bytes: int | None
    duration_seconds: float | None
    content_hash: str | None
    source_size_bytes: int | None
    source_mtime_ns: int | None
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The original file a variant is made from, as the registry knows it."""

    track_id: uuid.UUID
    path: str
    format: str
    bitrate: int | None
    mime_type: str
    duration_seconds: float
    sample_rate: int | None
    channels: int | None
    size_bytes: int
    mtime_ns: int
    origin: str = "library"  # which root ``path`` is under (``catalog.origins.FileRoots``)
    storage_key: str | None = None  # set: the original is this object in remote storage


def _row(mapping: Any) -> VariantRow:
    return VariantRow(
        id=mapping.id,
        track_id=mapping.track_id,
        format=mapping.format,
        bitrate_kbps=mapping.bitrate_kbps,
        container=mapping.container,
        state=mapping.state,
        failure_reason=mapping.failure_reason,
        attempts=mapping.attempts,
        size_bytes=mapping.size_bytes,
        duration_seconds=mapping.duration_seconds,
        content_hash=mapping.content_hash,
        source_size_bytes=mapping.source_size_bytes,
        source_mtime_ns=mapping.source_mtime_ns,
        created_at=mapping.created_at,
        updated_at=mapping.updated_at,
        last_used_at=mapping.last_used_at,
    )


def _is(track_id: uuid.UUID, key: VariantName) -> Any:
    return and_(
        VariantRecord.track_id == track_id,
        VariantRecord.format == key.format_value,
        VariantRecord.bitrate_kbps == key.bitrate_kbps,
    )


async def source_file(engine: AsyncEngine, track_id: uuid.UUID) -> SourceFile | None:
    """The registered original of ``track_id``, or None when no track has this id."""
    found = await source_files(engine, [track_id])
    return found[0] if found else None


async def get_variant(
    engine: AsyncEngine, track_id: uuid.UUID, key: VariantName
) -> VariantRow | None:
    """The row of one variant, or None when it was never asked for."""
    async with engine.connect() as connection:
        row = (await connection.execute(select(VARIANTS).where(_is(track_id, key)))).first()
    return _row(row) if row is not None else None


async def variants_of_tracks(
    connection: AsyncConnection, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[VariantRow]]:
    """Every variant row of each track (one query; tracks without rows are absent)."""
    found: dict[uuid.UUID, list[VariantRow]] = {}
    if not track_ids:
        return found
    rows = await connection.execute(select(VARIANTS).where(VariantRecord.track_id.in_(track_ids)))
    for row in rows:
        found.setdefault(row.track_id, []).append(_row(row))
    return found


def _insert(engine: AsyncEngine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


async def claim_pending(
    engine: AsyncEngine, source: SourceFile, key: VariantName, *, retry_failed: bool = False
) -> bool:
    """Record that ``key`` of ``source`` is being made; True when this call changed anything.

    A new variant, one made from a different version of the source (size or mtime), and
    (with ``retry_failed``) a failed one become ``pending``. A ready variant of the same
    source, one already pending, or a failure not retried stay as they are.
    """
    now = utcnow()
    values = {
        "track_id": source.track_id,
        "format": key.format_value,
        "container": key.container,
        "bitrate_kbps": key.bitrate_kbps,
        "state": PENDING,
        "attempts": 0,
        "source_size_bytes": source.size_bytes,
        "source_mtime_ns": source.mtime_ns,
        "created_at": now,
        "updated_at": now,
    }
    stale = or_(
        VariantRecord.source_size_bytes.is_distinct_from(source.size_bytes),
        VariantRecord.source_mtime_ns.is_distinct_from(source.mtime_ns),
    )
    when = stale & (VariantRecord.state != PENDING)
    if retry_failed:
        when = when | (VariantRecord.state == FAILED)
    statement = _insert(engine)(VARIANTS).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["track_id", "format", "bitrate_kbps"],
        set_={
            "state": PENDING,
            "failure_reason": None,
            "attempts": 0,
            "source_size_bytes": source.size_bytes,
            "source_mtime_ns": source.mtime_ns,
            "updated_at": now,
        },
        where=when,
    )
    async with engine.begin() as connection:
        result = await connection.execute(statement)
    return bool(result.rowcount)


async def note_attempt(engine: AsyncEngine, track_id: uuid.UUID, key: VariantName) -> None:
    """Count one more encode attempt of a pending variant."""
    async with engine.begin() as connection:
        await connection.execute(
            update(VARIANTS)
            .where(_is(track_id, key))
            .values(attempts=VariantRecord.attempts + 1, updated_at=utcnow())
        )


async def mark_ready(
    engine: AsyncEngine,
    source: SourceFile,
    key: VariantName,
    *,
    size_bytes: int,
    duration_seconds: float,
    content_hash: str,
) -> None:
    """Record a verified variant that is now in the store."""
    now = utcnow()
    values = {
        "track_id": source.track_id,
        "format": key.format_value,
        "container": key.container,
        "bitrate_kbps": key.bitrate_kbps,
        "state": READY,
        "failure_reason": None,
        "attempts": 1,
        "size_bytes": size_bytes,
        "duration_seconds": duration_seconds,
        "content_hash": content_hash,
        "source_size_bytes": source.size_bytes,
        "source_mtime_ns": source.mtime_ns,
        "created_at": now,
        "updated_at": now,
        "last_used_at": now,
    }
    kept = ("track_id", "format", "bitrate_kbps", "created_at", "attempts")
    statement = _insert(engine)(VARIANTS).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["track_id", "format", "bitrate_kbps"],
        set_={name: value for name, value in values.items() if name not in kept},
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


async def mark_failed(
    engine: AsyncEngine, source: SourceFile, key: VariantName, reason: str
) -> None:
    """Record that making the variant failed, and why (kept until someone retries)."""
    now = utcnow()
    reason = reason[:MAX_REASON]
    values = {
        "track_id": source.track_id,
        "format": key.format_value,
        "container": key.container,
        "bitrate_kbps": key.bitrate_kbps,
        "state": FAILED,
        "failure_reason": reason,
        "attempts": 1,
        "source_size_bytes": source.size_bytes,
        "source_mtime_ns": source.mtime_ns,
        "created_at": now,
        "updated_at": now,
    }
    statement = _insert(engine)(VARIANTS).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["track_id", "format", "bitrate_kbps"],
        set_={
            "state": FAILED,
            "failure_reason": reason,
            "size_bytes": None,
            "duration_seconds": None,
            "content_hash": None,
            "updated_at": now,
        },
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


async def correct_duration(engine: AsyncEngine, track_id: uuid.UUID, seconds: float) -> None:
    """Set a track's duration to what decoding its audio measured (its tags were wrong)."""
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord).where(TrackRecord.id == track_id).values(duration_seconds=seconds)
        )


async def forget_variant(engine: AsyncEngine, track_id: uuid.UUID, key: VariantName) -> None:
    """Drop a variant's row (its file is gone or was evicted): it is "not made" again."""
    async with engine.begin() as connection:
        await connection.execute(delete(VARIANTS).where(_is(track_id, key)))


async def touch_used(
    engine: AsyncEngine, variants: Iterable[tuple[uuid.UUID, VariantName]]
) -> None:
    """Record that these variants were just served (the store evicts least recently used)."""
    pairs = [(track_id, key.format_value, key.bitrate_kbps) for track_id, key in variants]
    if not pairs:
        return
    columns = tuple_(VariantRecord.track_id, VariantRecord.format, VariantRecord.bitrate_kbps)
    async with engine.begin() as connection:
        await connection.execute(
            update(VARIANTS).where(columns.in_(pairs)).values(last_used_at=utcnow())
        )


async def ready_bytes(engine: AsyncEngine) -> int:
    """The total size of every ready variant: what the store holds."""
    statement = select(func.coalesce(func.sum(VariantRecord.size_bytes), 0)).where(
        VariantRecord.state == READY
    )
    async with engine.connect() as connection:
        return int(await connection.scalar(statement) or 0)


async def least_recently_used(engine: AsyncEngine, *, limit: int) -> list[VariantRow]:
    """Ready variants, least recently served first: what to evict when the store is full."""
    used = func.coalesce(VariantRecord.last_used_at, VariantRecord.updated_at)
    statement = (
        select(VARIANTS)
        .where(VariantRecord.state == READY)
        .order_by(used, VariantRecord.id)
        .limit(limit)
    )
    async with engine.connect() as connection:
        return [_row(row) for row in await connection.execute(statement)]


@dataclass(frozen=True, slots=True)
class StateCounts:
    """How many variants are in each state."""

    pending: int
    ready: int
    failed: int


async def state_counts(engine: AsyncEngine) -> StateCounts:
    """Counts of pending, ready and failed variants."""
    statement = select(VariantRecord.state, func.count()).group_by(VariantRecord.state)
    async with engine.connect() as connection:
        counts: dict[str, int] = {row[0]: row[1] for row in await connection.execute(statement)}
    return StateCounts(
        pending=counts.get(PENDING, 0), ready=counts.get(READY, 0), failed=counts.get(FAILED, 0)
    )


async def variants_in_state(
    engine: AsyncEngine,
    state: VariantState,
    *,
    limit: int,
    updated_before: datetime | None = None,
) -> list[VariantRow]:
    """Variants in ``state``, most recently changed first (``updated_before``: older only)."""
    statement = select(VARIANTS).where(VariantRecord.state == state)
    if updated_before is not None:
        statement = statement.where(VariantRecord.updated_at < updated_before)
    statement = statement.order_by(VariantRecord.updated_at.desc(), VariantRecord.id.desc())
    async with engine.connect() as connection:
        return [_row(row) for row in await connection.execute(statement.limit(limit))]


def stale_after(seconds: float) -> datetime:
    """The moment before which a pending row's update counts as abandoned."""
    return utcnow() - timedelta(seconds=seconds)


async def mark_retrying(
    engine: AsyncEngine, track_id: uuid.UUID, key: VariantName, reason: str
) -> None:
    """A failed attempt will be tried again: the row is ``pending`` again, its reason kept.

    Only a ``failed`` row changes, so an admin never sees a variant that is still being
    retried as failed; the reason says what the last attempt ran into.
    """
    async with engine.begin() as connection:
        await connection.execute(
            update(VARIANTS)
            .where(_is(track_id, key), VariantRecord.state == FAILED)
            .values(state=PENDING, failure_reason=reason[:MAX_REASON], updated_at=utcnow())
        )


_SOURCE_COLUMNS = (
    TrackRecord.id,
    TrackRecord.path,
    TrackRecord.format,
    TrackRecord.bitrate,
    TrackRecord.mime_type,
    TrackRecord.duration_seconds,
    TrackRecord.sample_rate,
    TrackRecord.channels,
    TrackRecord.size_bytes,
    TrackRecord.mtime_ns,
    TrackRecord.origin,
    TrackRecord.storage_key,
)
_IN_CHUNK = 500


def _source(row: Any) -> SourceFile:
    return SourceFile(
        track_id=row.id,
        path=row.path,
        format=row.format,
        bitrate=row.bitrate,
        mime_type=row.mime_type,
        duration_seconds=row.duration_seconds,
        sample_rate=row.sample_rate,
        channels=row.channels,
        size_bytes=row.size_bytes,
        mtime_ns=row.mtime_ns,
        origin=row.origin,
        storage_key=row.storage_key,
    )


async def source_files(
    engine: AsyncEngine, track_ids: Sequence[uuid.UUID] | None = None
) -> list[SourceFile]:
    """The originals of ``track_ids`` (None: of every track), in id order; unknown ids absent."""
    statement = select(*_SOURCE_COLUMNS).order_by(TrackRecord.id)
    async with engine.connect() as connection:
        if track_ids is None:
            return [_source(row) for row in await connection.execute(statement)]
        found: list[SourceFile] = []
        for start in range(0, len(track_ids), _IN_CHUNK):
            chunk = track_ids[start : start + _IN_CHUNK]
            rows = await connection.execute(statement.where(TrackRecord.id.in_(chunk)))
            found += [_source(row) for row in rows]
    return found


async def track_ids_at(engine: AsyncEngine, paths: Sequence[str]) -> list[uuid.UUID]:
    """The ids of the tracks registered at these relative paths (unknown paths absent)."""
    found: list[uuid.UUID] = []
    async with engine.connect() as connection:
        for start in range(0, len(paths), _IN_CHUNK):
            chunk = paths[start : start + _IN_CHUNK]
            rows = await connection.execute(
                select(TrackRecord.id).where(TrackRecord.path.in_(chunk))
            )
            found += [row.id for row in rows]
    return found
