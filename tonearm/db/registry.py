"""Writing the registry: the scanner's persistence operations on the tracks table."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import PurgedPathRecord, TrackRecord, utcnow

TRACKS = cast(Table, TrackRecord.__table__)

# Columns a rescan's upsert leaves alone: the id and created_at of a known path never
# change, and the album link is the grouping phase's to set (``library/grouping.py``).
_IMMUTABLE = frozenset({"row_id", "id", "path", "created_at", "album_id"})
# Nor what people decided, which no file says: the publication flag and the edits (a
# rescan's row already has the edits applied over the tags, see ``catalog.rows``).
_IMMUTABLE |= {"is_published", "overrides"}
# Nor what listeners did: plays and popularity are ``social``'s.
_IMMUTABLE |= {"play_count", "popularity"}
# Nor the trash's hold on a row; the state is set by ``upsert_tracks`` itself (a file that
# is there is available again, unless it is in the trash).
_IMMUTABLE |= {"trash_id", "state", "state_changed_at", "fingerprint"}
# Columns only an upload sets: a scanned row keeps their defaults.
_UPLOAD_ONLY = frozenset({"origin", "uploaded_by", "content_hash", "original_name"})
# The scanner sees and changes only what it found in the media root; uploads are not its.
_SCANNED = TrackRecord.origin == "library"
# ``catalog.states.TrackState`` values (db may not import catalog; the models store these).
_AVAILABLE, _MISSING, _TRASHED = "available", "missing", "trashed"
# SQLSTATE classes of a refused value: data exception, integrity constraint violation.
_ROW_SQLSTATE_CLASSES = frozenset({"22", "23"})


@dataclass(frozen=True, slots=True)
class KnownFile:
    """What the registry remembers of a file, enough to tell whether it changed."""

    size_bytes: int
    mtime_ns: int
    album_group: str | None = None
    state: str = _AVAILABLE
    has_fingerprint: bool = True

    @property
    def is_available(self) -> bool:
        """Neither missing nor in the trash."""
        return self.state == _AVAILABLE


async def load_known_files(session: AsyncSession) -> dict[str, KnownFile]:
    """Path → size, mtime, album group and state of every scanned track (no tags: small)."""
    result = await session.stream(
        select(
            TrackRecord.path,
            TrackRecord.size_bytes,
            TrackRecord.mtime_ns,
            TrackRecord.album_group,
            TrackRecord.state,
            TrackRecord.fingerprint.is_not(None),
        )
        .where(_SCANNED)
        .execution_options(yield_per=5000)
    )
    # One await per partition, not per row: row-wise iteration of an async result costs a
    # greenlet switch per row, most of a no-change rescan's time.
    known: dict[str, KnownFile] = {}
    async for partition in result.partitions():
        known.update(
            (path, KnownFile(size, mtime, group, state, bool(printed)))
            for path, size, mtime, group, state, printed in partition
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
    updated: dict[str, Any] = {
        column.name: statement.excluded[column.name]
        for column in TrackRecord.__table__.columns
        if column.name not in _IMMUTABLE | _UPLOAD_ONLY
    }
    # A file that is there is available: a missing track whose file came back is again (its
    # state changed now), one in the trash stays there until it is restored or purged.
    came_back = TRACKS.c.state == _MISSING
    updated["state"] = case(
        (TRACKS.c.state == _TRASHED, TRACKS.c.state),
        else_=_AVAILABLE,
    )
    updated["state_changed_at"] = case(
        (came_back, literal(now, TRACKS.c.state_changed_at.type)),
        else_=TRACKS.c.state_changed_at,
    )
    # A row probed without a fingerprint (unreadable a moment later) keeps the one it had.
    updated["fingerprint"] = func.coalesce(statement.excluded["fingerprint"], TRACKS.c.fingerprint)
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


async def mark_missing(
    session: AsyncSession, paths: Iterable[str], *, now: datetime, batch: int = 500
) -> int:
    """Mark the available scanned tracks at these paths missing; returns how many.

    Nothing else changes: the row, its id and everything that refers to it stay, hidden by
    ``catalog.access`` until the file comes back or the track is purged. A track in the
    trash stays in the trash.
    """
    pending = list(paths)
    marked = 0
    for start in range(0, len(pending), batch):
        result = await session.execute(
            update(TrackRecord)
            .where(
                TrackRecord.path.in_(pending[start : start + batch]),
                _SCANNED,
                TrackRecord.state == _AVAILABLE,
            )
            .values(state=_MISSING, state_changed_at=now)
            .execution_options(synchronize_session=False)
        )
        marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


async def set_fingerprints(session: AsyncSession, fingerprints: Mapping[str, str]) -> None:
    """Store the fingerprints of scanned tracks that had none (path → fingerprint)."""
    if not fingerprints:
        return
    statement = (
        update(TRACKS)
        .where(TRACKS.c.path == bindparam("at_path"), TRACKS.c.origin == "library")
        # Not a change of the track: its updated_at stays (no onupdate).
        .values(fingerprint=bindparam("printed"), updated_at=TRACKS.c.updated_at)
    )
    await session.execute(
        statement,
        [{"at_path": path, "printed": printed} for path, printed in fingerprints.items()],
    )


@dataclass(frozen=True, slots=True)
class Reattached:
    """A gone track given the path of a new file with its content or MusicBrainz id."""

    track_id: uuid.UUID
    old_path: str
    new_path: str
    album_group: str | None


@dataclass(slots=True)
class Reattachment:
    """What ``reattach_tracks`` did: the tracks moved, and the files with several matches."""

    moved: list[Reattached] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Candidate:
    id: uuid.UUID
    path: str
    fingerprint: str | None
    musicbrainz_track_id: str | None
    album_group: str | None
    state: str


async def reattach_tracks(
    session: AsyncSession,
    rows: Sequence[Mapping[str, Any]],
    *,
    gone: frozenset[str] | set[str],
    present: frozenset[str] | set[str],
) -> Reattachment:
    """Give gone tracks the paths of these new files when they are the same recording.

    ``rows``: rows of files at paths no track has. A gone track is a missing scanned track,
    or an available one whose path is in ``gone`` (not on disk at this scan, not yet marked)
    and none in ``present`` (its path is on disk, so its own file is there). A file matches
    the one gone track with its fingerprint (same bytes), else the one with its MusicBrainz
    track id (retagged and moved); two candidates or more is no match (counted as
    ambiguous). The matched row's path is changed to the file's, keeping its id and
    everything that refers to it; the caller's upsert by path then updates its tags and
    makes it available.
    """
    report = Reattachment()
    prints = {row["fingerprint"] for row in rows if row.get("fingerprint")}
    mbids = {row["musicbrainz_track_id"] for row in rows if row.get("musicbrainz_track_id")}
    if not rows or not (prints or mbids):
        return report
    matches = []
    if prints:
        matches.append(TrackRecord.fingerprint.in_(sorted(prints)))
    if mbids:
        matches.append(TrackRecord.musicbrainz_track_id.in_(sorted(mbids)))
    result = await session.execute(
        select(
            TrackRecord.id,
            TrackRecord.path,
            TrackRecord.fingerprint,
            TrackRecord.musicbrainz_track_id,
            TrackRecord.album_group,
            TrackRecord.state,
        ).where(_SCANNED, TrackRecord.state != _TRASHED, or_(*matches))
    )
    candidates = [
        candidate
        for candidate in (_Candidate(*row) for row in result)
        if candidate.path not in present and (candidate.state == _MISSING or candidate.path in gone)
    ]
    if not candidates:
        return report
    # A path some track already holds (an upload's) cannot be given to another.
    held = set(
        (
            await session.scalars(
                select(TrackRecord.path).where(TrackRecord.path.in_([r["path"] for r in rows]))
            )
        ).all()
    )
    claimed: set[uuid.UUID] = set()
    for row in rows:
        if row["path"] in held:
            continue
        for key, value in (
            ("fingerprint", row.get("fingerprint")),
            ("musicbrainz_track_id", row.get("musicbrainz_track_id")),
        ):
            if not value:
                continue
            found = [c for c in candidates if getattr(c, key) == value and c.id not in claimed]
            if len(found) == 1:
                claimed.add(found[0].id)
                report.moved.append(
                    Reattached(found[0].id, found[0].path, row["path"], found[0].album_group)
                )
                break
            if len(found) > 1:
                report.ambiguous.append(row["path"])
                break
    if report.moved:
        await session.execute(
            update(TRACKS)
            .where(TRACKS.c.id == bindparam("track_id"))
            .values(path=bindparam("new_path")),
            [{"track_id": moved.track_id, "new_path": moved.new_path} for moved in report.moved],
        )
    return report


async def load_purged_paths(session: AsyncSession) -> set[str]:
    """The paths of scanned files purged from the registry: scans skip them."""
    return set((await session.scalars(select(PurgedPathRecord.path))).all())


async def clear_purged_paths(session: AsyncSession) -> int:
    """Forget every purged path (``tonearm scan --include-purged``); returns how many."""
    result = await session.execute(delete(PurgedPathRecord))
    return int(getattr(result, "rowcount", 0) or 0)
