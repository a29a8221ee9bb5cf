"""Resolvers of playlists: the lists and lookups, a playlist's linked fields, the mutations.

A page of playlists costs one query per kind of link (owners, collaborators, counts,
covers) through the request's playlist loaders (``loaders_of``); writes go through
``playlists.service`` in the request's session and commit before the result is read.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import strawberry
from graphql.pyutils import AwaitableOrValue
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.unset import UNSET

from tonearm.catalog.pagination import (
    PlaylistItemOrder,
    PlaylistOrder,
    SmartOrder,
    encode_cursor,
)
from tonearm.db.models import PlaylistRecord
from tonearm.playlists import service
from tonearm.playlists.access import PlaylistKind, can_change_items, can_change_settings
from tonearm.playlists.queries import (
    ItemRow,
    PlaylistScope,
    PlaylistStats,
    collaborators_of,
    compiled_rules,
    count_playlists,
    list_playlists,
    playlist_stats,
    playlists_by_ids,
    smart_items,
    static_items,
    usernames_by_ids,
)
from tonearm.playlists.rules import InvalidSmartRules, parse_rules
from tonearm.playlists.service import (
    EditNotAllowed,
    InvalidPlaylistInput,
    InvalidPosition,
    ItemNotFound,
    PlaylistError,
    PlaylistNotFound,
    PlaylistTooLong,
    TrackNotFound,
    UserNotFound,
)
from tonearm.resolvers.loading import load_then, node_selection, prefetch_tracks
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.schema.collaborator_types import EditNotAllowedError, PublicUser
from tonearm.schema.context import Context, Loader
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import (
    PLAYLIST_ITEM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    USER_TYPE_NAME,
    global_id,
    id_argument,
    track_global_id,
)
from tonearm.schema.playlist_types import (
    CreatePlaylistResult,
    InvalidPlaylistInputError,
    InvalidPlaylistPositionError,
    InvalidSmartRulesError,
    Playlist,
    PlaylistCollaboratorsResult,
    PlaylistConnection,
    PlaylistInput,
    PlaylistItem,
    PlaylistItemConnection,
    PlaylistItemEdge,
    PlaylistItemNotFoundError,
    PlaylistItemsResult,
    PlaylistNotFoundError,
    PlaylistTooLongError,
    PlaylistUpdateInput,
    UpdatePlaylistResult,
)
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.schema.users import UserNotFoundError

logger = logging.getLogger(__name__)
Info = strawberry.Info[Context, None]
K = TypeVar("K")
V = TypeVar("V")
# A smart playlist's computed item ids: uuid5 of "<playlist uuid>:<track uuid>".
SMART_ITEM_NAMESPACE = uuid.NAMESPACE_URL


@dataclass
class PlaylistLoaders:
    """The request's playlist lookups, each batched over a level of the response."""

    context: Context
    records: dict[uuid.UUID, PlaylistRecord] = field(default_factory=dict)
    users: Loader[uuid.UUID, str | None] = field(init=False)
    collaborators: Loader[uuid.UUID, list[tuple[uuid.UUID, str]] | None] = field(init=False)
    stats: Loader[uuid.UUID, PlaylistStats | None] = field(init=False)
    playlists: Loader[uuid.UUID, PlaylistRecord | None] = field(init=False)

    def __post_init__(self) -> None:
        reader = self.context.reader
        self.users = self._loader(usernames_by_ids)
        self.collaborators = self._loader(collaborators_of)
        self.stats = self._loader(self._stats)
        self.playlists = self._loader(partial(playlists_by_ids, reader=reader))

    async def _stats(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, PlaylistStats]:
        records = [self.records[key] for key in keys]
        return await playlist_stats(session, records, reader=self.context.reader)

    def _loader(
        self, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, V]]]
    ) -> Loader[K, V | None]:
        context = self.context

        async def load(keys: Sequence[K]) -> list[V | None]:
            async with context.db() as session:
                found = await fetch(session, keys)
            return [found.get(key) for key in keys]

        return Loader(load_fn=load)

    def playlist(self, record: PlaylistRecord) -> Playlist:
        """The GraphQL playlist of a row, remembered for its counts."""
        self.records[record.id] = record
        return Playlist.from_record(record)


