"""GraphQL types of audio variants: what a track offers and why a stream request is refused."""

from __future__ import annotations

from enum import Enum

import strawberry

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variant_queries import VariantRow
from tonearm.catalog.variants import Offer
from tonearm.schema.scalars import Long

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
