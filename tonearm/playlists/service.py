"""Changing playlists: create, update, delete; add, remove and move items; collaborators.

Every write first finds the playlist through ``access.playlist_visible`` (not visible is
``PlaylistNotFound``, exactly like a random id), then checks the right to change it
(``EditNotAllowed``). Functions run in the caller's transaction and flush; the caller
commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, track_visible
from tonearm.catalog.text import sort_text
from tonearm.db.models import (
    PlaylistCollaboratorRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    TrackRecord,
    UserRecord,
    utcnow,
)
from tonearm.playlists.access import (
    PlaylistKind,
    can_change_items,
    can_change_settings,
    playlist_visible,
)
from tonearm.playlists.positions import keys_between, renumber
from tonearm.playlists.rules import SmartRules

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_ITEMS = 50_000
MAX_BATCH = 1_000


class PlaylistError(Exception):
    """Base class of the refusals below."""


class PlaylistNotFound(PlaylistError):
    """No playlist with this id that the reader may see."""

    def __init__(self, playlist_id: uuid.UUID) -> None:
        super().__init__("No playlist has this ID.")
        self.playlist_id = playlist_id


class EditNotAllowed(PlaylistError):
    """The reader sees the playlist but may not make this change."""


class InvalidPlaylistInput(PlaylistError):
    """A field of the input is not acceptable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvalidPosition(PlaylistError):
    """A position outside the playlist."""

    def __init__(self, position: int, count: int) -> None:
        super().__init__(f"Position {position} is outside 0..{count}.")
        self.position = position
        self.count = count