_LOADERS: weakref.WeakKeyDictionary[Context, PlaylistLoaders] = weakref.WeakKeyDictionary()


def loaders_of(context: Context) -> PlaylistLoaders:
    """The playlist loaders of this request (made on first use)."""
    loaders = _LOADERS.get(context)
    if loaders is None:
        loaders = _LOADERS[context] = PlaylistLoaders(context)
    return loaders


def playlist_uuid(value: str) -> uuid.UUID:
    """Parse a playlist's global ID or raise the API's ``INVALID_ID`` error."""
    return id_argument(value, PLAYLIST_TYPE_NAME, "playlist")


def playlist_global_id(playlist_id: uuid.UUID) -> strawberry.ID:
    """The global ID of a playlist."""
    return strawberry.ID(global_id(PLAYLIST_TYPE_NAME, playlist_id))


# --- fields of Playlist ---------------------------------------------------------------------


def _public_user(user_id: uuid.UUID, name: str | None) -> PublicUser | None:
    return PublicUser.of(user_id, name) if name is not None else None


def resolve_owner(info: Info, user_id: uuid.UUID | None) -> AwaitableOrValue[PublicUser | None]:
    """``Playlist.owner`` and ``PlaylistItem.addedBy``: an account by id (batched)."""
    if user_id is None:
        return None
    return load_then(loaders_of(info.context).users, user_id, partial(_public_user, user_id))


async def _collaborator_ids(info: Info, record: PlaylistRecord) -> list[tuple[uuid.UUID, str]]:
    return await loaders_of(info.context).collaborators.load(record.id) or []


async def resolve_collaborators(info: Info, record: PlaylistRecord) -> list[PublicUser]:
    """``Playlist.collaborators``, by name (batched)."""
    return [PublicUser.of(user_id, name) for user_id, name in await _collaborator_ids(info, record)]


def resolve_viewer_can_edit(info: Info, record: PlaylistRecord) -> bool:
    """``Playlist.viewerCanEdit``."""
    return can_change_settings(info.context.reader, record)


async def resolve_viewer_can_add_tracks(info: Info, record: PlaylistRecord) -> bool:
    """``Playlist.viewerCanAddTracks`` (the collaborators come from the batched loader)."""
    reader = info.context.reader
    collaborating = False
    if record.kind == PlaylistKind.STATIC.value and record.is_collaborative:
        ids = {user_id for user_id, _ in await _collaborator_ids(info, record)}
        collaborating = reader.user_id in ids
    return can_change_items(reader, record, is_collaborator=collaborating)


async def _stats(info: Info, record: PlaylistRecord) -> PlaylistStats:
    loaders = loaders_of(info.context)
    loaders.records[record.id] = record
    return await loaders.stats.load(record.id) or PlaylistStats(0, 0.0)


async def resolve_track_count(info: Info, record: PlaylistRecord) -> int:
    """``Playlist.trackCount``: items whose track the viewer sees (batched)."""
    return (await _stats(info, record)).track_count


async def resolve_duration(info: Info, record: PlaylistRecord) -> float:
    """``Playlist.durationSeconds`` (batched with ``trackCount``)."""
    return (await _stats(info, record)).duration_seconds


def _item(record: PlaylistRecord, row: ItemRow) -> PlaylistItem:
    track = Track.from_record(row.track)
    if row.item is None:
        item_id = uuid.uuid5(SMART_ITEM_NAMESPACE, f"{record.id}:{row.track.id}")
        return PlaylistItem(
            id=strawberry.ID(global_id(PLAYLIST_ITEM_TYPE_NAME, item_id)),
            position=row.index,
            added_at=row.track.created_at,
            added_by_id=None,
            track=track,
        )
    return PlaylistItem(
        id=strawberry.ID(global_id(PLAYLIST_ITEM_TYPE_NAME, row.item.id)),
        position=row.index,
        added_at=row.item.added_at,
        added_by_id=row.item.added_by,
        track=track,
    )


