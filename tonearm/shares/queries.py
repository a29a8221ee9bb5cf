"""Reading shares: the owner's list (admins: everyone's), newest first, keyset pages; and
the trimmed view a share's public page shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader
from tonearm.catalog.pagination import ORDERS, Page, PageRequest, ShareOrder, keyset_page
from tonearm.db.models import AlbumRecord, ArtworkRecord, PlaylistRecord, ShareRecord, TrackRecord
from tonearm.shares.access import LiveShare, ShareKind, target_available, target_tracks


def _listed(reader: Reader) -> Any:
    """The shares ``reader`` lists: own (admins: all) whose target is still there — a share
    of a trashed or missing object comes back with it when it is restored."""
    mine = (
        ShareRecord.id.is_not(None) if reader.is_admin else ShareRecord.owner_id == reader.user_id
    )
    return and_(mine, target_available())


async def list_shares(
    session: AsyncSession, *, reader: Reader, page: PageRequest
) -> Page[ShareRecord]:
    """A page of the shares ``reader`` lists, newest first."""
    if reader.user_id is None and not reader.is_admin:
        return Page([], has_next_page=False, has_previous_page=False)
    return await keyset_page(
        session,
        select(ShareRecord).where(_listed(reader)),
        spec=ORDERS[ShareOrder.NEWEST],
        page=page,
        convert=lambda row: row[0],
    )


async def count_shares(session: AsyncSession, *, reader: Reader) -> int:
    """How many shares ``list_shares`` walks through."""
    if reader.user_id is None and not reader.is_admin:
        return 0
    statement = select(func.count()).select_from(ShareRecord).where(_listed(reader))
    return int(await session.scalar(statement) or 0)


@dataclass(frozen=True, slots=True)
class SharedView:
    """What a share's public page shows: its target, its tracks and their covers' sizes.

    Only these few fields ever reach an anonymous listener (``schema/share_types.py``).
    """

    share: LiveShare
    tracks: list[TrackRecord]
    album: AlbumRecord | None  # the target, for an album share
    playlist: PlaylistRecord | None  # the target, for a playlist share
    album_covers: dict[uuid.UUID, str]  # album id → artwork hash, for the tracks' covers
    cover_sizes: dict[str, tuple[int, ...]]  # artwork hash → sizes made

    def cover_of_track(self, track: TrackRecord) -> str | None:
        """The artwork hash of a track's album, if it has one."""
        return self.album_covers.get(track.album_id) if track.album_id else None

    @property
    def target_cover(self) -> str | None:
        """The artwork hash of the target itself (a track's: its album's)."""
        if self.album is not None:
            return self.album.artwork_hash
        if self.playlist is not None:
            return self.playlist.artwork_hash or self.playlist.mosaic_hash
        return self.cover_of_track(self.tracks[0]) if self.tracks else None


async def shared_view(session: AsyncSession, share: LiveShare) -> SharedView | None:
    """The page of a live share; None when its target vanished meanwhile."""
    tracks = await target_tracks(session, share)
    album = playlist = None
    if share.kind is ShareKind.ALBUM:
        album = await session.scalar(select(AlbumRecord).where(AlbumRecord.id == share.target_id))
        if album is None:
            return None
    elif share.kind is ShareKind.PLAYLIST:
        playlist = await session.get(PlaylistRecord, share.target_id)
        if playlist is None:
            return None
    elif not tracks:
        return None
    album_ids = {track.album_id for track in tracks if track.album_id}
    album_covers: dict[uuid.UUID, str] = {}
    if album_ids:
        rows = await session.execute(
            select(AlbumRecord.id, AlbumRecord.artwork_hash).where(
                AlbumRecord.id.in_(album_ids), AlbumRecord.artwork_hash.is_not(None)
            )
        )
        album_covers = {row.id: row.artwork_hash for row in rows}
    hashes = set(album_covers.values())
    for extra in (
        album.artwork_hash if album else None,
        playlist and playlist.artwork_hash,
        playlist and playlist.mosaic_hash,
    ):
        if extra:
            hashes.add(extra)
    cover_sizes: dict[str, tuple[int, ...]] = {}
    if hashes:
        artworks = await session.scalars(
            select(ArtworkRecord).where(ArtworkRecord.hash.in_(hashes))
        )
        cover_sizes = {a.hash: tuple(sorted(a.sizes)) for a in artworks if a.sizes}
    return SharedView(share, tracks, album, playlist, album_covers, cover_sizes)
