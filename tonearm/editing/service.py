"""Editing a track or an album's fields: the one path from a person's change to the registry.

1. Validate the change (``InvalidTrackInput`` names the first bad field).
2. Check the editor may see (``TrackNotFound``/``AlbumNotFound``) and edit
   (``EditNotAllowed``) it (``catalog.access``).
3. Merge the change into ``tracks.overrides`` and apply them over the stored row with
   ``catalog.rows.apply_overrides`` (the same function the scanner applies over probed
   tags), so the derived columns — credits, album group, search text, sort keys — follow.
4. For an uploaded file, write the effective values into its tags (``editing/tags.py``, in
   a worker thread) and record its new size, mtime and SHA-256: variants made from the old
   bytes are then stale, and queued again when ``TONEARM_VARIANTS_ON_UPLOAD=eager``.
5. Commit, then run the grouping phase over the old and the new album group, so albums,
   artists and counts follow the edit.

``published`` is a flag of the registry: no override, no tag.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, can_edit, effective_role, parse_role
from tonearm.catalog.artists import artist_key
from tonearm.catalog.collaboration import (
    AlbumNotFound,
    EditNotAllowed,
    TrackNotFound,
    track_role_of,
    visible_album,
    visible_track,
)
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.origins import TrackOrigin
from tonearm.catalog.rows import OVERRIDE_FIELDS, apply_overrides
from tonearm.db.collaborators import track_roles
from tonearm.db.models import AlbumRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.services import Services
from tonearm.streaming.files import locate_track_file

if TYPE_CHECKING:
    from tonearm.editing.tags import WrittenFile

logger = logging.getLogger(__name__)

MAX_TEXT = 1024
MAX_LYRICS = 100_000
# Columns an edit may change: the overridable fields and what ``catalog.rows`` derives.
_DERIVED = (
    "artist",
    "artist_names",
    "featured_artist_names",
    "album_artist_names",
    "genres",
    "album_group",
    "search_text",
    "sort_library",
    "sort_title",
)
_WRITTEN = tuple(dict.fromkeys([*(key for key in OVERRIDE_FIELDS if key != "artists"), *_DERIVED]))
# AlbumInput field → the track field it sets.
ALBUM_FIELDS = {"title": "album", "album_artist": "album_artist", "year": "year", "genre": "genre"}


class InvalidTrackInput(Exception):
    """A field of an edit is not acceptable; ``field`` is its GraphQL input name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class TrackChange:
    """An edit of one track: override keys (snake_case) → values, and the published flag."""

    fields: Mapping[str, Any]
    published: bool | None = None


def _text_field(key: str, value: Any, *, limit: int = MAX_TEXT) -> None:
    name = OVERRIDE_FIELDS[key]
    if value is None:
        return
    if len(value) > limit:
        raise InvalidTrackInput(name, f"{name} is longer than {limit:,} characters.")
    if "\x00" in value:
        raise InvalidTrackInput(name, f"{name} cannot contain NUL characters.")


def validate_change(change: TrackChange) -> None:
    """Refuse the first field that breaks the rules (``InvalidTrackInput``)."""
    fields = change.fields
    if "title" in fields:
        title = fields["title"]
        if title is None or not title.strip():
            raise InvalidTrackInput("title", "The title cannot be empty.")
    for key in ("title", "album", "album_artist", "genre"):
        if key in fields:
            _text_field(key, fields[key])
    if "lyrics" in fields:
        _text_field("lyrics", fields["lyrics"], limit=MAX_LYRICS)
    if fields.get("artists") is not None:
        names = fields["artists"]
        if any(not name.strip() for name in names):
            raise InvalidTrackInput("artists", "An artist name cannot be empty.")
        if len(", ".join(names)) > MAX_TEXT or any(len(name) > MAX_TEXT for name in names):
            raise InvalidTrackInput("artists", f"artists are longer than {MAX_TEXT:,} characters.")
    for key in ("track_number", "disc_number"):
        value = fields.get(key)
        if value is not None and not 1 <= value <= 999:
            name = OVERRIDE_FIELDS[key]
            raise InvalidTrackInput(name, f"{name} must be between 1 and 999.")
    year = fields.get("year")
    if year is not None and not 1000 <= year <= 9999:
        raise InvalidTrackInput("year", "year must be between 1000 and 9999.")


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if key == "artists" and value is not None:
        return [name.strip() for name in value]
    return value


def _cleaned(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _clean(key, value) for key, value in fields.items()}


def _row_of(record: TrackRecord) -> dict[str, Any]:
    return {column.key: getattr(record, column.key) for column in TrackRecord.__table__.columns}


async def _may_edit(session: AsyncSession, reader: Reader, track: TrackRecord) -> None:
    if not can_edit(await track_role_of(session, reader, track)):
        raise EditNotAllowed("only owners and editors may change a track")


