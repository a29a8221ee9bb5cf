"""Resolvers of the trash: ``trash``, ``deleteTrack``/``deleteAlbum``/``deletePlaylist``,
``restore``, ``purge`` and ``emptyTrash``, thin over ``tonearm.trash``."""

from __future__ import annotations

import uuid
from functools import partial

import strawberry
from strawberry.types.unset import UNSET

from tonearm.catalog.collaboration import AlbumNotFound, EditNotAllowed, TrackNotFound
from tonearm.catalog.pagination import TrashOrder, encode_cursor
from tonearm.db.models import AlbumRecord, PlaylistRecord, TrackRecord
from tonearm.playlists.service import EditNotAllowed as PlaylistEditNotAllowed
from tonearm.playlists.service import PlaylistNotFound
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.resolvers.playlists import (
    Asked,
    loaders_of,
    playlist_global_id,
    playlist_uuid,
    refusal,
    require_account,
)
from tonearm.schema.collaborator_types import AlbumNotFoundError, EditNotAllowedError, PublicUser
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import (
    ALBUM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    TRACK_TYPE_NAME,
    InvalidGlobalId,
    global_id,
    id_argument,
    parse_any_global_id,
)
from tonearm.schema.library_types import Album
from tonearm.schema.playlist_types import (
    DeletedPlaylist,
    DeletePlaylistResult,
    PlaylistNotFoundError,
)
from tonearm.schema.trash_types import (
    DeleteResult,
    EmptyTrashResult,
    NotInTrashError,
    Purged,
    PurgeResult,
    RestoreResult,
    TrashedObject,
    TrashEntry,
    TrashEntryConnection,
    TrashEntryEdge,
)
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.trash import purge as purging
from tonearm.trash import service
from tonearm.trash.queries import TrashKind, TrashRow, count_trash, list_trash, purge_at

Info = strawberry.Info[Context, None]
NOT_ALLOWED = "Only an owner may delete this."
NOT_IN_TRASH = "Nothing you can see in the trash has this ID."
_TYPE_NAMES = {
    TrashKind.TRACK: TRACK_TYPE_NAME,
    TrashKind.ALBUM: ALBUM_TYPE_NAME,
    TrashKind.PLAYLIST: PLAYLIST_TYPE_NAME,
}
_KINDS = {name: kind for kind, name in _TYPE_NAMES.items()}


def trash_entry(info: Info, row: TrashRow) -> TrashEntry:
    """The GraphQL view of a trash entry."""
    record = row.record
    retention = info.context.services.settings.trash_retention_days
    return TrashEntry(
        id=strawberry.ID(global_id(_TYPE_NAMES[row.kind], record.target_id)),
        kind=row.kind,
        name=record.name,
        object=_object(info, row),
        deleted_by=PublicUser.of(record.deleted_by, row.deleted_by_name)
        if record.deleted_by is not None and row.deleted_by_name is not None
        else None,
        deleted_at=record.deleted_at,
        purge_at=purge_at(record.deleted_at, retention),
        track_count=row.track_count,
    )


def _object(info: Info, row: TrashRow) -> TrashedObject | None:
    target = row.target
    if isinstance(target, TrackRecord):
        return Track.from_record(target)
    if isinstance(target, AlbumRecord):
        return Album.from_record(target)
    if isinstance(target, PlaylistRecord):
        return loaders_of(info.context).playlist(target)
    return None


def _target(value: str) -> tuple[TrashKind, uuid.UUID]:
    try:
        type_name, object_id = parse_any_global_id(value, tuple(_KINDS))
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, "Not a valid track, album or playlist ID.") from None
    return _KINDS[type_name], object_id


async def resolve_trash(
    info: Info, first: int | None = 50, after: str | None = UNSET
) -> TrashEntryConnection:
    """Your trash, most recently deleted first (admins: everyone's)."""
    page = checked_page(TrashOrder.NEWEST, first=first, after=after)
    context = info.context
    async with context.db() as session:
        result = await list_trash(session, reader=context.reader, page=page)
    edges = [
        TrashEntryEdge(
            cursor=encode_cursor(TrashOrder.NEWEST, row.record), node=trash_entry(info, row)
        )
        for row in result.records
    ]
    return TrashEntryConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context),
    )


async def _count(context: Context) -> int:
    async with context.db() as session:
        return await count_trash(session, reader=context.reader)


async def resolve_delete_track(info: Info, id: strawberry.ID) -> DeleteResult:
    """Move a track to the trash (its owners and admins)."""
    track_id = id_argument(id, TRACK_TYPE_NAME, "track")
    context = info.context
    try:
        row = await service.delete_track(context.services, context.reader, track_id)
    except TrackNotFound:
        return TrackNotFoundError(message="No track has this ID.", track_id=id)
    except EditNotAllowed:
        return EditNotAllowedError(message=NOT_ALLOWED)
    return trash_entry(info, row)


async def resolve_delete_album(info: Info, id: strawberry.ID) -> DeleteResult:
    """Move an album's tracks to the trash (owners of all of them, admins)."""
    album_id = id_argument(id, ALBUM_TYPE_NAME, "album")
    context = info.context
    try:
        row = await service.delete_album(context.services, context.reader, album_id)
    except AlbumNotFound:
        return AlbumNotFoundError(message="No album has this ID.", album_id=id)
    except EditNotAllowed:
        return EditNotAllowedError(message=NOT_ALLOWED)
    return trash_entry(info, row)


async def resolve_delete_playlist(info: Info, id: strawberry.ID) -> DeletePlaylistResult:
    """Move a playlist to the trash (its owner and admins)."""
    playlist_id = playlist_uuid(id)
    require_account(info)
    context = info.context
    try:
        await service.delete_playlist(context.services, context.reader, playlist_id)
    except (PlaylistNotFound, PlaylistEditNotAllowed) as refused:
        result = refusal(refused, Asked(id))
        assert isinstance(result, PlaylistNotFoundError | EditNotAllowedError)
        return result
    return DeletedPlaylist(id=playlist_global_id(playlist_id))


async def resolve_restore(info: Info, id: strawberry.ID) -> RestoreResult:
    """Bring something back from your trash as it was."""
    kind, target_id = _target(id)
    context = info.context
    try:
        row = await service.restore(context.services, context.reader, kind, target_id)
    except service.NotInTrash:
        return NotInTrashError(message=NOT_IN_TRASH, id=id)
    return trash_entry(info, row)


async def resolve_purge(info: Info, id: strawberry.ID) -> PurgeResult:
    """Delete something in your trash for good (admins: also a missing track)."""
    kind, target_id = _target(id)
    context = info.context
    try:
        await purging.purge(context.services, context.reader, kind, target_id)
    except service.NotInTrash:
        return NotInTrashError(message=NOT_IN_TRASH, id=id)
    return Purged(id=id, kind=kind)


async def resolve_empty_trash(info: Info) -> EmptyTrashResult:
    """Purge everything in your trash (admins: everyone's)."""
    context = info.context
    count = await purging.empty_trash(context.services, context.reader)
    return EmptyTrashResult(purged_count=count)