async def resolve_items(
    info: Info, record: PlaylistRecord, *, first: int | None, after: str | None
) -> PlaylistItemConnection:
    """``Playlist.items``: a keyset page (position order, or the smart rules' order)."""
    context = info.context
    if record.kind == PlaylistKind.SMART.value:
        rules = parse_rules(record.rules or {})
        order: SmartOrder | PlaylistItemOrder = rules.order_by
        page = checked_page(order, first=first, after=after)
        async with context.db() as session:
            result = await smart_items(
                session, compiled_rules(session, record, reader=context.reader), page=page
            )
        cursors = [encode_cursor(order, row) for row in result.records]
    else:
        page = checked_page(PlaylistItemOrder.POSITION, first=first, after=after)
        async with context.db() as session:
            result = await static_items(
                session, reader=context.reader, playlist_id=record.id, page=page
            )
        cursors = [encode_cursor(PlaylistItemOrder.POSITION, row.item) for row in result.records]
    track_wanted = node_selection(info).get("track")
    if track_wanted is not None:
        await prefetch_tracks(context, [row.track for row in result.records], track_wanted)
    edges = [
        PlaylistItemEdge(cursor=cursor, node=_item(record, row))
        for cursor, row in zip(cursors, result.records, strict=True)
    ]
    return PlaylistItemConnection(
        page_info=page_info(result, cursors),
        edges=edges,
        total_count_loader=partial(resolve_track_count, info, record),
    )


# --- queries --------------------------------------------------------------------------------


async def resolve_playlists(
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
    scope: PlaylistScope = PlaylistScope.ALL,
) -> PlaylistConnection:
    """A keyset page of the playlists of ``scope`` the viewer sees, by name."""
    page = checked_page(PlaylistOrder.NAME, first=first, after=after)
    context = info.context
    loaders = loaders_of(context)
    async with context.db() as session:
        result = await list_playlists(session, reader=context.reader, scope=scope, page=page)
    edges = [
        strawberry.relay.Edge(
            cursor=encode_cursor(PlaylistOrder.NAME, record), node=loaders.playlist(record)
        )
        for record in result.records
    ]
    return PlaylistConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, scope),
    )


async def _count(context: Context, scope: PlaylistScope) -> int:
    async with context.db() as session:
        return await count_playlists(session, reader=context.reader, scope=scope)


async def load_playlist(info: Info, playlist_id: uuid.UUID) -> Playlist | None:
    """The playlist with this id the viewer may see, or None (``node``, ``playlist``)."""
    loaders = loaders_of(info.context)
    record = await loaders.playlists.load(playlist_id)
    return loaders.playlist(record) if record is not None else None


async def resolve_playlist(info: Info, id: strawberry.ID) -> Playlist | None:
    """The playlist with this global ID, or null when there is none the viewer may see."""
    return await load_playlist(info, playlist_uuid(id))


# --- mutations ------------------------------------------------------------------------------


def require_account(info: Info) -> None:
    """Playlists belong to accounts: without one (``TONEARM_AUTH=none``) sign in first."""
    if info.context.reader.user_id is None:
        raise api_error(ErrorCode.UNAUTHENTICATED, "Sign in first: playlists belong to an account.")


@dataclass(frozen=True)
class Asked:
    """The ids a mutation was given, to name in its refusals as they were written."""

    playlist: strawberry.ID
    items: Mapping[uuid.UUID, str] = field(default_factory=dict)
    users: Mapping[uuid.UUID, str] = field(default_factory=dict)


RefusalType = (
    PlaylistNotFoundError
    | EditNotAllowedError
    | InvalidPlaylistInputError
    | InvalidPlaylistPositionError
    | PlaylistTooLongError
    | TrackNotFoundError
    | PlaylistItemNotFoundError
    | UserNotFoundError
)