class PlaylistTooLong(PlaylistError):
    """More items than a playlist (or one call) may hold."""

    def __init__(self, limit: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class TrackNotFound(PlaylistError):
    """A track id that is not a track the reader may see."""

    def __init__(self, track_id: uuid.UUID) -> None:
        super().__init__("No track has this ID.")
        self.track_id = track_id


class ItemNotFound(PlaylistError):
    """An item id that is not an item of this playlist."""

    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__("This playlist has no item with this ID.")
        self.item_id = item_id


class UserNotFound(PlaylistError):
    """A user id that is not an enabled account."""

    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__("No enabled account has this ID.")
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class PlaylistChanges:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    is_public: bool | None = None
    is_collaborative: bool | None = None
    rules: SmartRules | None = None


def checked_name(name: str) -> str:
    """The name to store (surrounding blanks trimmed); ``InvalidPlaylistInput`` if unfit."""
    trimmed = name.strip()
    if not trimmed:
        raise InvalidPlaylistInput("name", "A playlist needs a name.")
    if len(trimmed) > MAX_NAME_LENGTH:
        raise InvalidPlaylistInput("name", f"A name has at most {MAX_NAME_LENGTH} characters.")
    return trimmed


def checked_description(description: str | None) -> str | None:
    """The description to store (blank: none); ``InvalidPlaylistInput`` when too long."""
    if description is None or not description.strip():
        return None
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidPlaylistInput(
            "description", f"A description has at most {MAX_DESCRIPTION_LENGTH} characters."
        )
    return description


def _owner(reader: Reader) -> uuid.UUID:
    # The GraphQL layer refuses signed-out and account-less viewers before this.
    if reader.user_id is None:
        raise EditNotAllowed("Playlists belong to accounts: sign in with one.")
    return reader.user_id


async def create_playlist(
    session: AsyncSession,
    *,
    reader: Reader,
    name: str,
    description: str | None = None,
    is_public: bool = False,
    is_collaborative: bool = False,
    rules: SmartRules | None = None,
) -> PlaylistRecord:
    """A new static playlist (or smart, with ``rules``) owned by the reader."""
    owner_id = _owner(reader)
    stored = checked_name(name)
    record = PlaylistRecord(
        owner_id=owner_id,
        kind=(PlaylistKind.SMART if rules is not None else PlaylistKind.STATIC).value,
        name=stored,
        description=checked_description(description),
        is_public=is_public,
        is_collaborative=is_collaborative and rules is None,
        rules=rules.to_json() if rules is not None else None,
        sort_name=sort_text(stored),
    )
    session.add(record)
    await session.flush()
    return record


async def visible_playlist(
    session: AsyncSession, *, reader: Reader, playlist_id: uuid.UUID, lock: bool = False
) -> PlaylistRecord:
    """The playlist if ``reader`` may see it; ``PlaylistNotFound`` otherwise."""
    statement = select(PlaylistRecord).where(
        PlaylistRecord.id == playlist_id, playlist_visible(reader)
    )
    if lock:
        statement = statement.with_for_update(of=PlaylistRecord)
    record = (await session.scalars(statement)).one_or_none()
    if record is None:
        raise PlaylistNotFound(playlist_id)
    return record


async def is_collaborator(
    session: AsyncSession, *, playlist_id: uuid.UUID, user_id: uuid.UUID | None
) -> bool:
    """Whether ``user_id`` has a collaborator row on the playlist."""
    if user_id is None:
        return False
    statement = select(
        exists().where(
            PlaylistCollaboratorRecord.playlist_id == playlist_id,
            PlaylistCollaboratorRecord.user_id == user_id,
        )
    )
    return bool(await session.scalar(statement))


async def _for_settings(
    session: AsyncSession, reader: Reader, playlist_id: uuid.UUID
) -> PlaylistRecord:
    record = await visible_playlist(session, reader=reader, playlist_id=playlist_id, lock=True)
    if not can_change_settings(reader, record):
        raise EditNotAllowed("Only its owner may change this playlist.")
    return record


async def _for_items(
    session: AsyncSession, reader: Reader, playlist_id: uuid.UUID
) -> PlaylistRecord:
    # The row lock serialises writers of one playlist, so neighbours read stay neighbours.
    record = await visible_playlist(session, reader=reader, playlist_id=playlist_id, lock=True)
    # Only someone who is neither owner nor admin needs their collaborator row looked up.
    collaborating = (
        not can_change_settings(reader, record)
        and record.is_collaborative
        and await is_collaborator(session, playlist_id=playlist_id, user_id=reader.user_id)
    )
    if not can_change_items(reader, record, is_collaborator=collaborating):
        if record.kind == PlaylistKind.SMART.value:
            raise EditNotAllowed("A smart playlist's tracks come from its rules.")
        if record.kind == PlaylistKind.FILE.value:
            raise EditNotAllowed("This playlist is the server's file: it is read-only.")
        raise EditNotAllowed("Only its owner and collaborators may change its tracks.")
    return record


async def update_playlist(
    session: AsyncSession, *, reader: Reader, playlist_id: uuid.UUID, changes: PlaylistChanges
) -> PlaylistRecord:
    """Apply ``changes`` (owner or admin; rules on a smart playlist only)."""
    record = await _for_settings(session, reader, playlist_id)
    if changes.rules is not None and record.kind != PlaylistKind.SMART.value:
        raise InvalidPlaylistInput("rules", "Only smart playlists have rules.")
    if changes.is_collaborative and record.kind != PlaylistKind.STATIC.value:
        raise InvalidPlaylistInput("isCollaborative", "Only static playlists take collaborators.")
    if changes.name is not None:
        record.name = checked_name(changes.name)
        record.sort_name = sort_text(record.name)
    if changes.description is not None:
        record.description = checked_description(changes.description)
    if changes.is_public is not None:
        record.is_public = changes.is_public
    if changes.is_collaborative is not None:
        record.is_collaborative = changes.is_collaborative
    if changes.rules is not None:
        record.rules = changes.rules.to_json()
    record.updated_at = utcnow()
    await session.flush()
    return record


async def delete_playlist(
    session: AsyncSession, *, reader: Reader, playlist_id: uuid.UUID, trash_id: uuid.UUID
) -> PlaylistRecord:
    """Move the playlist to the trash entry ``trash_id`` (owner or admin; not committed).

    Its items, collaborators and likes stay; ``access.playlist_visible`` hides it from
    everyone until ``tonearm.trash`` restores it (``trash_id`` cleared) or purges it (the
    row deleted, its items and collaborators with it). ``tonearm.trash.service`` writes
    the entry itself.
    """
    record = await _for_settings(session, reader, playlist_id)
    await session.execute(
        update(PlaylistRecord)
        .where(PlaylistRecord.id == record.id)
        .values(trash_id=trash_id, updated_at=PlaylistRecord.updated_at)
    )
    await session.flush()
    return record


async def item_count(session: AsyncSession, playlist_id: uuid.UUID) -> int:
    """How many items the playlist holds, whoever can see their tracks."""
    statement = (
        select(func.count())
        .select_from(PlaylistItemRecord)
        .where(PlaylistItemRecord.playlist_id == playlist_id)
    )
    return int(await session.scalar(statement) or 0)


async def _keys_at(
    session: AsyncSession,
    playlist_id: uuid.UUID,
    index: int,
    *,
    without: int | None = None,
) -> tuple[int | None, int | None]:
    """The keys of the items at ``index - 1`` and ``index`` (None past either end), the
    item whose key is ``without`` left out. Keys only, so the index alone answers."""
    item = PlaylistItemRecord
    conditions: list[Any] = [item.playlist_id == playlist_id]
    if without is not None:
        conditions.append(item.position != without)
    start = max(index - 1, 0)
    statement = (
        select(item.position)
        .where(*conditions)
        .order_by(item.position)
        .offset(start)
        .limit(2 if index > 0 else 1)
    )
    keys = list((await session.scalars(statement)).all())
    if index == 0:
        return None, keys[0] if keys else None
    before = keys[0] if keys else None
    after = keys[1] if len(keys) > 1 else None
    return before, after


async def _fresh_keys(
    session: AsyncSession,
    playlist_id: uuid.UUID,
    index: int,
    count: int,
    *,
    moving: tuple[uuid.UUID, int] | None = None,
) -> list[int]:
    """Keys for ``count`` items at ``index`` (``moving``: the id and key of an item that
    moves there, left out of the neighbours), renumbering first when they do not fit."""
    without = moving[1] if moving else None
    before, after = await _keys_at(session, playlist_id, index, without=without)
    keys = keys_between(before, after, count)
    if keys is None:
        await renumber(session, playlist_id)
        if moving is not None:  # its key changed with every other
            item = PlaylistItemRecord
            without = await session.scalar(select(item.position).where(item.id == moving[0]))
        before, after = await _keys_at(session, playlist_id, index, without=without)
        keys = keys_between(before, after, count)
    assert keys is not None  # after a renumber every gap holds a batch of MAX_BATCH
    return keys


async def _touch(session: AsyncSession, record: PlaylistRecord) -> None:
    record.updated_at = utcnow()
    await session.flush()


async def add_to_playlist(
    session: AsyncSession,
    *,
    reader: Reader,
    playlist_id: uuid.UUID,
    track_ids: Sequence[uuid.UUID],
    position: int | None = None,
) -> PlaylistRecord:
    """Insert tracks (in order, duplicates allowed) before the item at ``position``.

    None or the item count appends. Every id must be a track the reader can see
    (``TrackNotFound`` names the first that is not); nothing changes on any refusal.
    """
    if len(track_ids) > MAX_BATCH:
        raise PlaylistTooLong(MAX_BATCH, f"At most {MAX_BATCH:,} tracks can be added at once.")
    record = await _for_items(session, reader, playlist_id)
    count = await item_count(session, record.id)
    index = count if position is None else position
    if not 0 <= index <= count:
        raise InvalidPosition(index, count)
    if not track_ids:
        return record
    if count + len(track_ids) > MAX_ITEMS:
        raise PlaylistTooLong(MAX_ITEMS, f"A playlist holds at most {MAX_ITEMS:,} tracks.")
    wanted = set(track_ids)
    seen = set(
        (
            await session.scalars(
                select(TrackRecord.id).where(TrackRecord.id.in_(wanted), track_visible(reader))
            )
        ).all()
    )
    for track_id in track_ids:
        if track_id not in seen:
            raise TrackNotFound(track_id)
    keys = await _fresh_keys(session, record.id, index, len(track_ids))
    now = utcnow()
    await session.execute(
        insert(PlaylistItemRecord),
        [
            {
                "id": uuid.uuid4(),
                "playlist_id": record.id,
                "track_id": track_id,
                "position": key,
                "added_by": reader.user_id,
                "added_at": now,
            }
            for track_id, key in zip(track_ids, keys, strict=True)
        ],
    )
    await _touch(session, record)
    return record


async def remove_from_playlist(
    session: AsyncSession,
    *,
    reader: Reader,
    playlist_id: uuid.UUID,
    item_ids: Sequence[uuid.UUID],
) -> PlaylistRecord:
    """Remove these items; ``ItemNotFound`` names the first that is not in the playlist."""
    if len(item_ids) > MAX_BATCH:
        raise PlaylistTooLong(MAX_BATCH, f"At most {MAX_BATCH:,} items can be removed at once.")
    record = await _for_items(session, reader, playlist_id)
    if not item_ids:
        return record
    item = PlaylistItemRecord
    present = set(
        (
            await session.scalars(
                select(item.id).where(item.playlist_id == record.id, item.id.in_(set(item_ids)))
            )
        ).all()
    )
    for item_id in item_ids:
        if item_id not in present:
            raise ItemNotFound(item_id)
    await session.execute(delete(item).where(item.playlist_id == record.id, item.id.in_(present)))
    await _touch(session, record)
    return record


async def move_playlist_item(
    session: AsyncSession,
    *,
    reader: Reader,
    playlist_id: uuid.UUID,
    item_id: uuid.UUID,
    to_position: int,
) -> PlaylistRecord:
    """Move one item so that it ends at index ``to_position`` (0 ≤ it < item count)."""
    record = await _for_items(session, reader, playlist_id)
    item = PlaylistItemRecord
    # Both halves read indexes only: the item by its id, the count off (playlist, position).
    total = select(func.count()).select_from(item).where(item.playlist_id == record.id)
    found = (
        await session.execute(
            select(item.position, total.scalar_subquery()).where(
                item.playlist_id == record.id, item.id == item_id
            )
        )
    ).one_or_none()
    if found is None:
        raise ItemNotFound(item_id)
    current, count = found
    if not 0 <= to_position < count:
        raise InvalidPosition(to_position, count)
    before, after = await _keys_at(session, record.id, to_position, without=current)
    if (before is None or before < current) and (after is None or current < after):
        return record  # already there
    (key,) = await _fresh_keys(session, record.id, to_position, 1, moving=(item_id, current))
    await session.execute(update(item).where(item.id == item_id).values(position=key))
    await _touch(session, record)
    return record


async def set_collaborators(
    session: AsyncSession,
    *,
    reader: Reader,
    playlist_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
) -> PlaylistRecord:
    """Replace the playlist's collaborators (owner or admin); every user must be enabled.

    The owner named among them is left out (they need no row).
    """
    record = await _for_settings(session, reader, playlist_id)
    if record.kind != PlaylistKind.STATIC.value:
        raise EditNotAllowed("Only static playlists take collaborators.")
    if len(user_ids) > MAX_BATCH:
        raise InvalidPlaylistInput("userIds", f"At most {MAX_BATCH:,} collaborators.")
    wanted = list(dict.fromkeys(user_ids))
    enabled = set(
        (
            await session.scalars(
                select(UserRecord.id).where(
                    UserRecord.id.in_(set(wanted)), UserRecord.is_active.is_(True)
                )
            )
        ).all()
    )
    for user_id in wanted:
        if user_id not in enabled:
            raise UserNotFound(user_id)
    collaborator = PlaylistCollaboratorRecord
    keep = [user_id for user_id in wanted if user_id != record.owner_id]
    await session.execute(
        delete(collaborator).where(
            collaborator.playlist_id == record.id, collaborator.user_id.not_in(keep)
        )
    )
    existing = set(
        (
            await session.scalars(
                select(collaborator.user_id).where(collaborator.playlist_id == record.id)
            )
        ).all()
    )
    new = [user_id for user_id in keep if user_id not in existing]
    if new:
        await session.execute(
            insert(collaborator),
            [
                {"playlist_id": record.id, "user_id": user_id, "created_at": utcnow()}
                for user_id in new
            ],
        )
    record.updated_at = utcnow()
    await session.flush()
    return record
