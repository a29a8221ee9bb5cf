"""A playlist's cover when it has no image of its own: the covers of its first albums.

Four distinct album covers make a 2×2 mosaic (``artwork.mosaic``); one to three make the
first of them the playlist's cover as it is (no new image); none make no cover. The
fingerprint of the covers used (``mosaic_key``: SHA-256 of their hashes in order) is kept
with the playlist, so a refresh after an item change that leaves the first covers as they
were costs one query and writes nothing.

Pillow is loaded only inside the worker thread that makes a mosaic: a server worker that
refreshes covers after an edit must not import it at start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Subquery, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.artwork.results import Artwork, ArtworkRefusal
from tonearm.artwork.store import ArtworkStore
from tonearm.catalog.access import ANONYMOUS, track_available
from tonearm.db.entities import save_artworks
from tonearm.db.models import AlbumRecord, PlaylistItemRecord, PlaylistRecord, TrackRecord
from tonearm.db.playlists import set_playlist_mosaic
from tonearm.playlists.access import PlaylistKind
from tonearm.playlists.queries import compiled_rules
from tonearm.playlists.rules import Compiled

if TYPE_CHECKING:
    from tonearm.services import Services

logger = logging.getLogger(__name__)
MOSAIC_COVERS = 4
# Refreshes of one playlist racing each other retry this often before leaving it to the next.
_ATTEMPTS = 3
# Items whose covers the first query reads; later pages are eight times larger each, up
# to the first ``_MOST_ITEMS`` items: a playlist's cover is made of the albums it starts
# with, and a long playlist without covers must not be read to its end on every change.
_FIRST_PAGE = 64
_MOST_ITEMS = 1_000


@dataclass(frozen=True, slots=True)
class CoverMaker:
    """Where covers are read and written: the database's sessions and the artwork store."""

    sessions: async_sessionmaker[AsyncSession]
    store: ArtworkStore

    @classmethod
    def of(cls, services: Services) -> CoverMaker:
        """The cover maker of an app's services (the store under its data dir, or the app's
        remote storage); call it from async code."""
        store = ArtworkStore.in_data_dir(services.settings.data_dir, services.storage)
        return cls(services.sessions, store)


def mosaic_key(artwork_hashes: Sequence[str]) -> str:
    """The fingerprint of the covers a playlist's picture is made from (SHA-256 hex)."""
    return hashlib.sha256("\n".join(artwork_hashes).encode("ascii")).hexdigest()


def _cover_page(playlist_id: uuid.UUID, after: int | None, size: int) -> Subquery:
    """The cover of each of a page of items (null: unpublished, no album, or no cover).

    Items are read in position order through the (playlist_id, position) index and the
    scan stops at ``size``: the first covers are nearly always among the first items, so a
    10,000-item playlist costs no more than a short one.
    """
    items = select(PlaylistItemRecord.position, PlaylistItemRecord.track_id).where(
        PlaylistItemRecord.playlist_id == playlist_id
    )
    if after is not None:
        items = items.where(PlaylistItemRecord.position > after)
    page = items.order_by(PlaylistItemRecord.position).limit(size).subquery("cover_items")
    return (
        select(page.c.position, AlbumRecord.artwork_hash)
        .select_from(page)
        .outerjoin(
            TrackRecord,
            and_(
                TrackRecord.id == page.c.track_id,
                TrackRecord.is_published.is_(True),
                track_available(),
            ),
        )
        .outerjoin(AlbumRecord, AlbumRecord.id == TrackRecord.album_id)
        .subquery("cover_page")
    )


def _take(found: list[str], rows: Sequence[tuple[int, str | None]], limit: int) -> None:
    for _, artwork_hash in rows:
        if artwork_hash is not None and artwork_hash not in found and len(found) < limit:
            found.append(artwork_hash)


async def _more_artworks(
    session: AsyncSession,
    playlist_id: uuid.UUID,
    found: list[str],
    rows: Sequence[tuple[int, str | None]],
    limit: int,
) -> list[str]:
    """Read further pages (each eight times the last) until ``limit`` covers, the end, or
    the first ``_MOST_ITEMS`` items were read."""
    size = read = _FIRST_PAGE
    while len(found) < limit and len(rows) == size and read < _MOST_ITEMS:
        after = rows[-1][0]
        size = min(size * 8, _MOST_ITEMS - read)
        read += size
        page = _cover_page(playlist_id, after, size)
        rows = [
            (int(position), artwork_hash)
            for position, artwork_hash in await session.execute(
                select(page.c.position, page.c.artwork_hash).order_by(page.c.position)
            )
        ]
        _take(found, rows, limit)
    return found


async def first_album_artworks(
    session: AsyncSession, playlist_id: uuid.UUID, limit: int = MOSAIC_COVERS
) -> list[str]:
    """The artwork hashes of a playlist's first distinct album covers, in item order.

    Published tracks only (what every listener sees); albums without a cover are passed
    over, and albums sharing one cover count once. One query unless the first
    ``_FIRST_PAGE`` items hold fewer than ``limit`` covers.
    """
    page = _cover_page(playlist_id, None, _FIRST_PAGE)
    rows = [
        (int(position), artwork_hash)
        for position, artwork_hash in await session.execute(
            select(page.c.position, page.c.artwork_hash).order_by(page.c.position)
        )
    ]
    found: list[str] = []
    _take(found, rows, limit)
    return await _more_artworks(session, playlist_id, found, rows, limit)


