"""Resolvers of likes: ``setLiked``, ``liked``, and ``likeCount``/``viewerHasLiked`` of
tracks, albums and artists through one loader per kind per page."""

from __future__ import annotations

import uuid
from functools import partial

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry.types.unset import UNSET

from tonearm.catalog.pagination import LikeOrder, Page, encode_cursor
from tonearm.db.models import LikeRecord
from tonearm.resolvers.loading import load_then
from tonearm.resolvers.pages import checked_page, given, page_info
from tonearm.resolvers.playlists import load_playlist
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import InvalidGlobalId, parse_any_global_id
from tonearm.schema.library_types import Album, Artist
from tonearm.schema.permissions import IsAuthenticated
from tonearm.schema.social_types import (
    Like,
    Likeable,
    LikeConnection,
    LikeEdge,
    LikeState,
    LikeTargetNotFoundError,
    SetLikedResult,
)
from tonearm.schema.types import Track
from tonearm.social.likes import (
    TARGETS,
    LikeKind,
    LikeTargetNotFound,
    count_liked,
    kind_of_type_name,
    list_liked,
    set_liked,
)

Info = strawberry.Info[Context, None]
NOT_FOUND = "Nothing you can like has this ID."


def account_of(info: Info) -> uuid.UUID:
    """The viewer's user id; the "sign in" error without an account (``TONEARM_AUTH=none``).

    Likes, plays and comments belong to an account, so a viewer without one has none.
    """
    user_id = info.context.reader.user_id
    if user_id is None:
        raise api_error(ErrorCode.UNAUTHENTICATED, IsAuthenticated.message)
    return user_id


async def resolve_set_liked(info: Info, id: strawberry.ID, liked: bool) -> SetLikedResult:
    """Like or unlike a track, album, artist or playlist (idempotent both ways)."""
    user_id = account_of(info)
    try:
        type_name, target_id = parse_any_global_id(
            id, tuple(target.type_name for target in TARGETS.values())
        )
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, "Not a valid ID of something likeable.") from None
    kind = kind_of_type_name(type_name)
    assert kind is not None
    context = info.context
    try:
        async with context.db() as session:
            state = await set_liked(
                session,
                reader=context.reader,
                user_id=user_id,
                kind=kind,
                target_id=target_id,
                liked=liked,
            )
    except LikeTargetNotFound:
        return LikeTargetNotFoundError(message=NOT_FOUND, id=id)
    return LikeState(id=id, liked=state.liked, like_count=state.like_count)


async def resolve_liked(
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
    kind: LikeKind | None = None,
) -> LikeConnection:
    """A page of the viewer's likes of things they can see, newest first."""
    page = checked_page(LikeOrder.NEWEST, first=first, after=after)
    context = info.context
    user_id = context.reader.user_id
    kind = given(kind)
    result: Page[LikeRecord] = Page([], has_next_page=False, has_previous_page=False)
    if user_id is not None:
        async with context.db() as session:
            result = await list_liked(
                session, reader=context.reader, user_id=user_id, kind=kind, page=page
            )
    edges = [
        LikeEdge(
            cursor=encode_cursor(LikeOrder.NEWEST, record),
            node=Like(
                liked_at=record.created_at, kind=LikeKind(record.kind), target_id=record.target_id
            ),
        )
        for record in result.records
    ]
    return LikeConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, user_id, kind),
    )


async def _count(context: Context, user_id: uuid.UUID | None, kind: LikeKind | None) -> int:
    if user_id is None:
        return 0
    async with context.db() as session:
        return await count_liked(session, reader=context.reader, user_id=user_id, kind=kind)


async def resolve_like_item(info: Info, like: Like) -> Likeable:
    """What a like is of, through the request's loaders (which apply visibility)."""
    context = info.context
    if like.kind is LikeKind.TRACK:
        track = await context.track_loader.load(like.target_id)
        if track is not None:
            return Track.from_record(track)
    elif like.kind is LikeKind.ALBUM:
        album = await context.album_loader.load(like.target_id)
        if album is not None:
            return Album.from_record(album)
    elif like.kind is LikeKind.ARTIST:
        artist = await context.artist_loader.load(like.target_id)
        if artist is not None:
            return Artist.from_record(artist)
    elif like.kind is LikeKind.PLAYLIST:
        playlist = await load_playlist(info, like.target_id)
        if playlist is not None:
            return playlist
    raise api_error(ErrorCode.INTERNAL_SERVER_ERROR, "The liked item is gone.")


def resolve_like_count(info: Info, kind: LikeKind, target_id: uuid.UUID) -> AwaitableOrValue[int]:
    """``likeCount``: how many users like it (one query per kind per page)."""
    return load_then(info.context.like_count_loaders[kind], target_id, lambda n: n or 0)


def resolve_viewer_has_liked(
    info: Info, kind: LikeKind, target_id: uuid.UUID
) -> AwaitableOrValue[bool]:
    """``viewerHasLiked``: false without an account, else one query per kind per page."""
    if info.context.reader.user_id is None:
        return False
    return load_then(info.context.viewer_likes_loaders[kind], target_id, bool)
