"""Types of the live streams and of the clock: ``LibraryEvent``, ``ScanProgress``,
``ServerTime``. Built from ``pubsub.library_events`` messages at the boundary."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

import strawberry

from tonearm.catalog.formats import AudioFormat
from tonearm.pubsub import library_events
from tonearm.schema.ids import track_global_id


@strawberry.enum(description="What happened in the library.")
class LibraryEventKind(Enum):
    """The kinds of ``LibraryEvent``."""

    SCAN_STARTED = library_events.SCAN_STARTED
    SCAN_PROGRESS = library_events.SCAN_PROGRESS
    SCAN_FINISHED = library_events.SCAN_FINISHED
    VARIANT_READY = library_events.VARIANT_READY


@strawberry.type(description="Where a running scan is.")
class ScanProgress:
    """A scan's phase and counts so far (``pubsub.library_events.ScanCounts``)."""

    phase: str = strawberry.field(description="walking, probing, grouping or done.")
    files_seen: int = strawberry.field(description="Candidate files the walk found.")
    files_done: int = strawberry.field(description="Files handled so far.")
    added: int = strawberry.field(description="New tracks so far.")
    updated: int = strawberry.field(description="Changed tracks so far.")
    missing: int = strawberry.field(description="Tracks marked missing (at the end).")
    finished: bool = strawberry.field(description="Whether the scan is over.")


@strawberry.type(description="Something that happened in the library, as it happens.")
class LibraryEvent:
    """One message of the ``LIBRARY`` channel, as a viewer may see it."""

    kind: LibraryEventKind = strawberry.field(description="What happened.")
    at: float = strawberry.field(description="Server time of the event, ms since the epoch.")
    scan: ScanProgress | None = strawberry.field(
        default=None, description="SCAN_*: the scan's progress (admins only)."
    )
    track_id: strawberry.ID | None = strawberry.field(
        default=None, description="VARIANT_READY: the global Track ID."
    )
    format: AudioFormat | None = strawberry.field(
        default=None, description="VARIANT_READY: the variant's format."
    )
    bitrate_kbps: int | None = strawberry.field(
        default=None, description="VARIANT_READY: its bitrate (null when lossless)."
    )

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> LibraryEvent | None:
        """The event a bus message describes; None for a message of no known shape."""
        try:
            kind = LibraryEventKind(message["kind"])
            at = float(message["at"])
            if kind is LibraryEventKind.VARIANT_READY:
                bitrate = message.get("bitrateKbps")
                return cls(
                    kind=kind,
                    at=at,
                    track_id=strawberry.ID(track_global_id(uuid.UUID(hex=message["trackId"]))),
                    format=AudioFormat(message["format"]),
                    bitrate_kbps=int(bitrate) if bitrate is not None else None,
                )
            scan = message["scan"]
            return cls(
                kind=kind,
                at=at,
                scan=ScanProgress(
                    phase=str(scan["phase"]),
                    files_seen=int(scan["files_seen"]),
                    files_done=int(scan["files_done"]),
                    added=int(scan["added"]),
                    updated=int(scan["updated"]),
                    missing=int(scan["missing"]),
                    finished=bool(scan["finished"]),
                ),
            )
        except (KeyError, TypeError, ValueError):
            return None


@strawberry.type(description="The server's clock around one request, for NTP-style sync.")
class ServerTime:
    """Times in ms since the epoch: the client's, as sent, and the server's on arrival
    and on answering. offset ≈ ((received - clientSent) + (sent - clientReceived)) / 2."""

    client_sent_at: float = strawberry.field(description="As the client sent it.")
    server_received_at: float = strawberry.field(
        description="When the request (or WebSocket message) reached the server."
    )
    server_sent_at: float = strawberry.field(description="When the answer was made.")
