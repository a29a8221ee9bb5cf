"""Relay's ``node(id:)``: a track, an album, an artist or a playlist by its global ID."""

from __future__ import annotations

import strawberry
from strawberry import relay

from tonearm.resolvers.albums import load_album
from tonearm.resolvers.artists import load_artist
from tonearm.resolvers.playlists import load_playlist
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import (
    ALBUM_TYPE_NAME,
    ARTIST_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    TRACK_TYPE_NAME,
    InvalidGlobalId,
    parse_any_global_id,
)
from tonearm.schema.types import Track

Info = strawberry.Info[Context, None]
NODE_TYPES = (TRACK_TYPE_NAME, ALBUM_TYPE_NAME, ARTIST_TYPE_NAME, PLAYLIST_TYPE_NAME)


async def resolve_node(info: Info, id: strawberry.ID) -> relay.Node | None:
    """The object with this global ID, or null when there is none; ``INVALID_ID`` for an ID
    that is not a track's, an album's, an artist's or a playlist's."""
    try:
        type_name, object_id = parse_any_global_id(id, NODE_TYPES)
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, "Not a valid ID.") from None
    if type_name == ALBUM_TYPE_NAME:
        return await load_album(info, object_id)
    if type_name == ARTIST_TYPE_NAME:
        return await load_artist(info, object_id)
    if type_name == PLAYLIST_TYPE_NAME:
        return await load_playlist(info, object_id)
    record = await info.context.track_loader.load(object_id)
    return Track.from_record(record) if record else None
