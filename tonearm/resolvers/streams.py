"""Resolver for minting stream URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from tonearm.catalog.queries import track_exists
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.context import Context
from tonearm.schema.types import StreamUrl, TrackNotFoundError
from tonearm.streaming.urls import stream_url

Info = strawberry.Info[Context, None]


async def resolve_create_stream_url(
    info: Info, track_id: strawberry.ID
) -> StreamUrl | TrackNotFoundError:
    """A signed URL for the track, valid for the configured TTL."""
    track = track_uuid(track_id)
    async with info.context.db() as session:
        found = await track_exists(session, track)
    if not found:
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    viewer = info.context.viewer
    minted = info.context.services.signer.mint(track, user_id=viewer.user_id if viewer else None)
    return StreamUrl(
        url=stream_url(track, minted.token),
        expires_at=datetime.fromtimestamp(minted.grant.expires_at, UTC),
    )
