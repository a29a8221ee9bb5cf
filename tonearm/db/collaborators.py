"""Reading and writing the collaborator rows of tracks and albums (roles as stored strings).

The rules about what the rows mean live in ``catalog/access.py``; these functions only
read and write them, batched over many tracks or albums where a page needs them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import (
    AlbumCollaboratorRecord,
    TrackCollaboratorRecord,
    TrackRecord,
    UserRecord,
    utcnow,
)

OWNER = "owner"
EDITOR = "editor"
UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class RoleRows:
    """A user's rows on one track: its own and its album's (None: no row)."""

    track_role: str | None
    album_role: str | None


@dataclass(frozen=True, slots=True)
class CollaboratorRow:
    """One person's rows on a track (or album): role on the track and on its album."""

    user_id: uuid.UUID
    username: str
    track_role: str | None
    album_role: str | None
    added_at: datetime


def _insert(session: AsyncSession) -> object:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def track_roles(
    session: AsyncSession, user_id: uuid.UUID, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RoleRows]:
    """The user's track and album rows on each of these tracks, in one query."""
    if not track_ids:
        return {}
    statement = (
        select(TrackRecord.id, TrackCollaboratorRecord.role, AlbumCollaboratorRecord.role)
        .outerjoin(
            TrackCollaboratorRecord,
            and_(
                TrackCollaboratorRecord.track_id == TrackRecord.id,
                TrackCollaboratorRecord.user_id == user_id,
            ),
        )
        .outerjoin(
            AlbumCollaboratorRecord,
            and_(
                AlbumCollaboratorRecord.album_id == TrackRecord.album_id,
                AlbumCollaboratorRecord.user_id == user_id,
            ),
        )
        .where(TrackRecord.id.in_(set(track_ids)))
    )
    return {
        track_id: RoleRows(track_role, album_role)
        for track_id, track_role, album_role in await session.execute(statement)
    }


async def album_roles(
    session: AsyncSession, user_id: uuid.UUID, album_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, bool]]:
    """Per album: the user's album row (None: none) and whether they may edit one of its
    tracks through a track row (owner or editor)."""
    found: dict[uuid.UUID, tuple[str | None, bool]] = dict.fromkeys(album_ids, (None, False))
    if not album_ids:
        return found
    rows = await session.execute(
        select(AlbumCollaboratorRecord.album_id, AlbumCollaboratorRecord.role).where(
            AlbumCollaboratorRecord.user_id == user_id,
            AlbumCollaboratorRecord.album_id.in_(set(album_ids)),
        )
    )
    for album_id, role in rows:
        found[album_id] = (role, False)
    editable = await session.execute(
        select(TrackRecord.album_id)
        .join(TrackCollaboratorRecord, TrackCollaboratorRecord.track_id == TrackRecord.id)
        .where(
            TrackCollaboratorRecord.user_id == user_id,
            TrackCollaboratorRecord.role.in_((OWNER, EDITOR)),
            TrackRecord.album_id.in_(set(album_ids)),
        )
        .distinct()
    )
    for (linked,) in editable:
        if linked is not None:
            found[linked] = (found[linked][0], True)
    return found


async def track_collaborators(
    session: AsyncSession, tracks: Sequence[tuple[uuid.UUID, uuid.UUID | None]]
) -> dict[uuid.UUID, list[CollaboratorRow]]:
    """Everyone with a row on each track or on its album: ``tracks`` are (id, album id).

    Two queries for any number of tracks; each list is ordered by when the person was
    added, then by name.
    """
    found: dict[uuid.UUID, dict[uuid.UUID, CollaboratorRow]] = {t: {} for t, _ in tracks}
    if not tracks:
        return {}
    track_rows = await session.execute(
        select(
            TrackCollaboratorRecord.track_id,
            TrackCollaboratorRecord.user_id,
            UserRecord.username,
            TrackCollaboratorRecord.role,
            TrackCollaboratorRecord.created_at,
        )
        .join(UserRecord, UserRecord.id == TrackCollaboratorRecord.user_id)
        .where(TrackCollaboratorRecord.track_id.in_(set(found)))
    )
    for track_id, user_id, username, role, added in track_rows:
        found[track_id][user_id] = CollaboratorRow(user_id, username, role, None, added)
    albums: dict[uuid.UUID, list[uuid.UUID]] = {}
    for track_id, album_id in tracks:
        if album_id is not None:
            albums.setdefault(album_id, []).append(track_id)
    for album_id, rows in (await album_collaborators(session, list(albums))).items():
        for row in rows:
            for track_id in albums[album_id]:
                known = found[track_id].get(row.user_id)
                found[track_id][row.user_id] = CollaboratorRow(
                    row.user_id,
                    row.username,
                    known.track_role if known else None,
                    row.album_role,
                    min(known.added_at, row.added_at) if known else row.added_at,
                )
    return {
        track_id: sorted(rows.values(), key=lambda r: (r.added_at, r.username.casefold()))
        for track_id, rows in found.items()
    }


