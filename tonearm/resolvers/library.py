"""Resolvers for the library as a whole: totals, and scanning the media root."""

from __future__ import annotations

import strawberry

from tonearm.catalog.queries import library_totals
from tonearm.library.summary import ScanSummary
from tonearm.schema.context import Context
from tonearm.schema.types import LibraryStats

Info = strawberry.Info[Context, None]


async def resolve_library(info: Info) -> LibraryStats:
    """Totals over the registry."""
    async with info.context.db() as session:
        totals = await library_totals(session)
    return LibraryStats.from_totals(totals)


async def resolve_scan_library(info: Info) -> ScanSummary:
    """Scan the media root now (waits for a scan already running elsewhere to finish)."""
    # Imported here: the scanner brings mutagen and libmagic, which a server worker needs
    # only once an admin asks for a scan.
    from tonearm.library.scanner import scan_library

    services = info.context.services
    return await scan_library(services.engine, services.media_root)
