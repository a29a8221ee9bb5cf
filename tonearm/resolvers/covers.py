"""Resolvers for cover art: an album's or artist's ``CoverArt`` and the URL of a size."""

from __future__ import annotations

import uuid

import strawberry
from graphql.pyutils import AwaitableOrValue

from tonearm.artwork.urls import artwork_url, nearest_size
from tonearm.db.models import AlbumRecord
from tonearm.resolvers.loading import load_then, settled
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.library_types import CoverArt

Info = strawberry.Info[Context, None]


def resolve_cover_url(cover: CoverArt, size: int) -> str:
    """``CoverArt.url(size:)``; a size below 1 pixel is ``BAD_USER_INPUT``."""
    if size < 1:
        raise api_error(ErrorCode.BAD_USER_INPUT, "size must be at least 1.")
    return artwork_url(cover.artwork_hash, nearest_size(cover.sizes, size))


def resolve_cover(info: Info, artwork_hash: str | None) -> AwaitableOrValue[CoverArt | None]:
    """The cover art with this content hash (None: no cover)."""
    if artwork_hash is None:
        return None
    return load_then(info.context.artwork_loader, artwork_hash, CoverArt.from_record)


def resolve_album_cover(
    info: Info, album_id: uuid.UUID | None
) -> AwaitableOrValue[CoverArt | None]:
    """``Track.coverArt``: the cover of the track's album."""
    if album_id is None:
        return None
    loader = info.context.album_loader
    done = loader.answered(album_id)
    if done is not None:
        return _cover_of(info, done.result())
    return _album_cover_later(info, album_id)


def _cover_of(info: Info, album: AlbumRecord | None) -> AwaitableOrValue[CoverArt | None]:
    return resolve_cover(info, album.artwork_hash if album else None)


async def _album_cover_later(info: Info, album_id: uuid.UUID) -> CoverArt | None:
    album = await info.context.album_loader.load(album_id)
    return await settled(_cover_of(info, album))
