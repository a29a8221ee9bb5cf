"""GraphQL types of audio variants: what a track offers and why a stream request is refused."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variant_queries import VariantRow
from tonearm.catalog.variants import Offer
from tonearm.schema.scalars import Long

if TYPE_CHECKING:
    from tonearm.schema.types import Track

# Registered here, the first schema module to use it (``types.py`` imports this one).
strawberry.enum(
    AudioFormat,
    name="AudioFormat",
    description="The codec of an audio file (the container is a separate fact).",
)


@strawberry.enum(description="Whether a version of a track can be streamed as a file yet.")
class VariantState(Enum):
    """The GraphQL view of a variant row's state; a variant never made is PENDING."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@strawberry.type(description="One version of a track: the original file or a transcode.")
class AudioVariant:
    """An offer of a track (``catalog.variants``) with the state of its file."""

    format: AudioFormat = strawberry.field(description="The codec.")
    container: str = strawberry.field(description="The file format: mp3, ogg, flac, mp4, wav.")
    mime_type: str = strawberry.field(description="The media type it is streamed as.")
    bitrate_kbps: int | None = strawberry.field(
        description="Bitrate in kbps (the average, for an original; null when unknown)."
    )
    is_original: bool = strawberry.field(description="Whether this is the file itself.")
    state: VariantState = strawberry.field(
        description=(
            "READY: stored, served with byte ranges (the original always is). PENDING: not "
            "made yet; a stream of it starts at once while it is being made. FAILED: see "
            "failureReason."
        )
    )
    size_bytes: Long | None = strawberry.field(description="File size once made.")
    failure_reason: str | None = strawberry.field(description="Why making it failed.")

    @classmethod
    def of(cls, offer: Offer, row: VariantRow | None, *, original_size: int) -> AudioVariant:
        """The GraphQL view of an offer and its row (None: never asked for)."""
        if offer.is_original:
            state, size, reason = VariantState.READY, original_size, None
        elif row is None:
            state, size, reason = VariantState.PENDING, None, None
        else:
            state = VariantState(row.state)
            size = row.size_bytes if state is VariantState.READY else None
            reason = row.failure_reason if state is VariantState.FAILED else None
        return cls(
            format=offer.format,
            container=offer.container,
            mime_type=offer.mime_type,
            bitrate_kbps=offer.bitrate_kbps,
            is_original=offer.is_original,
            state=state,
            size_bytes=Long(size) if size is not None else None,
            failure_reason=reason,
        )


@strawberry.type(description="The track offers nothing in the asked format.")
class FormatNotOfferedError:
    """createStreamUrl's answer for a format the track has no version in."""

    message: str = strawberry.field(description="What went wrong, for people.")
    format: AudioFormat = strawberry.field(description="The format that was asked for.")


@strawberry.type(description="Every version (of the asked format) is above maxBitrateKbps.")
class BitrateTooLowError:
    """createStreamUrl's answer for a maximum bitrate below every candidate."""

    message: str = strawberry.field(description="What went wrong, for people.")
    lowest_bitrate_kbps: int | None = strawberry.field(
        description="The lowest bitrate on offer (null when only a lossless original was)."
    )


def _failed_track(root: strawberry.Parent[FailedVariant], info: strawberry.Info) -> Any:
    from tonearm.resolvers.transcoding import resolve_failed_variant_track

    return resolve_failed_variant_track(info, root.track_id)


@strawberry.type(description="A variant that could not be made, and why.")
class FailedVariant:
    """One failed row of ``track_variants``."""

    track: Annotated[Track, strawberry.lazy("tonearm.schema.types")] = strawberry.field(
        resolver=_failed_track, description="The track it is a version of."
    )
    format: AudioFormat = strawberry.field(description="The variant's codec.")
    bitrate_kbps: int = strawberry.field(description="The variant's bitrate in kbps.")
    reason: str = strawberry.field(description="Why it failed (no file paths in it).")
    attempts: int = strawberry.field(description="How many encodes were tried.")
    failed_at: datetime = strawberry.field(description="When it last failed.")
    track_id: strawberry.Private[uuid.UUID]


@strawberry.type(description="The variant job queue, as admins see it.")
class TranscodeQueue:
    """Counts by state and the most recent failures."""

    pending: int = strawberry.field(description="Variants waiting to be made.")
    running: int = strawberry.field(description="Variants being encoded now.")
    ready: int = strawberry.field(description="Variants made and stored.")
    failed: int = strawberry.field(description="Variants that could not be made.")
    failed_list: strawberry.Private[list[FailedVariant]]

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="The most recent failures, newest first (at most 100)."
    )
    def failed_variants(self, first: int = 20) -> list[FailedVariant]:
        """The first ``first`` failures (bounded to 0..100)."""
        return self.failed_list[: max(0, min(first, MAX_FAILED_LISTED))]


MAX_FAILED_LISTED = 100


@strawberry.type(description="The variant is queued to be made again.")
class RetriedVariant:
    """retryVariant's answer when it queued the variant."""

    track_id: strawberry.ID = strawberry.field(description="The track's global ID.")
    format: AudioFormat = strawberry.field(description="The variant's codec.")
    bitrate_kbps: int = strawberry.field(description="The variant's bitrate in kbps.")
    state: VariantState = strawberry.field(description="PENDING: queued ahead of scans.")


@strawberry.type(
    description="The variant has not failed (it is made, pending, or never asked for)."
)
class VariantNotFailedError:
    """retryVariant's answer for a variant there is nothing to retry of."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The track offers no variant of this format and bitrate.")
class VariantNotOfferedError:
    """retryVariant's answer for a format and bitrate the track does not offer."""

    message: str = strawberry.field(description="What went wrong, for people.")
    format: AudioFormat = strawberry.field(description="The format that was asked for.")
    bitrate_kbps: int = strawberry.field(description="The bitrate that was asked for.")