async def _apply(
    session: AsyncSession,
    services: Services,
    track: TrackRecord,
    change: TrackChange,
) -> tuple[bool, str | None]:
    """Write one track's change (not committed); returns (file changed, old album group)."""
    settings = services.settings
    old_group = track.album_group  # the update below refreshes the object
    keep_whole = frozenset(artist_key(name) for name in settings.artist_split_exceptions)
    edits = _cleaned(change.fields)
    overrides = {**(track.overrides or {}), **edits}
    row = apply_overrides(_row_of(track), overrides, keep_whole=keep_whole)
    values: dict[str, Any] = {key: row[key] for key in _WRITTEN}
    values["overrides"] = overrides
    if change.published is not None:
        values["is_published"] = change.published
    file_changed = False
    # An upload in remote storage keeps its edits in the registry only (``overrides``, applied
    # over its tags like every track's): rewriting the object would mean fetching it whole.
    if track.origin == TrackOrigin.UPLOAD and edits and track.storage_key is None:
        tag_values = {key: row[key] for key in edits if key != "artists"}
        if "artists" in edits:
            tag_values["artists"] = row["artist_names"]
        written = await asyncio.to_thread(
            _write_upload_tags, str(settings.resolved_uploads_dir), track, tag_values
        )
        values.update(
            size_bytes=written.size_bytes,
            mtime_ns=written.mtime_ns,
            content_hash=written.sha256,
        )
        file_changed = True
    await session.execute(update(TrackRecord).where(TrackRecord.id == track.id).values(**values))
    return file_changed, old_group


def _write_upload_tags(root: str, track: TrackRecord, fields: Mapping[str, Any]) -> WrittenFile:
    # Imported here, in the worker thread: a server worker loads mutagen only when someone
    # first edits an upload (as it loads the scanner only for a scan).
    from tonearm.editing.tags import write_tags

    located = locate_track_file(root, track.path)
    return write_tags(Path(located.path), AudioFormat(track.format), fields)


async def _after_edit(
    services: Services,
    tracks: Sequence[TrackRecord],
    old_groups: set[str],
    files_changed: list[uuid.UUID],
) -> None:
    await group_tracks(
        services.sessions,
        GroupingChanges(written_paths=[t.path for t in tracks], old_groups=old_groups),
    )
    if files_changed and services.settings.variants_on_upload == "eager":
        from tonearm.transcoding.jobs import enqueue_variants
        from tonearm.transcoding.queue import create_queue

        queue = await asyncio.to_thread(create_queue, services.settings)
        try:
            await enqueue_variants(queue, services.engine, files_changed)
        except Exception:  # the edit stands; the variants are made at their first play
            logger.warning("could not queue the variants of edited uploads", exc_info=True)
        finally:
            await asyncio.to_thread(queue.close)


async def update_track(
    services: Services, reader: Reader, track_id: uuid.UUID, change: TrackChange
) -> TrackRecord:
    """Apply an edit to one track; returns the track as stored afterwards."""
    validate_change(change)
    async with services.sessions() as session:
        track = await visible_track(session, reader, track_id)
        await _may_edit(session, reader, track)
        file_changed, old_group = await _apply(session, services, track, change)
        await session.commit()
    await _after_edit(
        services,
        [track],
        {old_group} if old_group else set(),
        [track.id] if file_changed else [],
    )
    async with services.sessions() as session:
        fresh = await session.scalar(select(TrackRecord).where(TrackRecord.id == track_id))
    if fresh is None:  # removed by a scan meanwhile
        raise TrackNotFound(str(track_id))
    return fresh


async def _editable_tracks(
    session: AsyncSession, reader: Reader, album: AlbumRecord
) -> list[TrackRecord]:
    tracks = list(
        (await session.scalars(select(TrackRecord).where(TrackRecord.album_id == album.id))).all()
    )
    if reader.is_admin:
        return tracks
    if reader.user_id is None:
        return []
    roles = await track_roles(session, reader.user_id, [t.id for t in tracks])
    editable = []
    for track in tracks:
        rows = roles.get(track.id)
        role = effective_role(
            reader,
            track_role=parse_role(rows.track_role) if rows else None,
            album_role=parse_role(rows.album_role) if rows else None,
        )
        if can_edit(role):
            editable.append(track)
    return editable


async def update_album(
    services: Services, reader: Reader, album_id: uuid.UUID, fields: Mapping[str, Any]
) -> AlbumRecord:
    """Set album fields on every track of the album the reader may edit; returns the album
    as regrouped (a new title or artist can make it another album, with another id)."""
    if "title" in fields and (fields["title"] is None or not fields["title"].strip()):
        raise InvalidTrackInput("title", "The album title cannot be empty.")
    change = TrackChange({ALBUM_FIELDS[key]: value for key, value in fields.items()})
    try:
        validate_change(change)
    except InvalidTrackInput as refused:
        names = {OVERRIDE_FIELDS[track]: album for album, track in ALBUM_FIELDS.items()}
        camel = {"album_artist": "albumArtist"}
        field = names.get(refused.field, refused.field)
        raise InvalidTrackInput(camel.get(field, field), refused.message) from None
    async with services.sessions() as session:
        album = await visible_album(session, reader, album_id)
        tracks = await _editable_tracks(session, reader, album)
        if not tracks:
            raise EditNotAllowed("you may not edit any track of this album")
        old_groups: set[str] = set()
        changed: list[uuid.UUID] = []
        for track in tracks:
            file_changed, old_group = await _apply(session, services, track, change)
            if old_group:
                old_groups.add(old_group)
            if file_changed:
                changed.append(track.id)
        await session.commit()
    await _after_edit(services, tracks, old_groups, changed)
    async with services.sessions() as session:
        new_album_id = await session.scalar(
            select(TrackRecord.album_id).where(TrackRecord.id == tracks[0].id)
        )
        fresh = await session.scalar(select(AlbumRecord).where(AlbumRecord.id == new_album_id))
    if fresh is None:
        raise AlbumNotFound(str(album_id))
    return fresh
