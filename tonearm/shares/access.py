"""The one check: does this share grant this track (or this cover) now?

A share is *live* while it is not revoked, not expired, its owner's account is enabled and
its target is there (a trashed or missing track, an album with no available track, a
trashed playlist is not) and still visible to its owner. What it grants is the owner's view
of its target: the track itself, the album's tracks the owner can see, or the tracks of a
playlist's items the owner can see. Anything else — not live, not in the target — is the
same ``None``: callers answer "not found", whatever the reason.

The stream route and the artwork route ask through per-worker memos kept at most
``GRANT_TTL`` seconds (only a yes is kept), so revoking, expiring, trashing the target or
disabling the owner stops playback within that bound.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tonearm.accounts.users import Role
from tonearm.catalog.access import Reader, album_visible, track_available, track_visible
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import Offer, SourceAudio, VariantKey
from tonearm.db.models import (
    AlbumRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    ShareRecord,
    TrackRecord,
    UserRecord,
    utcnow,
)
from tonearm.memo import TTLMemo
from tonearm.playlists.access import PlaylistKind, playlist_visible
from tonearm.shares.quality import ShareQuality, share_offer

GRANT_TTL = 5.0  # seconds a yes is remembered per worker (the "a few seconds")
MAX_SHARED_TRACKS = 1000  # a shared playlist shows (and grants) its first 1,000 items
SHAREABLE_PLAYLISTS = (PlaylistKind.STATIC.value, PlaylistKind.FILE.value)


class ShareKind(enum.StrEnum):
    """What a share points at; the value is what ``shares.kind`` stores."""

    TRACK = "track"
    ALBUM = "album"
    PLAYLIST = "playlist"


@dataclass(frozen=True, slots=True)
class LiveShare:
    """A share that grants its target now, and how its owner sees the library."""

    id: uuid.UUID
    key: str
    kind: ShareKind
    target_id: uuid.UUID
    owner: Reader
    password_hash: str | None
    expires_at: datetime
    max_plays: int | None
    play_count: int
    allow_download: bool
    quality: ShareQuality
    description: str | None


@dataclass(frozen=True, slots=True)
class TrackGrant:
    """A share's yes for one track: which version its listener streams."""

    share_id: uuid.UUID
    track_id: uuid.UUID
    offer: Offer

    @property
    def variant(self) -> VariantKey | None:
        """The variant a stream token of the share must name (None: the original)."""
        return self.offer.key


def owner_reader(owner_id: uuid.UUID, role: str) -> Reader:
    """How a share's owner reads the catalog."""
    return Reader(owner_id, role == Role.ADMIN.value)


def target_available() -> ColumnElement[bool]:
    """The shares whose target is there at all (the owner's list hides the others)."""
    track = exists().where(TrackRecord.id == ShareRecord.target_id, track_available())
    album = exists().where(
        AlbumRecord.id == ShareRecord.target_id, AlbumRecord.is_available.is_(True)
    )
    playlist = exists().where(
        PlaylistRecord.id == ShareRecord.target_id, PlaylistRecord.trash_id.is_(None)
    )
    return or_(
        and_(ShareRecord.kind == ShareKind.TRACK.value, track),
        and_(ShareRecord.kind == ShareKind.ALBUM.value, album),
        and_(ShareRecord.kind == ShareKind.PLAYLIST.value, playlist),
    )


def share_live(now: datetime) -> ColumnElement[bool]:
    """Not revoked, not expired, owner enabled, target there (visibility checked after)."""
    return and_(
        ShareRecord.revoked_at.is_(None),
        ShareRecord.expires_at > now,
        UserRecord.is_active.is_(True),
        target_available(),
    )


def target_visible(kind: ShareKind, target_id: uuid.UUID, reader: Reader) -> ColumnElement[bool]:
    """Whether ``reader`` can see the target (an EXISTS for a share's owner)."""
    if kind is ShareKind.TRACK:
        return exists().where(TrackRecord.id == target_id, track_visible(reader))
    if kind is ShareKind.ALBUM:
        return exists().where(AlbumRecord.id == target_id, album_visible(reader))
    return exists().where(
        PlaylistRecord.id == target_id,
        PlaylistRecord.kind.in_(SHAREABLE_PLAYLISTS),
        playlist_visible(reader),
    )


