"""Resolvers of audio variants: ``Track.variants``, through one DataLoader per request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from graphql.pyutils import AwaitableOrValue

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variant_queries import VariantRow, offers_with_rows
from tonearm.catalog.variants import SourceAudio
from tonearm.resolvers.loading import load_then
from tonearm.schema.context import Context
from tonearm.schema.variant_types import AudioVariant

if TYPE_CHECKING:
    from tonearm.schema.types import Track

Info = strawberry.Info[Context, None]


def track_source(track: Track) -> SourceAudio:
    """What a track's offers depend on, from its GraphQL view."""
    return SourceAudio(AudioFormat(track.format), track.bitrate, track.mime_type)


def resolve_track_variants(info: Info, track: Track) -> AwaitableOrValue[list[AudioVariant]]:
    """The track's offers with their states (one query per page for the rows)."""

    def convert(rows: list[VariantRow] | None) -> list[AudioVariant]:
        pairs = offers_with_rows(
            track_source(track),
            rows or [],
            source_size_bytes=int(track.size_bytes),
            source_mtime_ns=track.mtime_ns,
        )
        return [
            AudioVariant.of(offer, row, original_size=int(track.size_bytes)) for offer, row in pairs
        ]

    return load_then(info.context.variants_loader, track.track_id, convert)
