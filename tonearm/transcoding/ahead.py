"""``tonearm transcode``: make variants ahead of time, in this process, with a progress bar.

The encodes run here, ``TONEARM_WORKER_THREADS`` at a time, through ``jobs.run_job`` — the
same checks as a queued job, so a running worker or a first play and this command never
encode the same variant twice. Running here rather than queueing and following the queue
means it works whether or not a worker runs, and its bar, its summary and its exit status
report every encode as it really ended.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import MP3_BITRATES, OPUS_BITRATES, VariantKey, offered_variants
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.transcoding.jobs import JobOutcome, run_job
from tonearm.transcoding.making import Maker, source_audio
from tonearm.transcoding.store import VariantStore

LOCK_POLL_SECONDS = 0.25
_BITRATES = {AudioFormat.MP3: MP3_BITRATES, AudioFormat.OPUS: OPUS_BITRATES}


class TranscodeRefused(Exception):
    """The arguments ask for something tonearm cannot do; the message is one line."""


@dataclass(frozen=True, slots=True)
class Kind:
    """Which variants to make: a format, optionally one bitrate (None: every variant)."""

    audio_format: AudioFormat | None = None
    bitrate_kbps: int | None = None

    def matches(self, key: VariantKey) -> bool:
        """Whether ``key`` is of this kind."""
        if self.audio_format is not None and key.format is not self.audio_format:
            return False
        return self.bitrate_kbps is None or key.bitrate_kbps == self.bitrate_kbps

    def describe(self) -> str:
        """``opus 96 kbps``, ``mp3``, or ``any variant``."""
        if self.audio_format is None:
            return "any variant"
        name = self.audio_format.value
        return name if self.bitrate_kbps is None else f"{name} {self.bitrate_kbps} kbps"


def parse_kind(audio_format: str | None, bitrate_kbps: int | None) -> Kind:
    """Check ``--format``/``--bitrate``; ``TranscodeRefused`` says what is wrong."""
    if audio_format is None:
        if bitrate_kbps is not None:
            raise TranscodeRefused("--bitrate needs --format (mp3 or opus)")
        return Kind()
    chosen = AudioFormat(audio_format)
    rates = _BITRATES[chosen]
    if bitrate_kbps is not None and bitrate_kbps not in rates:
        listed = ", ".join(str(rate) for rate in rates)
        raise TranscodeRefused(
            f"{chosen.value} variants are made at {listed} kbps, not {bitrate_kbps}"
        )
    return Kind(chosen, bitrate_kbps)


def parse_track_ids(values: Sequence[str] | None) -> list[uuid.UUID] | None:
    """``--track`` values as UUIDs (None: every track)."""
    if not values:
        return None
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise TranscodeRefused(f"{value!r} is not a track id") from None
    return ids


@dataclass
class Tally:
    """What a ``transcode`` run did."""

    outcomes: Counter[JobOutcome] = field(default_factory=Counter)
    failures: list[tuple[uuid.UUID, VariantKey, str]] = field(default_factory=list)


def transcode_ahead(
    settings: Settings,
    *,
    remake: bool,
    audio_format: str | None,
    bitrate_kbps: int | None,
    track_ids: Sequence[str] | None,
    console: Console | None = None,
) -> int:
    """Make the variants asked for (``remake``: ready ones too); how many failed.

    Raises ``TranscodeRefused`` for arguments that name nothing tonearm can make: a
    bitrate without a format or not made in that format, an unknown track, a variant no
    asked-for track offers.
    """
    kind = parse_kind(audio_format, bitrate_kbps)
    ids = parse_track_ids(track_ids)
    return asyncio.run(_transcode(settings, kind, ids, remake, console or Console()))


async def _transcode(
    settings: Settings,
    kind: Kind,
    ids: list[uuid.UUID] | None,
    remake: bool,
    console: Console,
) -> int:
    from tonearm.db.engine import create_engine
    from tonearm.pubsub.backends import bus_for
    from tonearm.storage.setup import check_storage, storage_for

    engine = create_engine(settings.resolved_database_url)
    bus = bus_for(settings, engine)  # publish only: no listener starts
    storage = storage_for(settings)
    maker = Maker(
        engine=engine,
        store=VariantStore.in_data_dir(settings.data_dir),
        media_root=settings.require_media_root(),
        uploads_root=settings.resolved_uploads_dir,
        ffmpeg_program=settings.ffmpeg,
        store_max_bytes=settings.variant_store_max_bytes,
        publisher=bus,
        storage=storage,
    )
    try:
        await check_storage(storage)
        work = await _work(maker, kind, ids, remake)
        tally = await _make_all(maker, work, remake, settings.worker_threads)
    finally:
        await bus.close()
        await storage.close()
        await engine.dispose()
    _report(console, tally, len(work))
    return len(tally.failures)


async def _work(
    maker: Maker, kind: Kind, ids: list[uuid.UUID] | None, remake: bool
) -> list[tuple[uuid.UUID, VariantKey]]:
    sources = await registry.source_files(maker.engine, ids)
    if ids is not None:
        unknown = set(ids) - {source.track_id for source in sources}
        if unknown:
            raise TranscodeRefused(f"no track has the id {min(str(i) for i in unknown)}")
    work: list[tuple[uuid.UUID, VariantKey]] = []
    for source in sources:
        offered = offered_variants(source_audio(source))
        chosen = [key for key in offered if kind.matches(key)]
        if ids is not None and not chosen:
            offers = ", ".join(_name(key) for key in offered) or "no variants"
            raise TranscodeRefused(
                f"track {source.track_id} does not offer {kind.describe()} (it offers {offers})"
            )
        work += [(source.track_id, key) for key in chosen]
    if sources and not work:
        raise TranscodeRefused(f"no track offers {kind.describe()}")
    if remake or not work:
        return work
    async with maker.engine.connect() as connection:
        rows = await registry.variants_of_tracks(connection, list({t for t, _ in work}))
    by_source = {source.track_id: source for source in sources}
    ready = {
        (row.track_id, row.format, row.bitrate_kbps)
        for found in rows.values()
        for row in found
        if row.state == registry.READY
        and (row.source_size_bytes, row.source_mtime_ns)
        == (by_source[row.track_id].size_bytes, by_source[row.track_id].mtime_ns)
    }
    return [
        (track_id, key)
        for track_id, key in work
        if (track_id, key.format_value, key.bitrate_kbps) not in ready
    ]


def _name(key: VariantKey) -> str:
    return f"{key.format.value} {key.bitrate_kbps} kbps"


async def _make_all(
    maker: Maker, work: list[tuple[uuid.UUID, VariantKey]], remake: bool, concurrency: int
) -> Tally:
    tally = Tally()
    slots = asyncio.Semaphore(concurrency)
    terminal = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]transcoding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=terminal,
        disable=not terminal.is_terminal,
        transient=True,
    )
    bar = progress.add_task("transcoding", total=len(work))

    async def make(track_id: uuid.UUID, key: VariantKey) -> None:
        async with slots:
            force = remake
            while True:
                result = await run_job(maker, track_id, key, retry_failed=True, force=force)
                if result.outcome is not JobOutcome.LOCKED:
                    break
                force = False  # whoever held the lock has just made it
                await asyncio.sleep(LOCK_POLL_SECONDS)
        tally.outcomes[result.outcome] += 1
        if result.outcome is JobOutcome.FAILED:
            tally.failures.append((track_id, key, result.reason or "unknown"))
        progress.advance(bar)

    with progress:
        await asyncio.gather(*(make(track_id, key) for track_id, key in work))
    return tally


def _report(console: Console, tally: Tally, total: int) -> None:
    made = tally.outcomes[JobOutcome.MADE]
    already = tally.outcomes[JobOutcome.ALREADY_READY]
    gone = tally.outcomes[JobOutcome.TRACK_GONE] + tally.outcomes[JobOutcome.NOT_OFFERED]
    if total == 0:
        console.print(
            "nothing to transcode: every variant asked for is made", highlight=False, soft_wrap=True
        )
        return
    parts = [f"made {made}", f"already made {already}", f"failed {len(tally.failures)}"]
    if gone:
        parts.append(f"skipped {gone} (the track changed or is gone)")
    console.print("variants: " + ", ".join(parts), highlight=False, soft_wrap=True)
    for track_id, key, reason in tally.failures:
        console.print(
            f"  failed: track {track_id} {key.slug}: {reason}", highlight=False, soft_wrap=True
        )
