"""The scan: bring the registry in step with the media root.

Phases (see ``library/README.md``): walk the root → compare each file's size and mtime with
what the registry knows → probe new and changed files in a worker thread → re-attach gone
tracks to new files that are the same recording → upsert them in batches → mark tracks
whose files are gone missing (never deleted: their likes, plays and playlist entries stay).
Errors are reported per file; a file or folder that could not be read never causes its
existing rows to go missing, and no single file — whatever its name, tags or metadata —
stops a scan.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tonearm.artwork.store import ArtworkStore
from tonearm.catalog.artists import artist_key
from tonearm.catalog.rows import apply_overrides, track_row
from tonearm.catalog.states import TrackState
from tonearm.db.locks import scan_lock
from tonearm.db.registry import (
    KnownFile,
    Reattached,
    clear_purged_paths,
    is_row_fault,
    load_known_files,
    load_overrides,
    load_purged_paths,
    mark_missing,
    reattach_tracks,
    set_fingerprints,
    upsert_tracks,
)
from tonearm.library.covers import make_covers
from tonearm.library.facts import TrackFacts
from tonearm.library.grouping import GroupingChanges, group_tracks
from tonearm.library.playlists import scan_playlists
from tonearm.library.probe import ProbeError, file_fingerprint, probe_file
from tonearm.library.summary import ScanSummary, SkippedFile
from tonearm.library.walker import (
    Candidate,
    ImageFile,
    PlaylistFile,
    WalkProblem,
    walk_media_root,
)
from tonearm.paths import display_path
from tonearm.pubsub.library_events import (
    SCAN_FINISHED,
    SCAN_PROGRESS,
    SCAN_STARTED,
    ScanCounts,
)
from tonearm.storage.base import ObjectStorage

BATCH_SIZE = 250
# Fingerprints backfilled for known files that have none, per worker-thread batch.
FINGERPRINT_BATCH_SIZE = 500
UPLOAD_HOLDS_PATH = "an uploaded track is stored at this path; the upload keeps it"
PURGED = "purged from the library (scan with --include-purged to bring it back)"
# The unmounted-drive guard: a scan that would mark more than half of the available
# scanned tracks missing at once, and at least this many, marks none without confirmation.
MISSING_GUARD_MIN = 50
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How a scan reads what it finds (from settings; ``ScanOptions()`` for the defaults)."""

    artist_split_exceptions: frozenset[str] = frozenset()
    # Where cover-art thumbnails go; None: the scan makes no artwork.
    artwork_store: ArtworkStore | None = None
    # The uploads root, so covers of albums holding uploads can read their pictures; None:
    # those albums keep their artwork.
    uploads_root: Path | None = None
    # Told the relative paths of the tracks the scan added or changed, once they are
    # written (``TONEARM_VARIANTS_ON_SCAN=eager`` queues their variants with it).
    tracks_written: Callable[[Sequence[str]], Awaitable[None]] | None = None
    # Told each SCAN_* event with the counts so far (``pubsub.library_events.ScanAnnouncer``
    # publishes them, throttled); None: the scan announces nothing.
    announce: Callable[[str, ScanCounts], Awaitable[None]] | None = None
    # Forget the paths of purged files first, so they are registered again as new tracks
    # (``tonearm scan --include-purged``); otherwise the walk skips them.
    include_purged: bool = False

    @classmethod
    def from_settings(
        cls,
        *,
        artist_split_exceptions: Iterable[str],
        data_dir: Path | None,
        uploads_root: Path | None = None,
        storage: ObjectStorage | None = None,
    ) -> ScanOptions:
        """Options from the settings' values (names folded here, as the recipe compares);
        with remote ``storage`` the covers are its objects (call this from async code)."""
        return cls(
            frozenset(artist_key(name) for name in artist_split_exceptions if name.strip()),
            ArtworkStore.in_data_dir(data_dir, storage) if data_dir is not None else None,
            uploads_root=uploads_root,
        )


class ScanProgress(Protocol):
    """Receives progress while a scan runs (the CLI draws a bar from it)."""

    def started(self, total: int) -> None:
        """The walk found ``total`` candidate files."""

    def advanced(self, count: int) -> None:
        """``count`` more files were handled."""


