"""Resolvers for the library as a whole: totals, and scanning the media root."""

from __future__ import annotations

import asyncio
import dataclasses
from types import ModuleType

import strawberry

from tonearm.catalog.queries import library_totals
from tonearm.library.summary import ScanSummary
from tonearm.pubsub.library_events import ScanAnnouncer
from tonearm.schema.context import Context
from tonearm.schema.types import LibraryStats
from tonearm.transcoding.jobs import on_scan_hook

Info = strawberry.Info[Context, None]


async def resolve_library(info: Info) -> LibraryStats:
    """Totals over the registry."""
    async with info.context.db() as session:
        totals = await library_totals(session, reader=info.context.reader)
    return LibraryStats.from_totals(totals)


async def resolve_scan_library(info: Info, confirm_missing: bool | None = False) -> ScanSummary:
    """Scan the media root now (waits for a scan already running elsewhere to finish).

    ``confirm_missing``: the admin confirms that gone files are gone (``--confirm-missing``).
    """
    scanner = await asyncio.to_thread(_load_scanner)
    services = info.context.services
    settings = services.settings
    options = scanner.ScanOptions.from_settings(
        artist_split_exceptions=settings.artist_split_exceptions,
        data_dir=settings.data_dir,
        uploads_root=settings.resolved_uploads_dir,
        storage=services.storage,
    )
    # TONEARM_VARIANTS_ON_SCAN=eager: the scan queues the variants of what it wrote.
    # Admins' libraryEvents sockets see it start, progress and finish.
    options = dataclasses.replace(
        options,
        tracks_written=on_scan_hook(settings, services.engine),
        announce=ScanAnnouncer(services.bus),
    )
    summary: ScanSummary = await scanner.scan_library(
        services.engine, services.media_root, options=options, confirm_missing=bool(confirm_missing)
    )
    return summary


def _load_scanner() -> ModuleType:
    # A server worker loads the scanner (mutagen, libmagic) only when an admin first asks
    # for a scan, and in a worker thread: the import takes long enough to stall streams.
    from tonearm.library import scanner

    return scanner
