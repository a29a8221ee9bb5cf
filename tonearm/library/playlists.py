"""The scan's playlist phase: M3U/M3U8 files in the media root become the server's playlists.

After the tracks are written and grouped: each playlist file the walk found whose size and
mtime differ from the stamp stored with its playlist is read (in a worker thread) and
parsed (``playlists.m3u``); each entry is looked up in the registry by relative path (never
opened: an entry that climbs out of the media root is refused before any lookup), and the
playlist (kind ``file``, nobody's, read-only) is written with its items in order. A file
that resolves to the tracks it had keeps its items as they were. When the scan added or
removed tracks every playlist file is resolved again, since an entry may now name a track
(or its track may be gone). A file that is gone removes its playlist — unless its folder
could not be read, or the media root looks unmounted. Entries that name no track are
counted in the summary, with a few examples.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.artwork.store import ArtworkStore
from tonearm.catalog.text import sort_text
from tonearm.db.playlists import (
    KnownPlaylistFile,
    all_playlists,
    delete_file_playlists,
    load_file_playlists,
    save_file_playlist,
    scanned_track_ids,
)
from tonearm.library.grouping import folder_of
from tonearm.library.summary import ScanSummary, SkippedFile, UnresolvedEntry
from tonearm.library.walker import PlaylistFile
from tonearm.paths import display_path
from tonearm.playlists.covers import CoverMaker, refresh_cover, refresh_playlist_cover
from tonearm.playlists.m3u import M3UPlaylist, entry_target, parse_m3u, shown_entry

# A playlist of 50,000 entries of 300 bytes each; larger files are not read.
MAX_PLAYLIST_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 50_000  # the playlists package's limit of items per playlist
MAX_NAME_LENGTH = 200
NOT_IN_LIBRARY = "not in the library"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True, slots=True)
class _Read:
    file: PlaylistFile
    stamp: str
    parsed: M3UPlaylist | None
    problem: str | None = None


def stamp_of(size: int, mtime_ns: int) -> str:
    """What identifies a version of a playlist file: its size and mtime."""
    return f"{size}:{mtime_ns}"


def _read(root: Path, file: PlaylistFile) -> _Read:
    """Read and parse one playlist file (blocking); a problem instead of raising."""
    fallback = stamp_of(file.size, file.mtime_ns)
    try:
        fd = os.open(root / file.rel_path, _OPEN_FLAGS)
    except OSError as exc:
        return _Read(file, fallback, None, _reason(exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return _Read(file, fallback, None, "not a regular file")
        if info.st_size > MAX_PLAYLIST_BYTES:
            os.close(fd)
            return _Read(file, fallback, None, "playlist over 16 MiB, not read")
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_PLAYLIST_BYTES + 1)
    except OSError as exc:
        return _Read(file, fallback, None, _reason(exc))
    if len(data) > MAX_PLAYLIST_BYTES:
        return _Read(file, fallback, None, "playlist over 16 MiB, not read")
    utf8 = file.rel_path.lower().endswith(".m3u8")
    return _Read(file, stamp_of(info.st_size, info.st_mtime_ns), parse_m3u(data, utf8=utf8))


def _read_all(root: Path, files: Sequence[PlaylistFile]) -> list[_Read]:
    return [_read(root, file) for file in files]


def _reason(exc: OSError) -> str:
    # strerror only: the exception's text carries the absolute path.
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "playlist not read: permission denied"
    return f"playlist not read: {exc.strerror or type(exc).__name__}"


def _name(parsed: M3UPlaylist, rel_path: str) -> str:
    name = parsed.name or display_path(PurePosixPath(rel_path).stem).strip() or "Playlist"
    return name[:MAX_NAME_LENGTH]


async def scan_playlists(
    sessions: async_sessionmaker[AsyncSession],
    *,
    root: Path,
    files: Sequence[PlaylistFile],
    unreadable: Sequence[str],
    protected_dirs: Sequence[str],
    summary: ScanSummary,
    tracks_changed: bool,
    keep_missing: bool,
    store: ArtworkStore | None,
    covers_changed: bool = False,
) -> list[uuid.UUID]:
    """Bring the server's playlists in step with the playlist files the walk found.

    ``unreadable``: paths the walk could not look at (their playlists stay);
    ``tracks_changed``: the scan added or removed tracks, so every file is resolved again;
    ``keep_missing``: the media root looks unmounted, so nothing is removed; ``store``: where
    covers go (None: no covers); ``covers_changed``: album covers may have changed, so every
    file playlist's cover is looked at. Returns the ids of the playlists whose items changed.
    """
    async with sessions() as session:
        known = await load_file_playlists(session)
    to_read = [
        file
        for file in files
        if tracks_changed
        or (previous := known.get(file.rel_path)) is None
        or previous.stamp != stamp_of(file.size, file.mtime_ns)
    ]
    changed: list[uuid.UUID] = []
    if to_read:
        results = await asyncio.to_thread(_read_all, root, to_read)
        for result in results:
            if result.parsed is None:
                summary.skipped.append(SkippedFile(result.file.rel_path, result.problem or ""))
                continue
            playlist_id, items_changed = await _save(
                sessions, root, result, known.get(result.file.rel_path), summary
            )
            summary.playlists_written += 1
            if items_changed:
                changed.append(playlist_id)
    await _remove_gone(
        sessions,
        files=files,
        known=known,
        unreadable=unreadable,
        protected_dirs=protected_dirs,
        summary=summary,
        keep_missing=keep_missing,
    )
    if store is not None:
        maker = CoverMaker(sessions, store)
        if covers_changed or tracks_changed:
            # Every playlist's first albums may have new covers, or new or lost tracks:
            # users' playlists (static and smart) as well as the files'.
            async with sessions() as session:
                playlists = await all_playlists(session)
            for playlist in playlists:
                await refresh_cover(maker, playlist)
        else:
            for playlist_id in changed:
                await refresh_playlist_cover(maker, playlist_id)
    return changed


async def _save(
    sessions: async_sessionmaker[AsyncSession],
    root: Path,
    result: _Read,
    previous: KnownPlaylistFile | None,
    summary: ScanSummary,
) -> tuple[uuid.UUID, bool]:
    assert result.parsed is not None
    rel_path = result.file.rel_path
    playlist_dir = folder_of(rel_path)
    media_root = str(root)
    entries = result.parsed.entries
    if len(entries) > MAX_ITEMS:
        summary.warnings.append(
            f"{display_path(rel_path)}: only the first {MAX_ITEMS} of its "
            f"{len(entries)} entries were read"
        )
        entries = entries[:MAX_ITEMS]
    targets = [entry_target(e, playlist_dir=playlist_dir, media_root=media_root) for e in entries]
    name = _name(result.parsed, rel_path)
    async with sessions.begin() as session:
        found = await scanned_track_ids(
            session, (path for target in targets for path in target.candidates)
        )
        track_ids: list[uuid.UUID] = []
        for entry, target in zip(entries, targets, strict=True):
            track_id = next((found[c] for c in target.candidates if c in found), None)
            if track_id is not None:
                track_ids.append(track_id)
                continue
            summary.add_unresolved(
                UnresolvedEntry(
                    display_path(rel_path),
                    shown_entry(entry, media_root=media_root),
                    target.problem or NOT_IN_LIBRARY,
                )
            )
        return await save_file_playlist(
            session,
            source_path=rel_path,
            stamp=result.stamp,
            name=name,
            sort_name=sort_text(name),
            track_ids=track_ids,
            existing=previous.id if previous else None,
        )


async def _remove_gone(
    sessions: async_sessionmaker[AsyncSession],
    *,
    files: Sequence[PlaylistFile],
    known: dict[str, KnownPlaylistFile],
    unreadable: Sequence[str],
    protected_dirs: Sequence[str],
    summary: ScanSummary,
    keep_missing: bool,
) -> None:
    if keep_missing or "." in protected_dirs:
        return
    present = {file.rel_path for file in files} | set(unreadable)
    prefixes = tuple(d.rstrip("/") + "/" for d in protected_dirs)
    gone = [
        path
        for path in known
        if path not in present and not (prefixes and path.startswith(prefixes))
    ]
    if gone:
        async with sessions.begin() as session:
            summary.playlists_removed += await delete_file_playlists(session, gone)