@dataclass(slots=True)
class _Report:
    """A running scan's progress, told to the CLI's bar and to the library events alike."""

    summary: ScanSummary
    progress: ScanProgress | None
    announce: Callable[[str, ScanCounts], Awaitable[None]] | None
    total: int = 0
    done: int = 0

    async def tell(self, kind: str, phase: str, *, finished: bool = False) -> None:
        """Announce ``kind`` with the counts so far."""
        if self.announce is None:
            return
        summary = self.summary
        counts = ScanCounts(
            phase=phase,
            files_seen=self.total,
            files_done=self.done,
            added=summary.added,
            updated=summary.updated,
            missing=summary.missing,
            finished=finished,
        )
        await self.announce(kind, counts)

    async def started(self, total: int, unchanged: int) -> None:
        """The walk found ``total`` files, ``unchanged`` of them known and unchanged."""
        self.total = total
        if self.progress:
            self.progress.started(total)
        await self.advanced(unchanged)

    async def advanced(self, count: int) -> None:
        """``count`` more files were handled."""
        self.done += count
        if self.progress:
            self.progress.advanced(count)
        await self.tell(SCAN_PROGRESS, "reading")


@dataclass(slots=True)
class _Plan:
    to_probe: list[Candidate]
    seen: set[str]
    protected_dirs: list[str]
    total: int
    changes: GroupingChanges = dataclasses.field(default_factory=GroupingChanges)
    images: list[ImageFile] = dataclasses.field(default_factory=list)
    playlists: list[PlaylistFile] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    kept_all: bool = False  # the root looked unmounted: nothing was marked missing
    # Known available paths not on disk (decided once the walk is done), the unchanged
    # known files without a fingerprint, and the tracks re-attached so far (by new path).
    gone: set[str] = dataclasses.field(default_factory=set)
    to_fingerprint: list[str] = dataclasses.field(default_factory=list)
    reattached: dict[str, Reattached] = dataclasses.field(default_factory=dict)


def _plan(
    root: Path,
    known: dict[str, KnownFile],
    summary: ScanSummary,
    purged: frozenset[str] | set[str] = frozenset(),
) -> _Plan:
    """Walk the root and sort files into unchanged (counted) and to-probe (returned).

    A missing track's file found again is probed whatever its size and mtime, so that its
    row is available again; a purged path is skipped (and counts as seen).
    """
    to_probe: list[Candidate] = []
    to_fingerprint: list[str] = []
    seen: set[str] = set()
    protected: list[str] = []
    images: list[ImageFile] = []
    playlists: list[PlaylistFile] = []
    problems: list[str] = []
    total = 0
    for item in walk_media_root(root):
        if isinstance(item, ImageFile):
            images.append(item)
            continue
        if isinstance(item, PlaylistFile):
            playlists.append(item)
            continue
        if isinstance(item, WalkProblem):
            summary.skipped.append(SkippedFile(item.rel_path, item.reason))
            seen.add(item.rel_path)
            problems.append(item.rel_path)
            if item.is_dir:
                protected.append(item.rel_path)
            continue
        seen.add(item.rel_path)
        if item.rel_path in purged:
            summary.skipped.append(SkippedFile(item.rel_path, PURGED))
            continue
        total += 1
        previous = known.get(item.rel_path)
        if (
            previous
            and previous.state != TrackState.MISSING.value
            and (previous.size_bytes, previous.mtime_ns) == (item.size, item.mtime_ns)
        ):
            summary.unchanged += 1
            if not previous.has_fingerprint:
                to_fingerprint.append(item.rel_path)
        else:
            to_probe.append(item)
    return _Plan(
        to_probe,
        seen,
        protected,
        total,
        images=images,
        playlists=playlists,
        problems=problems,
        to_fingerprint=to_fingerprint,
    )


