"""Reading playlists: lists by scope, lookups, pages of items, counts, people.

Lists are keyset pages (``catalog.pagination``): playlists by ``sort_name``, a static
playlist's items by their position key, a smart playlist's computed items by the keys of
its rules' order. Items whose track the reader cannot see are left out of pages and
counts; an item's ``index`` is its 0-based place among all the playlist's items, so the
hidden ones leave gaps rather than renumbering the rest.
"""

from __future__ import annotations

import bisect
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, track_visible
from tonearm.catalog.pagination import (
    ORDERS,
    Page,
    PageRequest,
    PlaylistItemOrder,
    PlaylistOrder,
    first_column,
    keyset_page,
)
from tonearm.db.models import (
    PlaylistCollaboratorRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    TrackRecord,
    UserRecord,
)
from tonearm.playlists.access import PlaylistKind, playlist_visible
from tonearm.playlists.rules import Compiled, SmartRules, parse_rules, smart_tracks


class PlaylistScope(enum.Enum):
    """Which playlists a list holds (always within what the reader may see)."""

    MINE = "MINE"  # owned, and collaborative ones the reader was made a collaborator of
    PUBLIC = "PUBLIC"  # public ones and the server's
    ALL = "ALL"  # every playlist the reader sees


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item of a page: the entry (None for a smart playlist's), its track, its index.

    ``track_id`` and ``k0…`` carry a smart item's cursor keys.
    """

    item: PlaylistItemRecord | None
    track: TrackRecord
    index: int
    keys: tuple[Any, ...] = ()

    @property
    def track_id(self) -> uuid.UUID:
        """The track's id (a smart item's cursor tiebreak)."""
        return self.track.id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("k") and name[1:].isdigit():
            return self.keys[int(name[1:])]
        raise AttributeError(name)


@dataclass(frozen=True, slots=True)
class PlaylistStats:
    """What a playlist holds for one reader."""

    track_count: int
    duration_seconds: float


def scope_filter(reader: Reader, scope: PlaylistScope) -> ColumnElement[bool]:
    """The WHERE clause of ``scope`` for ``reader`` (visibility included)."""
    visible = playlist_visible(reader)
    if scope is PlaylistScope.ALL:
        return visible
    if scope is PlaylistScope.PUBLIC:
        return and_(
            visible,
            (PlaylistRecord.is_public.is_(True)) | (PlaylistRecord.kind == PlaylistKind.FILE.value),
        )
    if reader.user_id is None:
        return false()
    collaborating = exists().where(
        PlaylistCollaboratorRecord.playlist_id == PlaylistRecord.id,
        PlaylistCollaboratorRecord.user_id == reader.user_id,
    )
    return (PlaylistRecord.owner_id == reader.user_id) | (
        PlaylistRecord.is_collaborative.is_(True) & collaborating
    )


async def list_playlists(
    session: AsyncSession, *, reader: Reader, scope: PlaylistScope, page: PageRequest
) -> Page[PlaylistRecord]:
    """A keyset page of the playlists of ``scope``, by name."""
    statement = select(PlaylistRecord).where(scope_filter(reader, scope))
    return await keyset_page(
        session, statement, spec=ORDERS[PlaylistOrder.NAME], page=page, convert=first_column
    )


async def count_playlists(session: AsyncSession, *, reader: Reader, scope: PlaylistScope) -> int:
    """How many playlists the list of ``scope`` holds."""
    statement = select(func.count()).select_from(PlaylistRecord).where(scope_filter(reader, scope))
    return int(await session.scalar(statement) or 0)


async def playlists_by_ids(
    session: AsyncSession, playlist_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, PlaylistRecord]:
    """The playlists with these ids that ``reader`` may see, in one query."""
    if not playlist_ids:
        return {}
    statement = select(PlaylistRecord).where(
        PlaylistRecord.id.in_(set(playlist_ids)), playlist_visible(reader)
    )
    return {record.id: record for record in (await session.scalars(statement)).all()}


def compiled_rules(session: AsyncSession, playlist: PlaylistRecord, *, reader: Reader) -> Compiled:
    """A smart playlist's rules as SQL, with its owner's likes and plays."""
    return compile_rules(session, parse_rules(playlist.rules or {}), playlist.owner_id, reader)


def compile_rules(
    session: AsyncSession, rules: SmartRules, owner_id: uuid.UUID | None, reader: Reader
) -> Compiled:
    """``rules`` as SQL on this session's database."""
    return smart_tracks(rules, dialect=session.get_bind().dialect, owner_id=owner_id, reader=reader)


async def static_stats(
    session: AsyncSession, playlist_ids: Sequence[uuid.UUID], *, reader: Reader
) -> dict[uuid.UUID, PlaylistStats]:
    """Track counts and durations of static (and file) playlists, in one query."""
    if not playlist_ids:
        return {}
    item = PlaylistItemRecord
    statement = (
        select(
            item.playlist_id,
            func.count(),
            func.coalesce(func.sum(TrackRecord.duration_seconds), 0.0),
        )
        .join(TrackRecord, TrackRecord.id == item.track_id)
        .where(item.playlist_id.in_(set(playlist_ids)), track_visible(reader))
        .group_by(item.playlist_id)
    )
    found = {
        playlist_id: PlaylistStats(int(count), round(float(duration), 6))
        for playlist_id, count, duration in (await session.execute(statement)).all()
    }
    empty = PlaylistStats(0, 0.0)
    return {playlist_id: found.get(playlist_id, empty) for playlist_id in playlist_ids}


