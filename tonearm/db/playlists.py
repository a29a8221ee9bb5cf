"""Writing the server's playlists (read from M3U files) and every playlist's mosaic cover.

Keyword-only functions over an ``AsyncSession``; what to write is decided by
``library/playlists.py`` (the scan phase) and ``playlists/covers.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import PlaylistItemRecord, PlaylistRecord, TrackRecord, utcnow

# The sparse position keys of the playlists package: item n (0-based) of a freshly written
# playlist is at (n + 1) · 2^32, so inserts and moves find room between neighbours.
POSITION_GAP = 1 << 32
FILE_KIND = "file"  # ``playlists.access.PlaylistKind.FILE`` (db imports nothing above it)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class KnownPlaylistFile:
    """What the registry remembers of a playlist file: its playlist and its stamp."""

    id: uuid.UUID
    stamp: str | None
    name: str


async def load_file_playlists(session: AsyncSession) -> dict[str, KnownPlaylistFile]:
    """Source path → id, stamp and name of every playlist read from a file."""
    rows = await session.execute(
        select(
            PlaylistRecord.source_path,
            PlaylistRecord.id,
            PlaylistRecord.source_stamp,
            PlaylistRecord.name,
        ).where(PlaylistRecord.kind == FILE_KIND, PlaylistRecord.source_path.is_not(None))
    )
    return {str(path): KnownPlaylistFile(id_, stamp, name) for path, id_, stamp, name in rows}


async def all_playlists(session: AsyncSession) -> list[PlaylistRecord]:
    """Every playlist (the scan brings their covers in step when album covers changed)."""
    return list(await session.scalars(select(PlaylistRecord).order_by(PlaylistRecord.id)))


async def scanned_track_ids(session: AsyncSession, paths: Iterable[str]) -> dict[str, uuid.UUID]:
    """Path → id of the scanned tracks (``origin = 'library'``) at these relative paths."""
    wanted = sorted(set(paths))
    found: dict[str, uuid.UUID] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = await session.execute(
            select(TrackRecord.path, TrackRecord.id).where(
                TrackRecord.path.in_(wanted[start : start + _CHUNK]),
                TrackRecord.origin == "library",
            )
        )
        found.update((str(path), id_) for path, id_ in rows)
    return found


async def item_track_ids(session: AsyncSession, playlist_id: uuid.UUID) -> list[uuid.UUID]:
    """The track of each item of a playlist, in order."""
    rows = await session.scalars(
        select(PlaylistItemRecord.track_id)
        .where(PlaylistItemRecord.playlist_id == playlist_id)
        .order_by(PlaylistItemRecord.position)
    )
    return list(rows)


async def save_file_playlist(
    session: AsyncSession,
    *,
    source_path: str,
    stamp: str,
    name: str,
    sort_name: str,
    track_ids: Sequence[uuid.UUID],
    existing: uuid.UUID | None,
) -> tuple[uuid.UUID, bool]:
    """Create or update the server's playlist of a file; returns its id and whether its
    items changed.

    The items are replaced only when the file now resolves to other tracks (in order), so
    an edit that changes nothing of them (a comment, the name) keeps every item's id.
    """
    now = utcnow()
    if existing is None:
        playlist_id = uuid.uuid4()
        await session.execute(
            insert(PlaylistRecord).values(
                id=playlist_id,
                owner_id=None,
                kind=FILE_KIND,
                name=name,
                sort_name=sort_name,
                is_public=True,
                is_collaborative=False,
                source_path=source_path,
                source_stamp=stamp,
                created_at=now,
                updated_at=now,
            )
        )
        await _insert_items(session, playlist_id, track_ids, now)
        return playlist_id, True
    current = await item_track_ids(session, existing)
    items_changed = current != list(track_ids)
    values: dict[str, object] = {"source_stamp": stamp, "name": name, "sort_name": sort_name}
    if items_changed:
        await session.execute(
            delete(PlaylistItemRecord).where(PlaylistItemRecord.playlist_id == existing)
        )
        await _insert_items(session, existing, track_ids, now)
        values["updated_at"] = now
    else:
        values["updated_at"] = PlaylistRecord.updated_at  # nothing a listener sees changed
    await session.execute(
        update(PlaylistRecord).where(PlaylistRecord.id == existing).values(**values)
    )
    return existing, items_changed


async def _insert_items(
    session: AsyncSession, playlist_id: uuid.UUID, track_ids: Sequence[uuid.UUID], now: object
) -> None:
    if not track_ids:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "playlist_id": playlist_id,
            "track_id": track_id,
            "position": (index + 1) * POSITION_GAP,
            "added_by": None,
            "added_at": now,
        }
        for index, track_id in enumerate(track_ids)
    ]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(PlaylistItemRecord), rows[start : start + _CHUNK])


async def delete_file_playlists(session: AsyncSession, paths: Iterable[str]) -> int:
    """Remove the server's playlists of these files (their items go with them)."""
    pending = sorted(set(paths))
    removed = 0
    for start in range(0, len(pending), _CHUNK):
        result = await session.execute(
            delete(PlaylistRecord).where(
                PlaylistRecord.kind == FILE_KIND,
                PlaylistRecord.source_path.in_(pending[start : start + _CHUNK]),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


async def set_playlist_mosaic(
    session: AsyncSession,
    playlist_id: uuid.UUID,
    *,
    mosaic_hash: str | None,
    mosaic_key: str | None,
    expected_key: str | None,
) -> bool:
    """Set a playlist's mosaic if its fingerprint is still ``expected_key``; whether it was.

    The condition makes concurrent refreshes safe: one that read an older state finds the
    key changed, reads again and decides anew. ``updated_at`` is left alone (a cover is
    derived, not an edit).
    """
    condition = (
        PlaylistRecord.mosaic_key.is_(None)
        if expected_key is None
        else PlaylistRecord.mosaic_key == expected_key
    )
    result = await session.execute(
        update(PlaylistRecord)
        .where(PlaylistRecord.id == playlist_id, condition)
        .values(
            mosaic_hash=mosaic_hash,
            mosaic_key=mosaic_key,
            updated_at=PlaylistRecord.updated_at,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1
