"""Moving tracks, albums and playlists to the trash and back: the one path for both.

- ``delete_track``: the reader must see the track (else ``TrackNotFound``, like a random
  id) and own it (``catalog.access`` effective role OWNER; admins always), else
  ``EditNotAllowed``. Its row stays with state ``trashed`` and ``trash_id`` naming the
  entry, so likes, plays, comments, playlist entries and shares keep pointing at it while
  every read (``catalog.access``) and stream (``streaming.tracks``) hides it at once.
- ``delete_album``: the reader must own every available track of the album (admins
  always). Those tracks go to the album's entry; tracks already in the trash on their own
  keep their own entry. The album row stays (with ``is_available`` false), so restoring
  brings back the same id.
- ``delete_playlist``: ``playlists.service.delete_playlist`` checks the owner's right and
  sets ``trash_id``; items and collaborators stay.
- ``restore``: the entry must be one the reader sees (``queries.entry_visible``), else
  ``NotInTrash``; its objects come back as they were (same ids, so every row pointing at
  them — playlist items at their positions included — is back too).

Each write is one transaction; afterwards the grouping phase runs over the tracks whose
state changed (album counts, availability, artists' counts) and the covers of the
playlists holding them are brought in step. A stream URL minted before a delete may keep
working for up to the stream route's per-worker memo (10 s, ``StreamableTrackCache``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, can_manage, effective_role, parse_role
from tonearm.catalog.collaboration import (
    AlbumNotFound,
    EditNotAllowed,
    TrackNotFound,
    track_role_of,
    visible_album,
    visible_track,
)
from tonearm.catalog.states import TrackState
from tonearm.db.collaborators import track_roles
from tonearm.db.models import PlaylistItemRecord, PlaylistRecord, TrackRecord, TrashRecord, utcnow
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.playlists import service as playlists
from tonearm.services import Services
from tonearm.trash.queries import TrashKind, TrashRow, describe, find_entry

logger = logging.getLogger(__name__)


class NotInTrash(Exception):
    """No entry the reader sees holds this object (never deleted, restored, or purged)."""


async def delete_track(services: Services, reader: Reader, track_id: uuid.UUID) -> TrashRow:
    """Move a track to the trash (its owners and admins); returns the new entry."""
    async with services.sessions() as session:
        track = await visible_track(session, reader, track_id)
        if not can_manage(await track_role_of(session, reader, track)):
            raise EditNotAllowed("Only an owner of this track may delete it.")
        entry = _entry(TrashKind.TRACK, track.id, track.title, reader, track.uploaded_by)
        entry, moved = await _trash_tracks(session, entry, [TrackRecord.id == track.id])
        if not moved:  # deleted (or gone missing) since it was read
            raise TrackNotFound(str(track_id))
        row = (await describe(session, [entry]))[0]
        await session.commit()
    await after_state_change(services, moved)
    return row


async def delete_album(services: Services, reader: Reader, album_id: uuid.UUID) -> TrashRow:
    """Move every available track of an album to the trash (owners of all of them, admins)."""
    async with services.sessions() as session:
        album = await visible_album(session, reader, album_id)
        tracks = list(
            (
                await session.execute(
                    select(TrackRecord.id, TrackRecord.uploaded_by).where(
                        TrackRecord.album_id == album.id,
                        TrackRecord.state == TrackState.AVAILABLE.value,
                    )
                )
            ).all()
        )
        if not await _owns_all(session, reader, [row[0] for row in tracks]):
            raise EditNotAllowed("Only someone who owns every track of this album may delete it.")
        uploader = next((row[1] for row in tracks if row[1] is not None), None)
        entry = _entry(TrashKind.ALBUM, album.id, album.title, reader, uploader)
        entry, moved = await _trash_tracks(
            session,
            entry,
            [TrackRecord.album_id == album.id, TrackRecord.id.in_([row[0] for row in tracks])],
        )
        if not moved:
            raise AlbumNotFound(str(album_id))
        row = (await describe(session, [entry]))[0]
        await session.commit()
    await after_state_change(services, moved)
    return row


async def delete_playlist(services: Services, reader: Reader, playlist_id: uuid.UUID) -> TrashRow:
    """Move a playlist to the trash (its owner and admins)."""
    async with services.sessions() as session:
        entry_id = uuid.uuid4()
        record = await playlists.delete_playlist(
            session, reader=reader, playlist_id=playlist_id, trash_id=entry_id
        )
        entry = TrashRecord(
            id=entry_id,
            kind=TrashKind.PLAYLIST.value,
            target_id=record.id,
            name=record.name,
            owner_id=record.owner_id or reader.user_id,
            deleted_by=reader.user_id,
            deleted_at=utcnow(),
        )
        session.add(entry)
        await session.flush()
        row = (await describe(session, [entry]))[0]
        await session.commit()
    return row


async def restore(
    services: Services, reader: Reader, kind: TrashKind, target_id: uuid.UUID
) -> TrashRow:
    """Bring an object back from the trash as it was; returns the entry it left.

    ``NotInTrash`` when no entry the reader sees holds it (a second restore, a purge that
    came first, someone else's entry).
    """
    async with services.sessions() as session:
        entry = await find_entry(session, reader=reader, kind=kind, target_id=target_id, lock=True)
        if entry is None:
            raise NotInTrash(str(target_id))
        row = (await describe(session, [entry]))[0]
        gone = await session.execute(delete(TrashRecord).where(TrashRecord.id == entry.id))
        # Purged or restored by someone else meanwhile:
        if int(getattr(gone, "rowcount", 0) or 0) != 1:
            raise NotInTrash(str(target_id))
        track_ids: list[uuid.UUID] = []
        if kind is TrashKind.PLAYLIST:
            await session.execute(
                update(PlaylistRecord)
                .where(PlaylistRecord.id == target_id, PlaylistRecord.trash_id == entry.id)
                .values(trash_id=None, updated_at=PlaylistRecord.updated_at)
            )
        else:
            restored = await session.execute(
                update(TrackRecord)
                .where(TrackRecord.trash_id == entry.id)
                .values(
                    state=TrackState.AVAILABLE.value,
                    state_changed_at=None,
                    trash_id=None,
                    updated_at=TrackRecord.updated_at,
                )
                .returning(TrackRecord.id)
            )
            track_ids = list(restored.scalars().all())
        await session.commit()
    if track_ids:
        await after_state_change(services, track_ids)
    return row


def _entry(
    kind: TrashKind,
    target_id: uuid.UUID,
    name: str,
    reader: Reader,
    uploader: uuid.UUID | None,
) -> TrashRecord:
    # Whose trash it lands in: the owner who deleted it; when an admin deletes, the
    # uploader's (if any), so they can still restore their own upload.
    owner = uploader if reader.is_admin and uploader is not None else reader.user_id
    return TrashRecord(
        id=uuid.uuid4(),
        kind=kind.value,
        target_id=target_id,
        name=name or "",
        owner_id=owner,
        deleted_by=reader.user_id,
        deleted_at=utcnow(),
    )


async def _trash_tracks(
    session: AsyncSession, entry: TrashRecord, where: Sequence[ColumnElement[bool]]
) -> tuple[TrashRecord, list[uuid.UUID]]:
    """Move the available tracks ``where`` names into the entry, then write the entry.

    The UPDATE comes first and only takes tracks still available: of two racing deletes the
    second waits on the row locks and then finds nothing (no unique-index error), and an
    entry is only written when it holds something. An album entry that exists already (the
    album came back, e.g. a missing track reappeared, and is deleted again) takes the new
    tracks in: one entry per object.
    """
    existing = await session.scalar(
        select(TrashRecord).where(
            TrashRecord.kind == entry.kind, TrashRecord.target_id == entry.target_id
        )
    )
    if existing is not None:
        entry = existing
    moved = await session.execute(
        update(TrackRecord)
        .where(*where, TrackRecord.state == TrackState.AVAILABLE.value)
        .values(
            state=TrackState.TRASHED.value,
            state_changed_at=entry.deleted_at,
            trash_id=entry.id,
            updated_at=TrackRecord.updated_at,
        )
        .returning(TrackRecord.id)
    )
    track_ids = list(moved.scalars().all())
    if not track_ids:
        await session.rollback()
        return entry, track_ids
    if existing is None:
        session.add(entry)
        await session.flush()
    return entry, track_ids


async def _owns_all(session: AsyncSession, reader: Reader, track_ids: list[uuid.UUID]) -> bool:
    if reader.is_admin:
        return True
    if reader.user_id is None or not track_ids:
        return False
    roles = await track_roles(session, reader.user_id, track_ids)
    for track_id in track_ids:
        rows = roles.get(track_id)
        role = effective_role(
            reader,
            track_role=parse_role(rows.track_role) if rows else None,
            album_role=parse_role(rows.album_role) if rows else None,
        )
        if not can_manage(role):
            return False
    return True


async def after_state_change(
    services: Services,
    track_ids: Sequence[uuid.UUID],
    *,
    old_groups: set[str] | None = None,
    playlist_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    """The grouping phase over tracks whose state changed (or that were purged: their old
    album groups), then the covers of the playlists holding them.

    The change is committed: a failure here is logged and leaves it standing (the next
    scan or change regroups).
    """
    try:
        if playlist_ids is None:
            playlist_ids = await playlists_holding(services, track_ids)
        await group_tracks(
            services.sessions,
            GroupingChanges(written_ids=list(track_ids), old_groups=old_groups or set()),
        )
    except Exception:
        logger.exception("albums and artists not regrouped after a trash change")
        return
    if not playlist_ids:
        return
    # Loaded on the first change, as the playlist mutations do: not in every worker.
    from tonearm.playlists.covers import refresh_playlist_cover

    for playlist_id in playlist_ids:
        try:
            await refresh_playlist_cover(services, playlist_id)
        except Exception:
            logger.exception("cover of playlist %s not refreshed after a trash change", playlist_id)


async def playlists_holding(services: Services, track_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The static and file playlists with an item of these tracks."""
    if not track_ids:
        return []
    async with services.sessions() as session:
        found = await session.scalars(
            select(PlaylistItemRecord.playlist_id)
            .where(PlaylistItemRecord.track_id.in_(list(track_ids)))
            .distinct()
        )
        return list(found.all())