def _row(
    candidate: Candidate,
    facts: TrackFacts,
    options: ScanOptions,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    row = track_row(
        path=candidate.rel_path,
        size_bytes=candidate.size,
        mtime_ns=candidate.mtime_ns,
        keep_whole=options.artist_split_exceptions,
        **{field.name: getattr(facts, field.name) for field in dataclasses.fields(facts)},
    )
    # A rescan never reverts an edit: the stored overrides win over the file's tags.
    return apply_overrides(row, overrides, keep_whole=options.artist_split_exceptions)


def _probe_batch(
    root: Path,
    batch: Iterable[Candidate],
    options: ScanOptions,
    overrides: dict[str, dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[SkippedFile]]:
    rows: list[dict[str, Any]] = []
    skipped: list[SkippedFile] = []
    for candidate in batch:
        try:
            facts = probe_file(root / candidate.rel_path, candidate.rel_path)
            row = _row(candidate, facts, options, overrides.get(candidate.rel_path))
            row["fingerprint"] = _fingerprint(root / candidate.rel_path)
            rows.append(row)
        except ProbeError as exc:
            skipped.append(SkippedFile(candidate.rel_path, exc.reason))
        except Exception as exc:  # a bug met on one file must not cost the rest of the scan
            reason = f"unreadable ({type(exc).__name__})"
            _log_refusal(candidate.rel_path, reason, exc)
            skipped.append(SkippedFile(candidate.rel_path, reason))
    return rows, skipped


def _fingerprint(path: Path) -> str | None:
    """The file's fingerprint (``probe.file_fingerprint``); None if it cannot be read now."""
    try:
        return file_fingerprint(path)
    except OSError:
        return None


def _fingerprints(root: Path, paths: Iterable[str]) -> dict[str, str]:
    """Fingerprints of known files that have none (a worker thread's batch)."""
    return {path: printed for path in paths if (printed := _fingerprint(root / path))}


def _log_refusal(rel_path: str, reason: str, exc: BaseException) -> None:
    """One line for the operator; the traceback only when debugging (never to a user)."""
    logger.warning("%s not registered: %s", display_path(rel_path), reason)
    logger.debug("why %s was not registered", display_path(rel_path), exc_info=exc)


def _refusal_reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    message = (str(orig) or type(orig).__name__).strip().splitlines()[0][:120]
    return display_path(f"refused by the database ({message})")


async def _write(
    sessions: async_sessionmaker[AsyncSession], rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[SkippedFile]]:
    """Upsert a batch in one transaction; if one row spoils it, row by row.

    Returns the rows written and the files refused. A failure that is no row's fault
    (``is_row_fault``) is raised: retrying could not help, and blaming every file for it
    would hide the real problem.
    """
    try:
        async with sessions.begin() as session:
            taken = set(await upsert_tracks(session, rows))
        return [row for row in rows if row["path"] not in taken], _uploads_there(taken)
    except Exception as exc:
        if not is_row_fault(exc):
            raise
    written: list[dict[str, Any]] = []
    refused: list[SkippedFile] = []
    for row in rows:
        try:
            async with sessions.begin() as session:
                taken = set(await upsert_tracks(session, [row]))
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            reason = _refusal_reason(exc)
            _log_refusal(row["path"], reason, exc)
            refused.append(SkippedFile(row["path"], reason))
        else:
            if taken:
                refused += _uploads_there(taken)
            else:
                written.append(row)
    return written, refused


def _uploads_there(paths: set[str]) -> list[SkippedFile]:
    """Media files at the stored path of an upload: the upload keeps the path."""
    return [SkippedFile(path, UPLOAD_HOLDS_PATH) for path in sorted(paths)]


def _gone(known: dict[str, KnownFile], plan: _Plan) -> set[str]:
    """Available known paths no longer on disk, sparing anything below an unreadable folder.

    Files that are on disk but failed to probe count as seen, so an error never makes them
    missing. Tracks already missing stay so (since when they went), trashed ones trashed.
    """
    if "." in plan.protected_dirs:
        return set()
    prefixes = tuple(d.rstrip("/") + "/" for d in plan.protected_dirs)
    return {
        path
        for path, file in known.items()
        if file.is_available
        and path not in plan.seen
        and not (prefixes and path.startswith(prefixes))
    }


async def scan_library(
    engine: AsyncEngine,
    media_root: Path,
    *,
    progress: ScanProgress | None = None,
    allow_empty: bool = False,
    confirm_missing: bool = False,
    options: ScanOptions | None = None,
) -> ScanSummary:
    """Scan ``media_root`` (resolved) into the registry; one scan at a time per registry.

    ``confirm_missing`` (or ``allow_empty``, its older name for an empty root): mark gone
    files missing even when the guard against an unmounted drive would keep them.
    """
    started = time.perf_counter()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    summary = ScanSummary()
    report = _Report(summary, progress, options.announce if options else None)
    async with scan_lock(engine):
        await report.tell(SCAN_STARTED, "walking")
        try:
            plan = await _scan_locked(
                sessions,
                media_root,
                summary,
                report,
                options,
                confirmed=allow_empty or confirm_missing,
            )
        except Exception:
            await report.tell(SCAN_FINISHED, "failed", finished=True)
            raise
        await report.tell(SCAN_FINISHED, "done", finished=True)
    if options and options.tracks_written is not None and plan.changes.written_paths:
        await options.tracks_written(plan.changes.written_paths)
    summary.elapsed_seconds = round(time.perf_counter() - started, 3)
    return summary


async def _scan_locked(
    sessions: async_sessionmaker[AsyncSession],
    media_root: Path,
    summary: ScanSummary,
    report: _Report,
    options: ScanOptions | None,
    *,
    confirmed: bool,
) -> _Plan:
    """The scan itself, under the scan lock; the plan it followed."""
    if options and options.include_purged:
        async with sessions.begin() as session:
            await clear_purged_paths(session)
    async with sessions() as session:
        known = await load_known_files(session)
        overrides = await load_overrides(session)
        purged = await load_purged_paths(session)
    plan = await asyncio.to_thread(_plan, media_root, known, summary, purged)
    plan.gone = _gone(known, plan)
    await report.started(plan.total, summary.unchanged)
    await _ingest(
        sessions,
        root=media_root,
        plan=plan,
        known=known,
        summary=summary,
        report=report,
        options=options or ScanOptions(),
        overrides=overrides,
    )
    await _backfill_fingerprints(sessions, media_root, plan.to_fingerprint)
    await _mark_gone(sessions, known, plan, summary, confirmed=confirmed)
    await report.tell(SCAN_PROGRESS, "grouping")
    await group_tracks(sessions, plan.changes)
    covers_changed = 0
    if options and options.artwork_store is not None:
        covers_changed = await make_covers(
            sessions,
            root=media_root,
            store=options.artwork_store,
            images=plan.images,
            skipped=summary.skipped,
            uploads_root=options.uploads_root,
        )
    await scan_playlists(
        sessions,
        root=media_root,
        files=plan.playlists,
        unreadable=plan.problems,
        protected_dirs=plan.protected_dirs,
        summary=summary,
        tracks_changed=bool(summary.added or summary.missing or summary.reattached),
        keep_missing=plan.kept_all,
        store=options.artwork_store if options else None,
        covers_changed=covers_changed > 0,
    )
    return plan


async def _ingest(
    sessions: async_sessionmaker[AsyncSession],
    *,
    root: Path,
    plan: _Plan,
    known: dict[str, KnownFile],
    summary: ScanSummary,
    report: _Report,
    options: ScanOptions,
    overrides: dict[str, dict[str, Any]],
) -> None:
    """Probe batch N+1 in a worker thread while batch N is written."""
    batches = [
        plan.to_probe[start : start + BATCH_SIZE]
        for start in range(0, len(plan.to_probe), BATCH_SIZE)
    ]
    if not batches:
        return
    probing = asyncio.ensure_future(
        asyncio.to_thread(_probe_batch, root, batches[0], options, overrides)
    )
    try:
        for index, batch in enumerate(batches):
            rows, skipped = await probing
            if index + 1 < len(batches):
                following = batches[index + 1]
                probing = asyncio.ensure_future(
                    asyncio.to_thread(_probe_batch, root, following, options, overrides)
                )
            rows = await _reattach(
                sessions, rows, known, plan, summary, overrides=overrides, options=options
            )
            written, refused = await _write(sessions, rows)
            _count(written, skipped + refused, known, plan, summary)
            _note_changes(plan.changes, written, known, plan)
            await report.advanced(len(batch))
    finally:
        if not probing.done():
            probing.cancel()
            await asyncio.gather(probing, return_exceptions=True)


async def _reattach(
    sessions: async_sessionmaker[AsyncSession],
    rows: list[dict[str, Any]],
    known: dict[str, KnownFile],
    plan: _Plan,
    summary: ScanSummary,
    *,
    overrides: dict[str, dict[str, Any]],
    options: ScanOptions,
) -> list[dict[str, Any]]:
    """Before new files become new tracks: gone tracks that are the same recording move.

    Returns the rows to write: a re-attached track's edits (stored with it, read by its old
    path) are applied over its new file's tags, as a rescan of its old path would have.
    """
    fresh = [row for row in rows if row["path"] not in known]
    if not fresh:
        return rows
    async with sessions.begin() as session:
        report = await reattach_tracks(session, fresh, gone=plan.gone, present=plan.seen)
    edits: dict[str, dict[str, Any]] = {}
    for moved in report.moved:
        plan.reattached[moved.new_path] = moved
        plan.gone.discard(moved.old_path)
        if moved.old_path in overrides:
            edits[moved.new_path] = overrides[moved.old_path]
    summary.ambiguous_matches += len(report.ambiguous)
    if not edits:
        return rows
    keep = options.artist_split_exceptions
    return [
        apply_overrides(row, edits[row["path"]], keep_whole=keep) if row["path"] in edits else row
        for row in rows
    ]


def _note_changes(
    changes: GroupingChanges,
    rows: list[dict[str, Any]],
    known: dict[str, KnownFile],
    plan: _Plan,
) -> None:
    for row in rows:
        changes.written_paths.append(row["path"])
        moved = plan.reattached.get(row["path"])
        previous = known.get(moved.old_path if moved else row["path"])
        if previous and previous.album_group and previous.album_group != row["album_group"]:
            changes.old_groups.add(previous.album_group)


def _count(
    rows: list[dict[str, Any]],
    skipped: list[SkippedFile],
    known: dict[str, KnownFile],
    plan: _Plan,
    summary: ScanSummary,
) -> None:
    for row in rows:
        previous = known.get(row["path"])
        if row["path"] in plan.reattached or (
            previous and previous.state == TrackState.MISSING.value
        ):
            summary.reattached += 1
        elif previous:
            summary.updated += 1
        else:
            summary.added += 1
    summary.skipped.extend(skipped)


async def _backfill_fingerprints(
    sessions: async_sessionmaker[AsyncSession], root: Path, paths: Sequence[str]
) -> None:
    """Fingerprint known unchanged files that have none (rows from before fingerprints).

    Only the first scan after an upgrade reads them: 128 KiB a file, in a worker thread.
    """
    for start in range(0, len(paths), FINGERPRINT_BATCH_SIZE):
        batch = paths[start : start + FINGERPRINT_BATCH_SIZE]
        printed = await asyncio.to_thread(_fingerprints, root, batch)
        async with sessions.begin() as session:
            await set_fingerprints(session, printed)


async def _mark_gone(
    sessions: async_sessionmaker[AsyncSession],
    known: dict[str, KnownFile],
    plan: _Plan,
    summary: ScanSummary,
    *,
    confirmed: bool,
) -> None:
    """Mark the tracks whose files are gone (and were not re-attached) missing.

    The guard against an unmounted drive: an empty root, or one that would take more than
    half of the available scanned tracks (at least ``MISSING_GUARD_MIN``) at once, marks
    none unless ``confirmed`` (``--confirm-missing``, ``--allow-empty``,
    ``scanLibrary(confirmMissing: true)``).
    """
    gone = sorted(plan.gone)
    if not gone:
        return
    if not confirmed:
        if plan.total == 0 and not plan.protected_dirs:
            summary.warnings.append(
                f"the media root has no audio files; kept all {len(known)} registered tracks "
                "in case it is an unmounted drive (scan with --allow-empty or "
                "--confirm-missing to mark them missing)"
            )
            plan.kept_all = True
            return
        available = sum(1 for file in known.values() if file.is_available)
        if len(gone) >= MISSING_GUARD_MIN and 2 * len(gone) > available:
            summary.warnings.append(
                f"{len(gone)} of the {available} available tracks are gone at once; none "
                "was marked missing in case a drive is unmounted (scan with "
                "--confirm-missing to mark them)"
            )
            plan.kept_all = True
            return
    async with sessions.begin() as session:
        marked = await mark_missing(session, gone, now=datetime.now(UTC))
    summary.missing = summary.removed = marked
    plan.changes.old_groups.update(group for path in gone if (group := known[path].album_group))
