"""Changing who may do what on a track or album: the rules of ``catalog.access`` applied.

Keyword-only functions over an ``AsyncSession`` (the caller commits). Every refusal is an
exception the GraphQL layer turns into a member of the mutation's result union; a track or
album the reader cannot see is ``TrackNotFound``/``AlbumNotFound``, exactly like an unknown
id.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import (
    AccessError,
    CollaboratorRole,
    Reader,
    album_visible,
    can_edit,
    can_manage,
    check_album_change,
    check_track_change,
    effective_role,
    parse_role,
    track_visible,
)
from tonearm.catalog.origins import TrackOrigin
from tonearm.db.collaborators import (
    album_roles,
    delete_album_role,
    delete_track_role,
    set_album_role,
    set_track_role,
    track_owners,
    track_roles,
    uploads_owned_only_by,
)
from tonearm.db.models import AlbumCollaboratorRecord, AlbumRecord, TrackRecord, UserRecord


class TrackNotFound(AccessError):
    """No track has this id, or the reader may not see it."""


class AlbumNotFound(AccessError):
    """No album has this id, or the reader may not see it."""


class EditNotAllowed(AccessError):
    """The reader sees it but their role does not allow the change."""


class UserNotFound(AccessError):
    """No account has this id."""


class CollaboratorNotFound(AccessError):
    """The user has no role of their own here to change or remove."""


class Change(enum.Enum):
    """What a collaborator mutation does."""

    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"


async def track_role_of(
    session: AsyncSession, reader: Reader, track: TrackRecord
) -> CollaboratorRole | None:
    """The reader's effective role on a track."""
    if reader.is_admin or reader.user_id is None:
        return effective_role(reader)
    rows = (await track_roles(session, reader.user_id, [track.id])).get(track.id)
    if rows is None:
        return None
    return effective_role(
        reader, track_role=parse_role(rows.track_role), album_role=parse_role(rows.album_role)
    )


async def album_role_of(
    session: AsyncSession, reader: Reader, album_id: uuid.UUID
) -> tuple[CollaboratorRole | None, bool]:
    """The reader's role on an album and whether they may edit one of its tracks."""
    if reader.is_admin or reader.user_id is None:
        role = effective_role(reader)
        return role, can_edit(role)
    stored, edits_a_track = (await album_roles(session, reader.user_id, [album_id]))[album_id]
    role = parse_role(stored)
    return role, can_edit(role) or edits_a_track


async def visible_track(session: AsyncSession, reader: Reader, track_id: uuid.UUID) -> TrackRecord:
    """The track, if the reader may see it; else ``TrackNotFound``."""
    record = await session.scalar(
        select(TrackRecord).where(TrackRecord.id == track_id, track_visible(reader))
    )
    if record is None:
        raise TrackNotFound(str(track_id))
    return record


async def visible_album(session: AsyncSession, reader: Reader, album_id: uuid.UUID) -> AlbumRecord:
    """The album, if the reader may see it; else ``AlbumNotFound``."""
    record = await session.scalar(
        select(AlbumRecord).where(AlbumRecord.id == album_id, album_visible(reader))
    )
    if record is None:
        raise AlbumNotFound(str(album_id))
    return record


async def _existing_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    if await session.scalar(select(UserRecord.id).where(UserRecord.id == user_id)) is None:
        raise UserNotFound(str(user_id))


async def change_track_collaborator(
    session: AsyncSession,
    reader: Reader,
    *,
    track_id: uuid.UUID,
    user_id: uuid.UUID,
    change: Change,
    role: CollaboratorRole | None = None,
) -> TrackRecord:
    """Add, update or remove one user's role on a track; returns the track."""
    track = await visible_track(session, reader, track_id)
    if not can_manage(await track_role_of(session, reader, track)):
        raise EditNotAllowed("only the track's owners may change who works on it")
    await _existing_user(session, user_id)
    rows = (await track_roles(session, user_id, [track.id]))[track.id]
    if change is not Change.ADD and rows.track_role is None:
        if rows.album_role == CollaboratorRole.OWNER:
            check_track_change(
                target_album_role=CollaboratorRole.OWNER,
                new_role=role,
                is_upload=False,
                other_owners=1,
            )
        raise CollaboratorNotFound(str(user_id))
    new_role = None if change is Change.REMOVE else role
    owners = await track_owners(session, track.id)
    check_track_change(
        # Adding an album owner with another role writes the row; they stay OWNER.
        target_album_role=None if change is Change.ADD else parse_role(rows.album_role),
        new_role=new_role,
        is_upload=track.origin == TrackOrigin.UPLOAD,
        other_owners=len(owners - {user_id}),
    )
    if new_role is None:
        await delete_track_role(session, track_id=track.id, user_id=user_id)
    else:
        await set_track_role(session, track_id=track.id, user_id=user_id, role=new_role.value)
    return track


async def change_album_collaborator(
    session: AsyncSession,
    reader: Reader,
    *,
    album_id: uuid.UUID,
    user_id: uuid.UUID,
    change: Change,
    role: CollaboratorRole | None = None,
) -> AlbumRecord:
    """Add, update or remove one user's role on an album; returns the album."""
    album = await visible_album(session, reader, album_id)
    own_role, _ = await album_role_of(session, reader, album.id)
    if not can_manage(own_role):
        raise EditNotAllowed("only the album's owners may change who works on it")
    await _existing_user(session, user_id)
    stored = await session.scalar(
        select(AlbumCollaboratorRecord.role).where(
            AlbumCollaboratorRecord.album_id == album.id,
            AlbumCollaboratorRecord.user_id == user_id,
        )
    )
    if change is not Change.ADD and stored is None:
        raise CollaboratorNotFound(str(user_id))
    new_role = None if change is Change.REMOVE else role
    if stored == CollaboratorRole.OWNER:
        orphaned = await uploads_owned_only_by(session, album_id=album.id, user_id=user_id)
        check_album_change(new_role=new_role, orphaned_uploads=orphaned)
    if new_role is None:
        await delete_album_role(session, album_id=album.id, user_id=user_id)
    else:
        await set_album_role(session, album_id=album.id, user_id=user_id, role=new_role.value)
    return album
