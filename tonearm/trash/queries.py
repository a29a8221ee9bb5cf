"""Reading the trash: whose entries a viewer sees, one keyset page of them, one entry.

The entries of the trash are read on purpose past the catalog's visibility predicates
(which hide trashed tracks and playlists from everyone): a viewer sees the entries whose
``owner_id`` or ``deleted_by`` is them, an admin every entry. Not seeing an entry looks
exactly like there being none.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader
from tonearm.catalog.pagination import ORDERS, Page, PageRequest, TrashOrder, keyset_page
from tonearm.db.models import (
    AlbumRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    TrackRecord,
    TrashRecord,
    UserRecord,
)


class TrashKind(enum.StrEnum):
    """What a trash entry holds; the value is what ``trash.kind`` stores (and ``shares``,
    ``likes`` and ``comments`` use the same words for the same objects)."""

    TRACK = "track"
    ALBUM = "album"
    PLAYLIST = "playlist"


Trashed = TrackRecord | AlbumRecord | PlaylistRecord


@dataclass(frozen=True, slots=True)
class TrashRow:
    """One entry with what the list shows of it."""

    record: TrashRecord
    deleted_by_name: str | None
    track_count: int
    target: Trashed | None  # the object as it is stored now (None: gone meanwhile)

    @property
    def kind(self) -> TrashKind:
        """What the entry holds."""
        return TrashKind(self.record.kind)


def entry_visible(reader: Reader) -> ColumnElement[bool]:
    """The WHERE clause of the trash entries ``reader`` sees: their own, or all for admins."""
    if reader.is_admin:
        return true()
    if reader.user_id is None:
        return false()
    return or_(TrashRecord.owner_id == reader.user_id, TrashRecord.deleted_by == reader.user_id)


def purge_at(deleted_at: datetime, retention_days: int) -> datetime | None:
    """When the retention sweep purges an entry (None: retention 0 keeps it until purged)."""
    if retention_days <= 0:
        return None
    return deleted_at + timedelta(days=retention_days)


async def find_entry(
    session: AsyncSession,
    *,
    reader: Reader,
    kind: TrashKind,
    target_id: uuid.UUID,
    lock: bool = False,
) -> TrashRecord | None:
    """The entry holding this object, if ``reader`` sees it."""
    statement = select(TrashRecord).where(
        TrashRecord.kind == kind.value, TrashRecord.target_id == target_id, entry_visible(reader)
    )
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def list_trash(session: AsyncSession, *, reader: Reader, page: PageRequest) -> Page[TrashRow]:
    """One page of the entries ``reader`` sees, most recently deleted first."""
    found = await keyset_page(
        session,
        select(TrashRecord).where(entry_visible(reader)),
        spec=ORDERS[TrashOrder.NEWEST],
        page=page,
        convert=lambda row: row[0],
    )
    rows = await describe(session, found.records)
    return Page(rows, found.has_next_page, found.has_previous_page)


async def count_trash(session: AsyncSession, *, reader: Reader) -> int:
    """How many entries ``reader`` sees."""
    statement = select(func.count()).select_from(TrashRecord).where(entry_visible(reader))
    return int(await session.scalar(statement) or 0)


async def describe(session: AsyncSession, records: Sequence[TrashRecord]) -> list[TrashRow]:
    """The rows of these entries: who deleted them, their track counts and their objects,
    one query per kind of link for the whole page."""
    by_kind: dict[TrashKind, list[TrashRecord]] = {kind: [] for kind in TrashKind}
    for record in records:
        by_kind[TrashKind(record.kind)].append(record)
    names = await _usernames(session, {r.deleted_by for r in records if r.deleted_by})
    targets: dict[uuid.UUID, Trashed] = {}
    counts: dict[uuid.UUID, int] = {}
    track_ids = [r.target_id for r in by_kind[TrashKind.TRACK]]
    if track_ids:
        tracks = await session.scalars(select(TrackRecord).where(TrackRecord.id.in_(track_ids)))
        targets.update({t.id: t for t in tracks})
    albums = by_kind[TrashKind.ALBUM]
    if albums:
        found = await session.scalars(
            select(AlbumRecord).where(AlbumRecord.id.in_([r.target_id for r in albums]))
        )
        targets.update({a.id: a for a in found})
        held = await session.execute(
            select(TrackRecord.trash_id, func.count())
            .where(TrackRecord.trash_id.in_([r.id for r in albums]))
            .group_by(TrackRecord.trash_id)
        )
        counts.update({entry_id: int(n) for entry_id, n in held if entry_id is not None})
    playlists = by_kind[TrashKind.PLAYLIST]
    if playlists:
        playlist_ids = [r.target_id for r in playlists]
        found_playlists = await session.scalars(
            select(PlaylistRecord).where(PlaylistRecord.id.in_(playlist_ids))
        )
        targets.update({p.id: p for p in found_playlists})
        items = await session.execute(
            select(PlaylistItemRecord.playlist_id, func.count())
            .where(PlaylistItemRecord.playlist_id.in_(playlist_ids))
            .group_by(PlaylistItemRecord.playlist_id)
        )
        counts.update({playlist_id: int(n) for playlist_id, n in items})
    rows = []
    for record in records:
        kind = TrashKind(record.kind)
        if kind is TrashKind.TRACK:
            track_count = 1
        elif kind is TrashKind.ALBUM:
            track_count = counts.get(record.id, 0)
        else:
            track_count = counts.get(record.target_id, 0)
        rows.append(
            TrashRow(
                record=record,
                deleted_by_name=names.get(record.deleted_by) if record.deleted_by else None,
                track_count=track_count,
                target=targets.get(record.target_id),
            )
        )
    return rows


async def _usernames(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    found = await session.execute(
        select(UserRecord.id, UserRecord.username).where(UserRecord.id.in_(user_ids))
    )
    return {row[0]: row[1] for row in found}
