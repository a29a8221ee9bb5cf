"""Resolvers of roles: ``viewerRole``/``canEdit``/``collaborators`` of tracks and albums
(one query per page through the request's loaders), the collaborator mutations and
``userByUsername``."""

from __future__ import annotations

import uuid

import strawberry
from graphql.pyutils import AwaitableOrValue

from tonearm.accounts.users import find_user
from tonearm.catalog.access import (
    AccessError,
    CollaboratorRole,
    InheritedOwnerError,
    LastOwnerError,
    can_edit,
    can_manage,
    effective_role,
    parse_role,
    shown_track_role,
)
from tonearm.catalog.collaboration import (
    AlbumNotFound,
    Change,
    CollaboratorNotFound,
    TrackNotFound,
    UserNotFound,
    change_album_collaborator,
    change_track_collaborator,
)
from tonearm.db.collaborators import CollaboratorRow, RoleRows
from tonearm.resolvers.albums import album_uuid
from tonearm.resolvers.loading import load_then, settled
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.collaborator_types import (
    AlbumNotFoundError,
    Collaborator,
    CollaboratorNotFoundError,
    EditNotAllowedError,
    PublicUser,
)
from tonearm.schema.collaborator_types import LastOwnerError as LastOwnerType
from tonearm.schema.context import Context
from tonearm.schema.editing_types import AlbumCollaboratorsResult, TrackCollaboratorsResult
from tonearm.schema.ids import USER_TYPE_NAME, id_argument
from tonearm.schema.library_types import Album
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.schema.users import UserNotFoundError

Info = strawberry.Info[Context, None]
NOT_YOURS = "Only owners may change who works on this."


def resolve_track_viewer_role(
    info: Info, track: Track
) -> AwaitableOrValue[CollaboratorRole | None]:
    """``Track.viewerRole``: the stronger of the viewer's track and album rows."""
    reader = info.context.reader
    if reader.is_admin or reader.user_id is None:
        return effective_role(reader)

    def convert(rows: RoleRows | None) -> CollaboratorRole | None:
        if rows is None:
            return None
        return effective_role(
            reader, track_role=parse_role(rows.track_role), album_role=parse_role(rows.album_role)
        )

    return load_then(info.context.track_roles_loader, track.track_id, convert)


def resolve_track_can_edit(info: Info, track: Track) -> AwaitableOrValue[bool]:
    """``Track.canEdit``: owners, editors and admins."""
    role = resolve_track_viewer_role(info, track)
    if role is None or isinstance(role, CollaboratorRole):
        return can_edit(role)
    return _later_can_edit(role)


async def _later_can_edit(role: AwaitableOrValue[CollaboratorRole | None]) -> bool:
    return can_edit(await settled(role))


def _track_collaborator(row: CollaboratorRow) -> Collaborator | None:
    role, inherited = shown_track_role(
        track_role=parse_role(row.track_role), album_role=parse_role(row.album_role)
    )
    if role is None:
        return None
    return Collaborator(
        user=PublicUser.of(row.user_id, row.username),
        role=role,
        inherited=inherited,
        added_at=row.added_at,
    )


async def resolve_track_collaborators(info: Info, track: Track) -> list[Collaborator]:
    """``Track.collaborators``: for owners and admins; empty for everyone else."""
    if not can_manage(await settled(resolve_track_viewer_role(info, track))):
        return []
    rows = await info.context.track_collaborators_loader.load((track.track_id, track.album_id))
    found = (_track_collaborator(row) for row in rows or [])
    return [collaborator for collaborator in found if collaborator is not None]


def _album_role(info: Info, album: Album) -> AwaitableOrValue[tuple[CollaboratorRole | None, bool]]:
    reader = info.context.reader
    if reader.is_admin or reader.user_id is None:
        role = effective_role(reader)
        return role, can_edit(role)

    def convert(found: tuple[str | None, bool] | None) -> tuple[CollaboratorRole | None, bool]:
        stored, edits_a_track = found or (None, False)
        role = parse_role(stored)
        return role, can_edit(role) or edits_a_track

    return load_then(info.context.album_roles_loader, album.album_id, convert)


def resolve_album_viewer_role(
    info: Info, album: Album
) -> AwaitableOrValue[CollaboratorRole | None]:
    """``Album.viewerRole``: the viewer's album row (admins: OWNER)."""
    found = _album_role(info, album)
    if isinstance(found, tuple):
        return found[0]
    return _first_later(found)


async def _first_later(
    found: AwaitableOrValue[tuple[CollaboratorRole | None, bool]],
) -> CollaboratorRole | None:
    return (await settled(found))[0]


def resolve_album_can_edit(info: Info, album: Album) -> AwaitableOrValue[bool]:
    """``Album.canEdit``: an album role that edits, or a track of it the viewer may edit."""
    found = _album_role(info, album)
    if isinstance(found, tuple):
        return found[1]
    return _second_later(found)


async def _second_later(found: AwaitableOrValue[tuple[CollaboratorRole | None, bool]]) -> bool:
    return (await settled(found))[1]


