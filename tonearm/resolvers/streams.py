"""Resolvers for minting stream URLs: the ``createStreamUrl`` mutation and ``Track.streamUrl``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import strawberry

from tonearm.catalog.queries import track_exists
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.permissions import IsAuthenticated
from tonearm.schema.types import StreamUrl, TrackNotFoundError
from tonearm.streaming.urls import stream_url

Info = strawberry.Info[Context, None]


def mint_stream_url(info: Info, track: uuid.UUID) -> StreamUrl:
    """A signed URL for the viewer to stream ``track``, valid for the configured TTL."""
    viewer = info.context.viewer
    minted = info.context.services.signer.mint(track, user_id=viewer.user_id if viewer else None)
    return StreamUrl(
        url=stream_url(track, minted.token),
        expires_at=datetime.fromtimestamp(minted.grant.expires_at, UTC),
    )


async def resolve_create_stream_url(
    info: Info, track_id: strawberry.ID
) -> StreamUrl | TrackNotFoundError:
    """A signed URL for the track, valid for the configured TTL."""
    track = track_uuid(track_id)
    async with info.context.db() as session:
        found = await track_exists(session, track)
    if not found:
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    return mint_stream_url(info, track)


def resolve_track_stream_url(info: Info, track_id: str) -> StreamUrl:
    """``Track.streamUrl``: the same token ``createStreamUrl`` mints, for a track just read.

    Synchronous and without a database query: the track comes from the page being answered,
    and the field is resolved only when a query selects it. Every field that returns tracks
    already needs a viewer; checking again here (rather than with a permission class, which
    wraps each of up to 100 calls per page) keeps a token from ever being minted without one.
    """
    if info.context.viewer is None:
        raise api_error(ErrorCode.UNAUTHENTICATED, IsAuthenticated.message)
    return mint_stream_url(info, uuid.UUID(track_id))