async def find_live_share(
    session: AsyncSession,
    *,
    key: str | None = None,
    share_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> LiveShare | None:
    """The live share with this key (or id), or None for any reason it does not grant."""
    moment = now or utcnow()
    statement = (
        select(ShareRecord, UserRecord.role)
        .join(UserRecord, UserRecord.id == ShareRecord.owner_id)
        .where(share_live(moment))
    )
    if key is not None:
        statement = statement.where(ShareRecord.key == key)
    elif share_id is not None:
        statement = statement.where(ShareRecord.id == share_id)
    else:
        return None
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    record: ShareRecord = row[0]
    kind = ShareKind(record.kind)
    reader = owner_reader(record.owner_id, row[1])
    if not await session.scalar(select(target_visible(kind, record.target_id, reader))):
        return None
    return LiveShare(
        id=record.id,
        key=record.key,
        kind=kind,
        target_id=record.target_id,
        owner=reader,
        password_hash=record.password_hash,
        expires_at=record.expires_at,
        max_plays=record.max_plays,
        play_count=record.play_count,
        allow_download=record.allow_download,
        quality=ShareQuality.from_stored(record.quality),
        description=record.description,
    )


def _in_target(share: LiveShare, row: Any = TrackRecord) -> ColumnElement[bool]:
    """The tracks the share's target holds, as its owner sees them."""
    visible = track_visible(share.owner, row)
    if share.kind is ShareKind.TRACK:
        return and_(visible, row.id == share.target_id)
    if share.kind is ShareKind.ALBUM:
        return and_(visible, row.album_id == share.target_id)
    in_playlist = exists().where(
        PlaylistItemRecord.playlist_id == share.target_id, PlaylistItemRecord.track_id == row.id
    )
    return and_(visible, in_playlist)


async def target_tracks(session: AsyncSession, share: LiveShare) -> list[TrackRecord]:
    """The tracks the share grants, in the target's order (album: by disc and number;
    playlist: by position, a track listed twice shown twice)."""
    if share.kind is ShareKind.PLAYLIST:
        statement = (
            select(TrackRecord)
            .join(PlaylistItemRecord, PlaylistItemRecord.track_id == TrackRecord.id)
            .where(
                PlaylistItemRecord.playlist_id == share.target_id,
                track_visible(share.owner),
            )
            .order_by(PlaylistItemRecord.position, PlaylistItemRecord.id)
            .limit(MAX_SHARED_TRACKS)
        )
    else:
        statement = (
            select(TrackRecord)
            .where(_in_target(share))
            .order_by(
                func.coalesce(TrackRecord.disc_number, 1),
                func.coalesce(TrackRecord.track_number, 0),
                TrackRecord.sort_title,
                TrackRecord.id,
            )
            .limit(MAX_SHARED_TRACKS)
        )
    return list((await session.scalars(statement)).all())


def source_of(record: Any) -> SourceAudio:
    """What a track's offers depend on (a ``TrackRecord`` or a row with those columns)."""
    return SourceAudio(
        AudioFormat(record.format), record.bitrate, record.mime_type, record.channels
    )


async def share_grants_track(
    session: AsyncSession, share: LiveShare, track_id: uuid.UUID
) -> TrackGrant | None:
    """The share's grant for ``track_id``, or None when the track is not in its target."""
    row = (
        await session.execute(
            select(
                TrackRecord.format, TrackRecord.bitrate, TrackRecord.mime_type, TrackRecord.channels
            ).where(TrackRecord.id == track_id, _in_target(share))
        )
    ).first()
    if row is None:
        return None
    return TrackGrant(share.id, track_id, share_offer(source_of(row), share.quality))


async def target_artwork_hashes(session: AsyncSession, share: LiveShare) -> set[str]:
    """The covers a share's page shows: its album's (or each track's album's) and, for a
    playlist, the playlist's own cover or mosaic."""
    hashes: set[str] = set()
    if share.kind is ShareKind.PLAYLIST:
        row = (
            await session.execute(
                select(PlaylistRecord.artwork_hash, PlaylistRecord.mosaic_hash).where(
                    PlaylistRecord.id == share.target_id
                )
            )
        ).first()
        if row is not None:
            hashes.update(h for h in row if h)
    album_ids = select(TrackRecord.album_id).where(_in_target(share))
    albums = await session.scalars(
        select(AlbumRecord.artwork_hash).where(
            AlbumRecord.id.in_(album_ids), AlbumRecord.artwork_hash.is_not(None)
        )
    )
    hashes.update(h for h in albums if h)
    return hashes


async def _grant_for_stream(
    engine: AsyncEngine, key: tuple[uuid.UUID, uuid.UUID]
) -> TrackGrant | None:
    share_id, track_id = key
    async with AsyncSession(engine) as session:
        share = await find_live_share(session, share_id=share_id)
        return await share_grants_track(session, share, track_id) if share else None


async def _grant_for_art(engine: AsyncEngine, key: tuple[uuid.UUID, str]) -> bool | None:
    share_id, artwork_hash = key
    async with AsyncSession(engine) as session:
        share = await find_live_share(session, share_id=share_id)
        if share is None:
            return None
        return True if artwork_hash in await target_artwork_hashes(session, share) else None


class ShareGrantCache:
    """Per-worker memos of the share checks of streams and covers, ``ttl`` ≤ 5 s.

    Only a yes is remembered; a no is asked again every time. A stream token of a share is
    therefore refused at most ``ttl`` seconds after the share stops granting its track.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ttl = GRANT_TTL if ttl is None else min(ttl, GRANT_TTL)
        self._engine = engine
        self._tracks: TTLMemo[tuple[uuid.UUID, uuid.UUID], TrackGrant] = TTLMemo(
            ttl=ttl, max_entries=4096, clock=clock
        )
        self._art: TTLMemo[tuple[uuid.UUID, str], bool] = TTLMemo(
            ttl=ttl, max_entries=4096, clock=clock
        )

    async def track(self, share_id: uuid.UUID, track_id: uuid.UUID) -> TrackGrant | None:
        """The share's grant for the track now (at most ``ttl`` seconds old)."""
        return await self._tracks.get(
            (share_id, track_id), partial(_grant_for_stream, self._engine)
        )

    async def artwork(self, share_id: uuid.UUID, artwork_hash: str) -> bool:
        """Whether the share's page may show this cover now."""
        return bool(
            await self._art.get((share_id, artwork_hash), partial(_grant_for_art, self._engine))
        )
