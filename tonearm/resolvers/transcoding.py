"""Resolvers of the variant queue for admins: ``transcodeQueue`` and ``retryVariant``."""

from __future__ import annotations

import uuid

import anyio.to_thread
import strawberry
from graphql.pyutils import AwaitableOrValue

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.resolvers.loading import load_then
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.context import Context
from tonearm.schema.ids import track_global_id
from tonearm.schema.types import RetryVariantResult, Track, TrackNotFoundError
from tonearm.schema.variant_types import (
    MAX_FAILED_LISTED,
    FailedVariant,
    RetriedVariant,
    TranscodeQueue,
    VariantNotFailedError,
    VariantNotOfferedError,
    VariantState,
)
from tonearm.transcoding.jobs import RetryOutcome, queue_overview, retry_variant
from tonearm.transcoding.queue import create_queue
from tonearm.transcoding.store import VariantStore

Info = strawberry.Info[Context, None]


async def resolve_transcode_queue(info: Info) -> TranscodeQueue:
    """Counts of pending, running, ready and failed variants, and the latest failures."""
    services = info.context.services
    overview = await queue_overview(
        services.engine,
        VariantStore.in_data_dir(services.settings.data_dir),
        failed_first=MAX_FAILED_LISTED,
    )
    return TranscodeQueue(
        pending=overview.pending,
        running=overview.running,
        ready=overview.ready,
        failed=overview.failed,
        failed_list=[
            FailedVariant(
                track_id=failed.track_id,
                format=failed.format,
                bitrate_kbps=failed.bitrate_kbps,
                reason=failed.reason,
                attempts=failed.attempts,
                failed_at=failed.failed_at,
            )
            for failed in overview.failed_variants
        ],
    )


def resolve_failed_variant_track(info: Info, track_id: uuid.UUID) -> AwaitableOrValue[Track]:
    """The track of a failed variant (its rows go with the track, so it exists)."""

    def convert(record: object) -> Track:
        from tonearm.db.models import TrackRecord

        assert isinstance(record, TrackRecord)
        return Track.from_record(record)

    return load_then(info.context.track_loader, track_id, convert)


async def resolve_retry_variant(
    info: Info, track_id: strawberry.ID, format: AudioFormat, bitrate_kbps: int
) -> RetryVariantResult:
    """Queue a failed variant to be made again, ahead of variants a scan queued."""
    track = track_uuid(track_id)
    key = VariantKey(format, bitrate_kbps)
    services = info.context.services
    if not key.is_valid():
        return VariantNotOfferedError(
            message="tonearm makes no variant of this format and bitrate.",
            format=format,
            bitrate_kbps=bitrate_kbps,
        )
    queue = await anyio.to_thread.run_sync(create_queue, services.settings)
    try:
        outcome = await retry_variant(queue, services.engine, track, key)
    finally:
        await anyio.to_thread.run_sync(queue.close)
    if outcome is RetryOutcome.TRACK_NOT_FOUND:
        return TrackNotFoundError(message="No track has this ID.", track_id=track_id)
    if outcome is RetryOutcome.NOT_OFFERED:
        return VariantNotOfferedError(
            message="This track offers no variant of this format and bitrate.",
            format=format,
            bitrate_kbps=bitrate_kbps,
        )
    if outcome is RetryOutcome.NOT_FAILED:
        return VariantNotFailedError(message="This variant has not failed: nothing to retry.")
    return RetriedVariant(
        track_id=strawberry.ID(track_global_id(track)),
        format=format,
        bitrate_kbps=bitrate_kbps,
        state=VariantState.PENDING,
    )