def refusal(error: PlaylistError, asked: Asked) -> RefusalType:  # noqa: PLR0911 - one per kind
    """The GraphQL result of a refused change."""
    if isinstance(error, PlaylistNotFound):
        return PlaylistNotFoundError(message=str(error), playlist_id=asked.playlist)
    if isinstance(error, EditNotAllowed):
        return EditNotAllowedError(message=str(error))
    if isinstance(error, InvalidPlaylistInput):
        return InvalidPlaylistInputError(message=error.message, field=error.field)
    if isinstance(error, InvalidPosition):
        return InvalidPlaylistPositionError(
            message=str(error), position=error.position, track_count=error.count
        )
    if isinstance(error, PlaylistTooLong):
        return PlaylistTooLongError(message=str(error), limit=error.limit)
    if isinstance(error, TrackNotFound):
        return TrackNotFoundError(
            message=str(error), track_id=strawberry.ID(track_global_id(error.track_id))
        )
    if isinstance(error, ItemNotFound):
        shown = asked.items.get(error.item_id) or global_id(PLAYLIST_ITEM_TYPE_NAME, error.item_id)
        return PlaylistItemNotFoundError(message=str(error), item_id=strawberry.ID(shown))
    assert isinstance(error, UserNotFound)
    shown = asked.users.get(error.user_id) or global_id(USER_TYPE_NAME, error.user_id)
    return UserNotFoundError(message=str(error), user_id=strawberry.ID(shown))


async def run_change(
    info: Info,
    change: Callable[[AsyncSession], Awaitable[PlaylistRecord]],
    asked: Asked,
    *,
    cover: bool = False,
) -> Playlist | RefusalType:
    """Run ``change`` in the request's session and commit; or roll back and say why not.

    ``cover``: the change may have changed the first albums, so the cover is brought in
    step (one query when it did not) before the playlist is answered.
    """
    require_account(info)
    async with info.context.db() as session:
        try:
            record = await change(session)
        except PlaylistError as refused:
            await session.rollback()
            return refusal(refused, asked)
        await session.commit()  # the record stays loaded (expire_on_commit is off)
        if cover:
            await _refresh_cover(info, session, record)
    return loaders_of(info.context).playlist(record)


async def _refresh_cover(info: Info, session: AsyncSession, record: PlaylistRecord) -> None:
    # Imported on the first change: a server worker that only reads loads no cover maker.
    from tonearm.playlists.covers import refresh_cover

    try:
        await refresh_cover(info.context.services, record)
        await session.refresh(record, ["mosaic_hash", "mosaic_key"])
    except Exception:
        # The change is committed; a cover that could not be made must not hide that.
        logger.exception("the cover of playlist %s could not be brought in step", record.id)


def track_ids_of(values: Sequence[str]) -> list[uuid.UUID]:
    """Parse track global IDs (``INVALID_ID`` for the first malformed one)."""
    from tonearm.resolvers.tracks import track_uuid

    return [track_uuid(value) for value in values]


def _ids_of(values: Sequence[str], type_name: str, what: str) -> dict[uuid.UUID, str]:
    return {id_argument(value, type_name, what): value for value in values}


async def resolve_create_playlist(info: Info, input: PlaylistInput) -> CreatePlaylistResult:
    """Create a static playlist owned by the viewer."""
    reader = info.context.reader
    result = await run_change(
        info,
        lambda session: service.create_playlist(
            session,
            reader=reader,
            name=input.name,
            description=input.description,
            is_public=input.is_public,
            is_collaborative=input.is_collaborative,
        ),
        Asked(strawberry.ID("")),
    )
    assert isinstance(result, Playlist | InvalidPlaylistInputError)
    return result


