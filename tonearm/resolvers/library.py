"""Resolvers for the library as a whole: totals, and scanning the media root."""

from __future__ import annotations

import strawberry

from tonearm.catalog.queries import library_totals
from tonearm.library.scanner import scan_library
from tonearm.schema.context import Context
from tonearm.schema.types import LibraryStats, ScanSummary

Info = strawberry.Info[Context, None]


async def resolve_library(info: Info) -> LibraryStats:
    """Totals over the registry."""
    async with info.context.db() as session:
        totals = await library_totals(session)
    return LibraryStats.from_totals(totals)


async def resolve_scan_library(info: Info) -> ScanSummary:
    """Scan the media root now (waits for a scan already running elsewhere to finish)."""
    services = info.context.services
    result = await scan_library(services.engine, services.media_root)
    return ScanSummary.from_result(result)