async def resolve_album_collaborators(info: Info, album: Album) -> list[Collaborator]:
    """``Album.collaborators``: for the album's owners and admins; empty for everyone else."""
    role, _ = await settled(_album_role(info, album))
    if not can_manage(role):
        return []
    rows = await info.context.album_collaborators_loader.load(album.album_id)
    return [
        Collaborator(
            user=PublicUser.of(row.user_id, row.username),
            role=CollaboratorRole(row.album_role),
            inherited=False,
            added_at=row.added_at,
        )
        for row in rows or []
        if row.album_role is not None
    ]


async def resolve_user_by_username(info: Info, username: str) -> PublicUser | None:
    """``userByUsername``: an enabled account by its exact name (any case), or null."""
    async with info.context.db() as session:
        user = await find_user(session, username)
    if user is None or not user.is_active:
        return None
    return PublicUser.of(user.id, user.username)


def _user_uuid(value: strawberry.ID) -> uuid.UUID:
    return id_argument(value, USER_TYPE_NAME, "user")


async def _change_track(
    info: Info,
    track_id: strawberry.ID,
    user_id: strawberry.ID,
    change: Change,
    role: CollaboratorRole | None = None,
) -> TrackCollaboratorsResult:
    track, user = track_uuid(track_id), _user_uuid(user_id)
    context = info.context
    async with context.db() as session:
        try:
            record = await change_track_collaborator(
                session, context.reader, track_id=track, user_id=user, change=change, role=role
            )
        except AccessError as refused:
            await session.rollback()
            return _track_refusal(refused, track_id, user_id)
        await session.commit()
    return Track.from_record(record)


def _track_refusal(
    refused: AccessError, track_id: strawberry.ID, user_id: strawberry.ID
) -> TrackCollaboratorsResult:
    if isinstance(refused, TrackNotFound):
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    if isinstance(refused, InheritedOwnerError):
        return EditNotAllowedError(
            message="They own the album: they own its tracks, whoever changes the track."
        )
    if isinstance(refused, UserNotFound):
        return UserNotFoundError(message="No account has this ID.", user_id=user_id)
    if isinstance(refused, CollaboratorNotFound):
        return CollaboratorNotFoundError(
            message="They have no role on this track.", user_id=user_id
        )
    if isinstance(refused, LastOwnerError):
        return LastOwnerType(message="An uploaded track keeps at least one owner.")
    return EditNotAllowedError(message=NOT_YOURS)


async def resolve_add_track_collaborator(
    info: Info, track_id: strawberry.ID, user_id: strawberry.ID, role: CollaboratorRole
) -> TrackCollaboratorsResult:
    """Give a user a role on a track (an album owner stays OWNER, inherited)."""
    return await _change_track(info, track_id, user_id, Change.ADD, role)


async def resolve_update_track_collaborator(
    info: Info, track_id: strawberry.ID, user_id: strawberry.ID, role: CollaboratorRole
) -> TrackCollaboratorsResult:
    """Change a collaborator's role on a track."""
    return await _change_track(info, track_id, user_id, Change.UPDATE, role)


async def resolve_remove_track_collaborator(
    info: Info, track_id: strawberry.ID, user_id: strawberry.ID
) -> TrackCollaboratorsResult:
    """Take a collaborator's role on a track away."""
    return await _change_track(info, track_id, user_id, Change.REMOVE)


async def _change_album(
    info: Info,
    album_id: strawberry.ID,
    user_id: strawberry.ID,
    change: Change,
    role: CollaboratorRole | None = None,
) -> AlbumCollaboratorsResult:
    album, user = album_uuid(album_id), _user_uuid(user_id)
    context = info.context
    async with context.db() as session:
        try:
            record = await change_album_collaborator(
                session, context.reader, album_id=album, user_id=user, change=change, role=role
            )
        except AccessError as refused:
            await session.rollback()
            return _album_refusal(refused, album_id, user_id)
        await session.commit()
    return Album.from_record(record)


def _album_refusal(
    refused: AccessError, album_id: strawberry.ID, user_id: strawberry.ID
) -> AlbumCollaboratorsResult:
    if isinstance(refused, AlbumNotFound):
        return AlbumNotFoundError(message="No album has this ID.", album_id=album_id)
    if isinstance(refused, UserNotFound):
        return UserNotFoundError(message="No account has this ID.", user_id=user_id)
    if isinstance(refused, CollaboratorNotFound):
        return CollaboratorNotFoundError(
            message="They have no role on this album.", user_id=user_id
        )
    if isinstance(refused, LastOwnerError):
        return LastOwnerType(message="The album's uploaded tracks keep at least one owner.")
    return EditNotAllowedError(message=NOT_YOURS)


async def resolve_add_album_collaborator(
    info: Info, album_id: strawberry.ID, user_id: strawberry.ID, role: CollaboratorRole
) -> AlbumCollaboratorsResult:
    """Give a user a role on an album and so on every track of it."""
    return await _change_album(info, album_id, user_id, Change.ADD, role)


async def resolve_update_album_collaborator(
    info: Info, album_id: strawberry.ID, user_id: strawberry.ID, role: CollaboratorRole
) -> AlbumCollaboratorsResult:
    """Change a collaborator's role on an album."""
    return await _change_album(info, album_id, user_id, Change.UPDATE, role)


async def resolve_remove_album_collaborator(
    info: Info, album_id: strawberry.ID, user_id: strawberry.ID
) -> AlbumCollaboratorsResult:
    """Take a collaborator's role on an album away."""
    return await _change_album(info, album_id, user_id, Change.REMOVE)
