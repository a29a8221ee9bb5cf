"""Likes of tracks, albums, artists and playlists: one row per user and target, counted per target.

What may be liked, and who sees it, is one table (``TARGETS``): the kind's global ID type
name and the visibility predicate of the kind's rows. A like of something the reader cannot
see is refused exactly like a like of nothing (``LikeTargetNotFound``). Liking a track adds
the like's popularity term; unliking takes the very term it added away.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, album_visible, artist_visible, track_visible
from tonearm.catalog.pagination import ORDERS, LikeOrder, Page, PageRequest, keyset_page
from tonearm.db.models import (
    AlbumRecord,
    ArtistRecord,
    LikeRecord,
    PlaylistRecord,
    TrackRecord,
    utcnow,
)
from tonearm.playlists.access import playlist_visible
from tonearm.social.popularity import LIKE_WEIGHT, add_popularity, term
from tonearm.social.upserts import dialect_insert


class LikeKind(enum.StrEnum):
    """What a like is of; the value is what ``likes.kind`` stores."""

    TRACK = "track"
    ALBUM = "album"
    ARTIST = "artist"
    PLAYLIST = "playlist"


@dataclass(frozen=True, slots=True)
class LikeTarget:
    """One kind of likeable thing: its global ID type name, model and visibility."""

    type_name: str
    model: Any
    visible: Callable[[Reader], ColumnElement[bool]]


TARGETS: dict[LikeKind, LikeTarget] = {
    LikeKind.TRACK: LikeTarget("Track", TrackRecord, track_visible),
    LikeKind.ALBUM: LikeTarget("Album", AlbumRecord, album_visible),
    LikeKind.ARTIST: LikeTarget("Artist", ArtistRecord, artist_visible),
    LikeKind.PLAYLIST: LikeTarget("Playlist", PlaylistRecord, playlist_visible),
}


class LikeTargetNotFound(Exception):
    """Nothing the reader may see has this id (or this kind cannot be liked)."""


@dataclass(frozen=True, slots=True)
class LikeState:
    """A target's like state after ``set_liked``."""

    liked: bool
    like_count: int


def kind_of_type_name(type_name: str) -> LikeKind | None:
    """The like kind whose global IDs carry ``type_name`` (None: not likeable)."""
    return next((kind for kind, t in TARGETS.items() if t.type_name == type_name), None)


async def _target_visible(
    session: AsyncSession, reader: Reader, kind: LikeKind, target_id: uuid.UUID
) -> bool:
    target = TARGETS.get(kind)
    if target is None:
        return False
    found = await session.scalar(
        select(target.model.id).where(target.model.id == target_id, target.visible(reader))
    )
    return found is not None


async def set_liked(
    session: AsyncSession,
    *,
    reader: Reader,
    user_id: uuid.UUID,
    kind: LikeKind,
    target_id: uuid.UUID,
    liked: bool,
    now: datetime | None = None,
) -> LikeState:
    """Like or unlike a target (idempotent both ways) and commit; ``LikeTargetNotFound``."""
    if not await _target_visible(session, reader, kind, target_id):
        raise LikeTargetNotFound(str(target_id))
    if liked:
        moment = now or utcnow()
        # ON CONFLICT DO NOTHING … RETURNING yields a row only when this call inserted it,
        # so two concurrent likes add the popularity term once.
        inserted = await session.scalar(
            dialect_insert(session, LikeRecord)
            .values(user_id=user_id, kind=kind.value, target_id=target_id, created_at=moment)
            .on_conflict_do_nothing()
            .returning(LikeRecord.created_at)
        )
        if inserted is not None and kind is LikeKind.TRACK:
            await session.execute(add_popularity(target_id, term(LIKE_WEIGHT, moment)))
    else:
        removed = await session.scalar(
            delete(LikeRecord)
            .where(
                LikeRecord.user_id == user_id,
                LikeRecord.kind == kind.value,
                LikeRecord.target_id == target_id,
            )
            .returning(LikeRecord.created_at)
        )
        if removed is not None and kind is LikeKind.TRACK:
            await session.execute(add_popularity(target_id, -term(LIKE_WEIGHT, removed)))
    counts = await like_counts(session, kind, [target_id])
    await session.commit()
    return LikeState(liked=liked, like_count=counts.get(target_id, 0))


async def like_counts(
    session: AsyncSession, kind: LikeKind, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many users like each of ``ids`` (absent: none), in one query."""
    if not ids:
        return {}
    rows = await session.execute(
        select(LikeRecord.target_id, func.count())
        .where(LikeRecord.kind == kind.value, LikeRecord.target_id.in_(set(ids)))
        .group_by(LikeRecord.target_id)
    )
    return {row[0]: row[1] for row in rows}


async def liked_by(
    session: AsyncSession, user_id: uuid.UUID, kind: LikeKind, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``ids`` ``user_id`` likes, in one query."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(LikeRecord.target_id).where(
            LikeRecord.user_id == user_id,
            LikeRecord.kind == kind.value,
            LikeRecord.target_id.in_(set(ids)),
        )
    )
    return set(rows)


def _like_visible(reader: Reader, kinds: Sequence[LikeKind]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(
                LikeRecord.kind == kind.value,
                exists().where(
                    TARGETS[kind].model.id == LikeRecord.target_id, TARGETS[kind].visible(reader)
                ),
            )
            for kind in kinds
        )
    )


def _liked_statement(reader: Reader, user_id: uuid.UUID, kind: LikeKind | None) -> Any:
    kinds = [kind] if kind is not None else list(TARGETS)
    kinds = [k for k in kinds if k in TARGETS]
    return select(LikeRecord).where(
        LikeRecord.user_id == user_id,
        LikeRecord.kind.in_([k.value for k in kinds]),
        _like_visible(reader, kinds) if kinds else LikeRecord.kind.is_(None),
    )


async def list_liked(
    session: AsyncSession,
    *,
    reader: Reader,
    user_id: uuid.UUID,
    kind: LikeKind | None,
    page: PageRequest,
) -> Page[LikeRecord]:
    """A page of ``user_id``'s likes of things ``reader`` sees, newest first."""
    statement = _liked_statement(reader, user_id, kind)
    return await keyset_page(
        session,
        statement,
        spec=ORDERS[LikeOrder.NEWEST],
        page=page,
        convert=lambda row: row[0],
    )


async def count_liked(
    session: AsyncSession, *, reader: Reader, user_id: uuid.UUID, kind: LikeKind | None
) -> int:
    """How many likes ``list_liked`` walks through."""
    statement = _liked_statement(reader, user_id, kind).subquery()
    return int(await session.scalar(select(func.count()).select_from(statement)) or 0)
