"""The messages published on ``LIBRARY``: scans starting, progressing and ending, and a
variant becoming ready. Built here once for the scanner, the variant pipeline and the
``libraryEvents`` resolver that reads them (standard library only: the transcoding
worker imports it)."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from tonearm.pubsub.channels import LIBRARY

SCAN_STARTED = "SCAN_STARTED"
SCAN_PROGRESS = "SCAN_PROGRESS"
SCAN_FINISHED = "SCAN_FINISHED"
VARIANT_READY = "VARIANT_READY"
SCAN_KINDS = frozenset({SCAN_STARTED, SCAN_PROGRESS, SCAN_FINISHED})
PROGRESS_INTERVAL_SECONDS = 0.25  # at most 4 SCAN_PROGRESS messages a second
logger = logging.getLogger(__name__)


class Publisher(Protocol):
    """What announces on a channel (``pubsub.bus.Bus``)."""

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Publish ``message`` on ``channel``."""


@dataclass(frozen=True, slots=True)
class ScanCounts:
    """Where a running scan is: the phase and its counts so far."""

    phase: str
    files_seen: int = 0
    files_done: int = 0
    added: int = 0
    updated: int = 0
    missing: int = 0
    finished: bool = False


def now_ms() -> float:
    """The server's clock in milliseconds since the epoch (every event's ``at``)."""
    return time.time() * 1000


def scan_message(kind: str, counts: ScanCounts) -> dict[str, Any]:
    """A ``SCAN_*`` message."""
    return {"kind": kind, "at": now_ms(), "scan": asdict(counts)}


def variant_ready_message(
    track_id: uuid.UUID, format_value: str, bitrate_kbps: int | None
) -> dict[str, Any]:
    """A ``VARIANT_READY`` message: a track's variant is made (``format_value`` is the
    ``AudioFormat`` value, ``bitrate_kbps`` None for a lossless one)."""
    return {
        "kind": VARIANT_READY,
        "at": now_ms(),
        "trackId": track_id.hex,
        "format": format_value,
        "bitrateKbps": bitrate_kbps,
    }


async def announce(publisher: Publisher, message: dict[str, Any]) -> None:
    """Publish ``message`` on ``LIBRARY``; a bus that fails is logged, never raised (an
    event is a courtesy: the scan or the variant it tells of happened all the same)."""
    try:
        await publisher.publish(LIBRARY, message)
    except Exception:
        logger.warning("could not publish a library event", exc_info=True)


class ScanAnnouncer:
    """Tells ``LIBRARY`` how a scan goes: every start and finish, progress at most every
    ``PROGRESS_INTERVAL_SECONDS`` (the scanner reports after each batch)."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._last_progress: float | None = None

    async def __call__(self, kind: str, counts: ScanCounts) -> None:
        """Announce a ``SCAN_*`` event (a progress event too soon after the last is
        dropped: the next one carries the counts)."""
        if kind == SCAN_PROGRESS:
            now = time.monotonic()
            last = self._last_progress
            if last is not None and now - last < PROGRESS_INTERVAL_SECONDS:
                return
            self._last_progress = now
        await announce(self._publisher, scan_message(kind, counts))
