"""``libraryEvents``: the ``LIBRARY`` channel, filtered for the viewer — scans for admins,
a variant becoming ready for viewers who can see its track (``catalog.access``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry

from tonearm.catalog.queries import track_exists
from tonearm.pubsub.channels import LIBRARY
from tonearm.schema.context import Context
from tonearm.schema.event_types import LibraryEvent, LibraryEventKind
from tonearm.schema.ids import TRACK_TYPE_NAME, parse_global_id

_SCAN_KINDS = frozenset(
    {LibraryEventKind.SCAN_STARTED, LibraryEventKind.SCAN_PROGRESS, LibraryEventKind.SCAN_FINISHED}
)


async def resolve_library_events(
    info: strawberry.Info[Context, None],
) -> AsyncGenerator[LibraryEvent, None]:
    """Every library event the viewer may see, from now on, until they unsubscribe."""
    context = info.context
    async with context.services.bus.subscribe(LIBRARY) as messages:
        async for message in messages:
            event = LibraryEvent.from_message(message)
            if event is not None and await _visible(context, event):
                yield event


async def _visible(context: Context, event: LibraryEvent) -> bool:
    viewer = context.viewer
    if viewer is None:
        return False
    if event.kind in _SCAN_KINDS:
        return viewer.is_admin
    if event.track_id is None:
        return False
    track_id: uuid.UUID = parse_global_id(str(event.track_id), TRACK_TYPE_NAME)
    async with context.db() as session:
        return await track_exists(session, track_id, reader=context.reader)