async def compiled_stats(session: AsyncSession, compiled: Compiled) -> PlaylistStats:
    """Track count and duration of compiled rules."""
    smart = compiled.subquery
    statement = select(
        func.count(), func.coalesce(func.sum(TrackRecord.duration_seconds), 0.0)
    ).select_from(smart.join(TrackRecord, TrackRecord.id == smart.c.track_id))
    count, duration = (await session.execute(statement)).one()
    return PlaylistStats(int(count), round(float(duration), 6))


async def playlist_stats(
    session: AsyncSession, playlists: Sequence[PlaylistRecord], *, reader: Reader
) -> dict[uuid.UUID, PlaylistStats]:
    """Counts of a page of playlists: one query for the static ones, one per smart one."""
    stats = await static_stats(
        session,
        [p.id for p in playlists if p.kind != PlaylistKind.SMART.value],
        reader=reader,
    )
    for playlist in playlists:
        if playlist.kind == PlaylistKind.SMART.value:
            stats[playlist.id] = await compiled_stats(
                session, compiled_rules(session, playlist, reader=reader)
            )
    return stats


async def static_items(
    session: AsyncSession, *, reader: Reader, playlist_id: uuid.UUID, page: PageRequest
) -> Page[ItemRow]:
    """A keyset page of a static playlist's items whose track ``reader`` can see.

    Two queries: the page, and the counts of items before it and within it (hidden ones
    included); only when some inside the page are hidden, a third reads the keys within it
    so that each index counts them.
    """
    item = PlaylistItemRecord
    statement = (
        select(item, TrackRecord)
        .join(TrackRecord, TrackRecord.id == item.track_id)
        .where(item.playlist_id == playlist_id, track_visible(reader))
    )
    found = await keyset_page(
        session,
        statement,
        spec=ORDERS[PlaylistItemOrder.POSITION],
        page=page,
        convert=tuple,
    )
    if not found.records:
        return Page([], found.has_next_page, found.has_previous_page)
    low = found.records[0][0].position
    high = found.records[-1][0].position
    mine = item.playlist_id == playlist_id
    before, within = (
        await session.execute(
            select(
                func.count().filter(item.position < low),
                func.count().filter(item.position.between(low, high)),
            )
            .select_from(item)
            .where(mine, item.position <= high)
        )
    ).one()
    base = int(before or 0)
    if within == len(found.records):  # nothing hidden inside the page
        indexes = [base + offset for offset in range(len(found.records))]
    else:
        keys = list(
            (
                await session.scalars(
                    select(item.position)
                    .where(mine, item.position.between(low, high))
                    .order_by(item.position)
                )
            ).all()
        )
        indexes = [base + bisect.bisect_left(keys, record.position) for record, _ in found.records]
    rows = [
        ItemRow(record, track, index)
        for (record, track), index in zip(found.records, indexes, strict=True)
    ]
    return Page(rows, found.has_next_page, found.has_previous_page)


async def smart_items(
    session: AsyncSession, compiled: Compiled, *, page: PageRequest
) -> Page[ItemRow]:
    """A keyset page of computed items in the rules' order (the rules' limit applied)."""
    smart = compiled.subquery
    keys = [column for column in smart.c if column.name.startswith("k")]
    statement = select(TrackRecord, smart.c.rn, *keys).join(
        smart, smart.c.track_id == TrackRecord.id
    )

    def convert(row: Any) -> ItemRow:
        return ItemRow(None, row[0], int(row[1]) - 1, tuple(row[2:]))

    return await keyset_page(session, statement, spec=compiled.spec, page=page, convert=convert)


async def preview_tracks(
    session: AsyncSession, compiled: Compiled, *, first: int
) -> list[TrackRecord]:
    """The first ``first`` tracks the compiled rules give, in order."""
    smart = compiled.subquery
    statement = (
        select(TrackRecord)
        .join(smart, smart.c.track_id == TrackRecord.id)
        .order_by(smart.c.rn)
        .limit(first)
    )
    return list((await session.scalars(statement)).all())


async def usernames_by_ids(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of these accounts, in one query."""
    if not user_ids:
        return {}
    statement = select(UserRecord.id, UserRecord.username).where(UserRecord.id.in_(set(user_ids)))
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def collaborators_of(
    session: AsyncSession, playlist_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """The collaborators (id, name) of these playlists, by name, in one query."""
    if not playlist_ids:
        return {}
    collaborator = PlaylistCollaboratorRecord
    statement = (
        select(collaborator.playlist_id, UserRecord.id, UserRecord.username)
        .join(UserRecord, UserRecord.id == collaborator.user_id)
        .where(collaborator.playlist_id.in_(set(playlist_ids)))
        .order_by(UserRecord.username_key, UserRecord.id)
    )
    found: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {p: [] for p in playlist_ids}
    for playlist_id, user_id, name in (await session.execute(statement)).all():
        found[playlist_id].append((user_id, name))
    return found