async def refresh_playlist_cover(where: Services | CoverMaker, playlist_id: uuid.UUID) -> None:
    """Bring a static or file playlist's cover in step with its first albums' covers.

    One query when nothing changed (the playlist's fingerprint and the covers of its first
    items are read together); a missing playlist is left alone.
    """
    maker = where if isinstance(where, CoverMaker) else CoverMaker.of(where)
    for _ in range(_ATTEMPTS):
        page = _cover_page(playlist_id, None, _FIRST_PAGE)
        statement = (
            select(
                PlaylistRecord.mosaic_key,
                PlaylistRecord.mosaic_hash,
                page.c.position,
                page.c.artwork_hash,
            )
            .select_from(PlaylistRecord)
            .outerjoin(page, true())
            .where(PlaylistRecord.id == playlist_id)
            .order_by(page.c.position)
        )
        async with maker.sessions() as session:
            result = list(await session.execute(statement))
            if not result:
                return
            stored_key, stored_hash = result[0][0], result[0][1]
            rows = [(int(r[2]), r[3]) for r in result if r[2] is not None]
            found: list[str] = []
            _take(found, rows, MOSAIC_COVERS)
            hashes = await _more_artworks(session, playlist_id, found, rows, MOSAIC_COVERS)
        if await _apply(maker, playlist_id, hashes, stored_key, stored_hash):
            return


async def refresh_cover(where: Services | CoverMaker, playlist: PlaylistRecord) -> None:
    """Bring any playlist's cover in step after a change: a static or file playlist's from
    its first items, a smart one's from the first tracks its rules give.

    One cover serves every viewer, so a smart playlist's is made of published tracks only.
    """
    if playlist.kind != PlaylistKind.SMART.value:
        await refresh_playlist_cover(where, playlist.id)
        return
    maker = where if isinstance(where, CoverMaker) else CoverMaker.of(where)
    async with maker.sessions() as session:
        compiled = compiled_rules(session, playlist, reader=ANONYMOUS)
        hashes = await smart_album_artworks(session, compiled)
    await refresh_cover_from(maker, playlist.id, hashes)


async def smart_album_artworks(session: AsyncSession, compiled: Compiled) -> list[str]:
    """The distinct album covers of the first tracks compiled rules give, in order."""
    smart = compiled.subquery
    statement = (
        select(AlbumRecord.artwork_hash)
        .select_from(smart)
        .join(TrackRecord, TrackRecord.id == smart.c.track_id)
        .join(AlbumRecord, AlbumRecord.id == TrackRecord.album_id)
        .where(AlbumRecord.artwork_hash.is_not(None))
        .order_by(smart.c.rn)
        .limit(_FIRST_PAGE)
    )
    found = [value for value in (await session.scalars(statement)).all() if value is not None]
    return list(dict.fromkeys(found))[:MOSAIC_COVERS]


async def refresh_cover_from(
    where: Services | CoverMaker, playlist_id: uuid.UUID, artwork_hashes: Sequence[str]
) -> None:
    """Set a playlist's cover from covers its caller chose (a smart playlist's first
    albums' covers, in order; the first four distinct ones are used)."""
    maker = where if isinstance(where, CoverMaker) else CoverMaker.of(where)
    hashes = list(dict.fromkeys(artwork_hashes))[:MOSAIC_COVERS]
    for _ in range(_ATTEMPTS):
        async with maker.sessions() as session:
            row = (
                await session.execute(
                    select(PlaylistRecord.mosaic_key, PlaylistRecord.mosaic_hash).where(
                        PlaylistRecord.id == playlist_id
                    )
                )
            ).first()
        if row is None:
            return
        if await _apply(maker, playlist_id, hashes, row[0], row[1]):
            return


async def _apply(
    maker: CoverMaker,
    playlist_id: uuid.UUID,
    hashes: list[str],
    stored_key: str | None,
    stored_hash: str | None,
) -> bool:
    """Decide and store the cover of ``hashes``; False when another refresh got there first."""
    key = mosaic_key(hashes)
    if key == stored_key and (stored_hash is not None) == bool(hashes):
        return True
    made: Artwork | None = None
    cover: str | None
    key_kept: str | None
    if len(hashes) >= MOSAIC_COVERS:
        result = await asyncio.to_thread(_make_mosaic, hashes, maker.store)
        if isinstance(result, ArtworkRefusal):
            # The first cover stands in; no key is kept, so the next refresh tries again.
            logger.warning("playlist mosaic not made: %s", result.message)
            cover, key_kept = hashes[0], None
        else:
            made, cover, key_kept = result, result.hash, key
    else:
        cover, key_kept = (hashes[0] if hashes else None), key
    async with maker.sessions.begin() as session:
        if made is not None:
            await save_artworks(
                session,
                [
                    {
                        "hash": made.hash,
                        "width": made.width,
                        "height": made.height,
                        "sizes": list(made.sizes),
                        "color": made.color,
                    }
                ],
            )
        return await set_playlist_mosaic(
            session,
            playlist_id,
            mosaic_hash=cover,
            mosaic_key=key_kept,
            expected_key=stored_key,
        )


def _make_mosaic(hashes: Sequence[str], store: ArtworkStore) -> Artwork | ArtworkRefusal:
    # Imported here, in the worker thread: Pillow stays out of processes that never make one.
    from tonearm.artwork.mosaic import make_mosaic

    return make_mosaic(hashes, store)
