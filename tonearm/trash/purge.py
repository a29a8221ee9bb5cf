"""Purging: what is in the trash (or missing) is deleted for good, files included.

One transaction per entry: the entry goes first (a conditional DELETE, so a second purge
of the same entry, or a restore racing it, finds nothing: ``NotInTrash``), then what
refers to the objects without a foreign key — likes, comments and shares naming them —
then the objects' rows. Deleting a track row cascades to its plays, play counts, playlist
items, collaborators, credits and variant rows; a playlist row to its items and
collaborators.

Files are removed after the commit, in worker threads:

- an uploaded track's stored file and every variant of it;
- a scanned track's file only with ``TONEARM_ALLOW_FILE_DELETION``; otherwise its path goes
  into ``purged_paths`` (in the same transaction) so the next scan does not bring it back
  (``tonearm scan --include-purged`` undoes that); its variants are removed either way.

A file is removed only when its folder resolves inside its root; a symlink is removed
itself, never what it points at. Then the grouping phase runs over the purged tracks' old
album groups (an album left with no track rows goes) and the covers of the playlists that
held them are brought in step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader
from tonearm.catalog.origins import TrackOrigin
from tonearm.catalog.states import TrackState
from tonearm.db.entities import refresh_artist_counts, remove_empty_albums
from tonearm.db.models import (
    CommentRecord,
    LikeRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    PurgedPathRecord,
    ShareRecord,
    TrackRecord,
    TrashRecord,
)
from tonearm.paths import is_inside
from tonearm.services import Services
from tonearm.storage.base import ObjectStorage, StorageUnavailable
from tonearm.storage.keys import variant_prefix
from tonearm.transcoding.store import VariantStore
from tonearm.trash.queries import TrashKind, entry_visible, find_entry
from tonearm.trash.service import NotInTrash, after_state_change

logger = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) list
EMPTY_BATCH = 100
_PURGED_COLUMNS = (
    TrackRecord.id,
    TrackRecord.origin,
    TrackRecord.path,
    TrackRecord.album_group,
    TrackRecord.storage_key,
)


@dataclass
class Purged:
    """What a purge deleted, for the work after its commit."""

    track_ids: list[uuid.UUID] = field(default_factory=list)
    album_groups: set[str] = field(default_factory=set)
    playlist_ids: set[uuid.UUID] = field(default_factory=set)  # playlists whose items went
    files: list[tuple[str, str]] = field(default_factory=list)  # (root, stored path)
    object_keys: list[str] = field(default_factory=list)  # originals in remote storage


async def purge(
    services: Services, reader: Reader, kind: TrashKind, target_id: uuid.UUID
) -> TrashKind:
    """Delete an object in the trash for good (or, for an admin, a missing track).

    ``NotInTrash`` when no entry the reader sees holds it and it is no missing track an
    admin may purge.
    """
    purged = Purged()
    async with services.sessions() as session:
        entry = await find_entry(session, reader=reader, kind=kind, target_id=target_id, lock=True)
        if entry is not None:
            await _purge_entry(session, services, entry, reader.user_id, purged)
        elif kind is TrashKind.TRACK and reader.is_admin:
            if not await _purge_missing(session, services, [target_id], reader.user_id, purged):
                raise NotInTrash(str(target_id))
        else:
            raise NotInTrash(str(target_id))
        await session.commit()
    await after_purge(services, purged)
    return kind


async def empty_trash(services: Services, reader: Reader) -> int:
    """Purge every entry ``reader`` sees (admins: everyone's); how many went."""
    count = 0
    tried: set[uuid.UUID] = set()  # each entry once, whatever happens to it meanwhile
    while True:
        async with services.sessions() as session:
            entries = list(
                (
                    await session.scalars(
                        select(TrashRecord.id)
                        .where(entry_visible(reader))
                        .order_by(TrashRecord.deleted_at, TrashRecord.id)
                        .limit(EMPTY_BATCH)
                    )
                ).all()
            )
        fresh = [entry_id for entry_id in entries if entry_id not in tried]
        if not fresh:
            return count
        for entry_id in fresh:
            tried.add(entry_id)
            if await purge_entry(services, entry_id, purged_by=reader.user_id):
                count += 1


async def purge_entry(
    services: Services, entry_id: uuid.UUID, *, purged_by: uuid.UUID | None
) -> bool:
    """Purge one entry by its own id, whoever's it is (the sweep, ``emptyTrash``); False
    when it was gone already."""
    purged = Purged()
    async with services.sessions() as session:
        entry = await session.scalar(
            select(TrashRecord).where(TrashRecord.id == entry_id).with_for_update()
        )
        if entry is None:
            return False
        try:
            await _purge_entry(session, services, entry, purged_by, purged)
        except NotInTrash:
            return False
        await session.commit()
    await after_purge(services, purged)
    return True


async def purge_missing_tracks(
    services: Services, track_ids: Sequence[uuid.UUID], *, purged_by: uuid.UUID | None
) -> int:
    """Purge those of these tracks that are missing (the sweep); how many went."""
    purged = Purged()
    async with services.sessions() as session:
        count = await _purge_missing(session, services, track_ids, purged_by, purged)
        await session.commit()
    await after_purge(services, purged)
    return count


async def _purge_entry(
    session: AsyncSession,
    services: Services,
    entry: TrashRecord,
    purged_by: uuid.UUID | None,
    purged: Purged,
) -> None:
    gone = await session.execute(delete(TrashRecord).where(TrashRecord.id == entry.id))
    if int(getattr(gone, "rowcount", 0) or 0) != 1:
        raise NotInTrash(str(entry.target_id))
    kind = TrashKind(entry.kind)
    if kind is TrashKind.PLAYLIST:
        await _forget_references(session, TrashKind.PLAYLIST, [entry.target_id])
        await session.execute(
            delete(PlaylistRecord).where(
                PlaylistRecord.id == entry.target_id, PlaylistRecord.trash_id == entry.id
            )
        )
        return
    if kind is TrashKind.ALBUM:
        await _forget_references(session, TrashKind.ALBUM, [entry.target_id])
    tracks = list(
        (
            await session.execute(select(*_PURGED_COLUMNS).where(TrackRecord.trash_id == entry.id))
        ).all()
    )
    await _delete_tracks(session, services, tracks, purged_by, purged)


async def _purge_missing(
    session: AsyncSession,
    services: Services,
    track_ids: Sequence[uuid.UUID],
    purged_by: uuid.UUID | None,
    purged: Purged,
) -> int:
    tracks = list(
        (
            await session.execute(
                select(*_PURGED_COLUMNS)
                .where(
                    TrackRecord.id.in_(list(track_ids)),
                    TrackRecord.state == TrackState.MISSING.value,
                )
                .with_for_update()
            )
        ).all()
    )
    await _delete_tracks(session, services, tracks, purged_by, purged)
    return len(tracks)


async def _delete_tracks(
    session: AsyncSession,
    services: Services,
    tracks: Sequence[tuple[uuid.UUID, str, str, str | None, str | None]],
    purged_by: uuid.UUID | None,
    purged: Purged,
) -> None:
    if not tracks:
        return
    settings = services.settings
    ids = [row[0] for row in tracks]
    for chunk in _chunks(ids):
        held = await session.scalars(
            select(PlaylistItemRecord.playlist_id)
            .where(PlaylistItemRecord.track_id.in_(chunk))
            .distinct()
        )
        purged.playlist_ids.update(held.all())
    await _forget_references(session, TrashKind.TRACK, ids)
    kept_paths: list[str] = []
    for track_id, origin, path, album_group, storage_key in tracks:
        purged.track_ids.append(track_id)
        if album_group:
            purged.album_groups.add(album_group)
        if storage_key is not None:
            purged.object_keys.append(storage_key)
        elif origin == TrackOrigin.UPLOAD:
            purged.files.append((str(services.uploads_root), path))
        elif settings.allow_file_deletion:
            purged.files.append((str(services.media_root), path))
        else:
            kept_paths.append(path)
    if kept_paths:
        # Paths are unique among tracks, so only one left over by an earlier purge (of a
        # track the scan brought back with --include-purged) can already be there.
        known = set(
            (
                await session.scalars(
                    select(PurgedPathRecord.path).where(PurgedPathRecord.path.in_(kept_paths))
                )
            ).all()
        )
        session.add_all(
            PurgedPathRecord(path=path, purged_by=purged_by)
            for path in kept_paths
            if path not in known
        )
        await session.flush()
    for chunk in _chunks(ids):
        await session.execute(delete(TrackRecord).where(TrackRecord.id.in_(chunk)))


async def _forget_references(
    session: AsyncSession, kind: TrashKind, target_ids: Sequence[uuid.UUID]
) -> None:
    """Delete the likes, comments and shares naming these objects (no foreign key there)."""
    for chunk in _chunks(target_ids):
        for model in (LikeRecord, CommentRecord, ShareRecord):
            await session.execute(
                delete(model).where(model.kind == kind.value, model.target_id.in_(chunk))
            )


def _chunks(ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    return [list(ids[start : start + _CHUNK]) for start in range(0, len(ids), _CHUNK)]


async def after_purge(services: Services, purged: Purged) -> None:
    """After the commit: the files, then albums, artists and playlist covers."""
    if not purged.track_ids:
        return
    store = VariantStore.in_data_dir(services.settings.data_dir)
    await asyncio.to_thread(_remove_files, purged.files, store, purged.track_ids)
    await _remove_objects(services.storage, purged)
    if purged.album_groups:
        await after_state_change(
            services, [], old_groups=purged.album_groups, playlist_ids=sorted(purged.playlist_ids)
        )
        return
    try:
        async with services.sessions.begin() as session:
            await remove_empty_albums(session)
            await refresh_artist_counts(session)
    except Exception:
        logger.exception("artists not recounted after a purge")
    await after_state_change(services, [], playlist_ids=sorted(purged.playlist_ids))


async def _remove_objects(storage: ObjectStorage, purged: Purged) -> None:
    """Remote storage: the purged uploads' objects and every variant of the tracks."""
    if not storage.remote:
        return
    try:
        for key in purged.object_keys:
            await storage.delete(key)
        for track_id in purged.track_ids:
            await storage.delete_prefix(variant_prefix(track_id))
    except StorageUnavailable as error:
        logger.warning("a purged track's objects stay in the bucket: %s", error)


def _remove_files(
    files: Sequence[tuple[str, str]], store: VariantStore, track_ids: Sequence[uuid.UUID]
) -> None:
    """Blocking: remove purged files and variants (a worker thread)."""
    for root, stored_path in files:
        try:
            remove_confined(root, stored_path)
        except OSError:
            logger.warning("a purged track's file could not be removed", exc_info=True)
    for track_id in track_ids:
        store.remove_track(track_id)


def remove_confined(root: str, stored_path: str) -> bool:
    """Blocking: unlink ``stored_path`` under ``root`` if its folder resolves inside the root
    and it is a regular file or a symlink (the link itself goes); whether it was removed."""
    resolved_root = os.path.realpath(root)
    joined = os.path.join(resolved_root, stored_path)
    folder = os.path.realpath(os.path.dirname(joined))
    if not is_inside(folder, resolved_root):
        return False
    target = os.path.join(folder, os.path.basename(joined))
    if target == resolved_root or not is_inside(target, resolved_root):
        return False
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return False
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        return False
    Path(target).unlink(missing_ok=True)
    return True