async def resolve_update_playlist(
    info: Info, id: strawberry.ID, input: PlaylistUpdateInput
) -> UpdatePlaylistResult:
    """Change a playlist's name, description, settings or rules (owner or admin)."""
    playlist_id = playlist_uuid(id)
    rules = None
    if input.rules is not None:
        try:
            rules = parse_rules(input.rules.to_raw())
        except InvalidSmartRules as invalid:
            return smart_rules_error(invalid)
    changes = service.PlaylistChanges(
        name=input.name,
        description=input.description,
        is_public=input.is_public,
        is_collaborative=input.is_collaborative,
        rules=rules,
    )
    reader = info.context.reader
    result = await run_change(
        info,
        lambda session: service.update_playlist(
            session, reader=reader, playlist_id=playlist_id, changes=changes
        ),
        Asked(id),
        cover=rules is not None,
    )
    assert not isinstance(
        result, InvalidPlaylistPositionError | PlaylistTooLongError | PlaylistItemNotFoundError
    )
    assert not isinstance(result, TrackNotFoundError | UserNotFoundError)
    return result


def _items_result(result: Playlist | RefusalType) -> PlaylistItemsResult:
    assert not isinstance(result, InvalidPlaylistInputError | UserNotFoundError)
    return result


async def resolve_add_to_playlist(
    info: Info,
    playlist_id: strawberry.ID,
    track_ids: list[strawberry.ID],
    position: int | None = None,
) -> PlaylistItemsResult:
    """Add tracks before the item at ``position`` (null or the count: at the end)."""
    target = playlist_uuid(playlist_id)
    tracks = track_ids_of(track_ids)
    reader = info.context.reader
    return _items_result(
        await run_change(
            info,
            lambda session: service.add_to_playlist(
                session, reader=reader, playlist_id=target, track_ids=tracks, position=position
            ),
            Asked(playlist_id),
            cover=True,
        )
    )


async def resolve_remove_from_playlist(
    info: Info, playlist_id: strawberry.ID, item_ids: list[strawberry.ID]
) -> PlaylistItemsResult:
    """Remove items from a playlist."""
    target = playlist_uuid(playlist_id)
    items = _ids_of(item_ids, PLAYLIST_ITEM_TYPE_NAME, "playlist item")
    reader = info.context.reader
    return _items_result(
        await run_change(
            info,
            lambda session: service.remove_from_playlist(
                session, reader=reader, playlist_id=target, item_ids=list(items)
            ),
            Asked(playlist_id, items=items),
            cover=True,
        )
    )


async def resolve_move_playlist_item(
    info: Info, playlist_id: strawberry.ID, item_id: strawberry.ID, to_position: int
) -> PlaylistItemsResult:
    """Move an item so that it ends at index ``toPosition``."""
    target = playlist_uuid(playlist_id)
    items = _ids_of([item_id], PLAYLIST_ITEM_TYPE_NAME, "playlist item")
    (item,) = items
    reader = info.context.reader
    return _items_result(
        await run_change(
            info,
            lambda session: service.move_playlist_item(
                session, reader=reader, playlist_id=target, item_id=item, to_position=to_position
            ),
            Asked(playlist_id, items=items),
            cover=True,
        )
    )


async def resolve_set_playlist_collaborators(
    info: Info, playlist_id: strawberry.ID, user_ids: list[strawberry.ID]
) -> PlaylistCollaboratorsResult:
    """Replace who may add and reorder on a collaborative playlist (owner or admin)."""
    target = playlist_uuid(playlist_id)
    users = _ids_of(user_ids, USER_TYPE_NAME, "user")
    reader = info.context.reader
    result = await run_change(
        info,
        lambda session: service.set_collaborators(
            session, reader=reader, playlist_id=target, user_ids=list(users)
        ),
        Asked(playlist_id, users=users),
    )
    assert isinstance(
        result, Playlist | PlaylistNotFoundError | EditNotAllowedError | UserNotFoundError
    )
    return result


def smart_rules_error(invalid: InvalidSmartRules) -> InvalidSmartRulesError:
    """The GraphQL result of rules that cannot be evaluated."""
    return InvalidSmartRulesError(
        message=invalid.message, rule_index=invalid.rule_index, field=invalid.field
    )
