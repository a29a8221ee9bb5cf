"""Resolvers for minting stream URLs: the ``createStreamUrl`` mutation and ``Track.streamUrl``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import strawberry

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import (
    BitrateTooLow,
    FormatNotOffered,
    Offer,
    SourceAudio,
    choose_variant,
    offers_for,
    original_offer,
)
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.permissions import IsAuthenticated
from tonearm.schema.types import CreateStreamUrlResult, StreamUrl, TrackNotFoundError
from tonearm.schema.variant_types import BitrateTooLowError, FormatNotOfferedError
from tonearm.streaming.urls import stream_url

Info = strawberry.Info[Context, None]


def mint_stream_url(info: Info, track: uuid.UUID, offer: Offer) -> StreamUrl:
    """A signed URL for the viewer to stream ``offer`` of ``track``, valid for the TTL."""
    viewer = info.context.viewer
    minted = info.context.services.signer.mint(
        track, user_id=viewer.user_id if viewer else None, variant=offer.key
    )
    return StreamUrl(
        url=stream_url(track, minted.token),
        expires_at=datetime.fromtimestamp(minted.grant.expires_at, UTC),
        format=offer.format,
        bitrate_kbps=offer.bitrate_kbps,
        mime_type=offer.mime_type,
    )


async def resolve_create_stream_url(
    info: Info,
    track_id: strawberry.ID,
    format: AudioFormat | None = None,
    max_bitrate_kbps: int | None = None,
) -> CreateStreamUrlResult:
    """A signed URL for the best version of the track within the request (none: the original)."""
    track = track_uuid(track_id)
    if max_bitrate_kbps is not None and max_bitrate_kbps <= 0:
        raise api_error(ErrorCode.BAD_USER_INPUT, "maxBitrateKbps must be a positive number.")
    record = await info.context.track_loader.load(track)
    if record is None:
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    source = SourceAudio(AudioFormat(record.format), record.bitrate, record.mime_type)
    try:
        offer = choose_variant(
            offers_for(source), audio_format=format, max_bitrate_kbps=max_bitrate_kbps
        )
    except FormatNotOffered as refused:
        return FormatNotOfferedError(
            message=f"This track is not offered as {refused.format.name}.", format=refused.format
        )
    except BitrateTooLow as refused:
        return BitrateTooLowError(
            message="Every version of this track (in that format) is above maxBitrateKbps.",
            lowest_bitrate_kbps=refused.lowest_kbps,
        )
    return mint_stream_url(info, track, offer)


def resolve_track_stream_url(info: Info, track_id: str, source: SourceAudio) -> StreamUrl:
    """``Track.streamUrl``: the same token ``createStreamUrl`` mints for the original, for a
    track just read.

    Synchronous and without a database query: the track comes from the page being answered,
    and the field is resolved only when a query selects it. Every field that returns tracks
    already needs a viewer; checking again here (rather than with a permission class, which
    wraps each of up to 100 calls per page) keeps a token from ever being minted without one.
    """
    if info.context.viewer is None:
        raise api_error(ErrorCode.UNAUTHENTICATED, IsAuthenticated.message)
    return mint_stream_url(info, uuid.UUID(track_id), original_offer(source))
