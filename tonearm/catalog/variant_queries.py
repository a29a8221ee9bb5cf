"""Reading the variants of tracks for GraphQL: one query for a whole page (DataLoaders)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import Offer, SourceAudio, VariantKey, offers_for
from tonearm.db import variants as registry
from tonearm.db.variants import VariantRow

__all__ = ["VariantRow", "offers_with_rows", "row_key", "variants_of_tracks"]


async def variants_of_tracks(
    session: AsyncSession, track_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[VariantRow]]:
    """The variant rows of each track (tracks without any are absent)."""
    connection = await session.connection()
    return await registry.variants_of_tracks(connection, track_ids)


def row_key(row: VariantRow) -> VariantKey:
    """The domain key of a registry row."""
    return VariantKey(AudioFormat(row.format), row.bitrate_kbps)


def offers_with_rows(
    source: SourceAudio,
    rows: Sequence[VariantRow],
    *,
    source_size_bytes: int,
    source_mtime_ns: int,
) -> list[tuple[Offer, VariantRow | None]]:
    """Every offer of a track with its registry row, when there is one made from the
    current version of the source (a row of an older version counts as not made)."""
    current = {
        row_key(row): row
        for row in rows
        if (row.source_size_bytes, row.source_mtime_ns) == (source_size_bytes, source_mtime_ns)
    }
    return [
        (offer, current.get(offer.key) if offer.key is not None else None)
        for offer in offers_for(source)
    ]