async def album_collaborators(
    session: AsyncSession, album_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CollaboratorRow]]:
    """Everyone with a row on each album, by when they were added, then by name."""
    found: dict[uuid.UUID, list[CollaboratorRow]] = {album_id: [] for album_id in album_ids}
    if not album_ids:
        return found
    rows = await session.execute(
        select(
            AlbumCollaboratorRecord.album_id,
            AlbumCollaboratorRecord.user_id,
            UserRecord.username,
            AlbumCollaboratorRecord.role,
            AlbumCollaboratorRecord.created_at,
        )
        .join(UserRecord, UserRecord.id == AlbumCollaboratorRecord.user_id)
        .where(AlbumCollaboratorRecord.album_id.in_(set(album_ids)))
        .order_by(AlbumCollaboratorRecord.created_at, UserRecord.username_key)
    )
    for album_id, user_id, username, role, added in rows:
        found[album_id].append(CollaboratorRow(user_id, username, None, role, added))
    return found


async def set_track_role(
    session: AsyncSession, *, track_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    """Give a user a role on a track (replacing the role they had)."""
    statement = _insert(session)(TrackCollaboratorRecord.__table__)  # type: ignore[operator]
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["track_id", "user_id"], set_={"role": statement.excluded.role}
        ),
        [{"track_id": track_id, "user_id": user_id, "role": role, "created_at": utcnow()}],
    )


async def delete_track_role(
    session: AsyncSession, *, track_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Remove a user's row on a track; False when there was none."""
    result = await session.execute(
        delete(TrackCollaboratorRecord).where(
            TrackCollaboratorRecord.track_id == track_id, TrackCollaboratorRecord.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def set_album_role(
    session: AsyncSession, *, album_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    """Give a user a role on an album (replacing the role they had)."""
    statement = _insert(session)(AlbumCollaboratorRecord.__table__)  # type: ignore[operator]
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["album_id", "user_id"], set_={"role": statement.excluded.role}
        ),
        [{"album_id": album_id, "user_id": user_id, "role": role, "created_at": utcnow()}],
    )


async def delete_album_role(
    session: AsyncSession, *, album_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Remove a user's row on an album; False when there was none."""
    result = await session.execute(
        delete(AlbumCollaboratorRecord).where(
            AlbumCollaboratorRecord.album_id == album_id, AlbumCollaboratorRecord.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def track_owners(session: AsyncSession, track_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone who owns the track: owner rows on it and on its album."""
    track = select(TrackCollaboratorRecord.user_id).where(
        TrackCollaboratorRecord.track_id == track_id, TrackCollaboratorRecord.role == OWNER
    )
    album = (
        select(AlbumCollaboratorRecord.user_id)
        .join(TrackRecord, TrackRecord.album_id == AlbumCollaboratorRecord.album_id)
        .where(TrackRecord.id == track_id, AlbumCollaboratorRecord.role == OWNER)
    )
    owners = set((await session.scalars(track)).all())
    return owners | set((await session.scalars(album)).all())


async def uploads_owned_only_by(
    session: AsyncSession, *, album_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    """How many uploaded tracks of the album have no owner but ``user_id``'s album row."""
    other_album_owner = select(func.count()).where(
        AlbumCollaboratorRecord.album_id == album_id,
        AlbumCollaboratorRecord.role == OWNER,
        AlbumCollaboratorRecord.user_id != user_id,
    )
    if int(await session.scalar(other_album_owner) or 0):
        return 0
    owned = select(TrackCollaboratorRecord.track_id).where(TrackCollaboratorRecord.role == OWNER)
    statement = select(func.count()).where(
        TrackRecord.album_id == album_id,
        TrackRecord.origin == UPLOAD,
        TrackRecord.id.not_in(owned),
    )
    return int(await session.scalar(statement) or 0)
