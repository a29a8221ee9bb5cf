"""Finding a registered track's file at stream time, confined to its root.

A track's root is the media root or the uploads root, by its origin
(``catalog.origins.FileRoots``, the one mapping; ``locate_origin_file``).

Everything here is blocking (``realpath``, ``stat``, ``open``, ``pread``): media often lives
on NFS, SMB or a disk that spins down, so these functions only ever run in a worker thread,
through ``file_io.TrackFiles``. Confinement is checked at stream time, not only at scan time,
so a symlink swapped in after the scan that points outside the root is refused, while one
that stays inside is fine; every open re-checks that it reached the very file that was
confined (``open_track_file``).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from tonearm.catalog.origins import FileRoots
from tonearm.paths import is_inside
from tonearm.streaming.errors import TrackFileMissing, TrackFileRefused

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    # The resolved path holds no symlinks; if one is swapped in after the check, refuse it.
    | getattr(os, "O_NOFOLLOW", 0)
    # Opening a FIFO swapped in after the check must not block the worker thread.
    | getattr(os, "O_NONBLOCK", 0)
)


@dataclass(frozen=True, slots=True)
class TrackFile:
    """A regular file inside the media root: its resolved path and the ``stat`` we checked."""

    path: str
    stat: os.stat_result


def locate_track_file(media_root: str, stored_path: str) -> TrackFile:
    """Resolve ``stored_path`` under ``media_root`` (already resolved) and check it.

    Raises ``TrackFileRefused`` when it resolves outside the root or to anything but a
    regular file, ``TrackFileMissing`` when it no longer exists.
    """
    # realpath follows every symlink; an absolute or ``..`` stored path resolves to wherever
    # it really points and is then judged by where it lands.
    resolved = os.path.realpath(os.path.join(media_root, stored_path))
    if resolved == media_root or not is_inside(resolved, media_root):
        raise TrackFileRefused
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        raise TrackFileMissing from None
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG):
            raise TrackFileMissing from None
        raise
    if not stat.S_ISREG(info.st_mode):
        raise TrackFileRefused
    return TrackFile(resolved, info)


def locate_origin_file(roots: FileRoots, origin: str, stored_path: str) -> TrackFile:
    """``locate_track_file`` under the root of ``origin`` (``TrackFileMissing`` without one)."""
    root = roots.root_for(origin)
    if root is None:
        raise TrackFileMissing
    return locate_track_file(str(root), stored_path)


def open_track_file(track: TrackFile) -> int:
    """Open the located file and make sure it is still the very file that was checked."""
    try:
        fd = os.open(track.path, _OPEN_FLAGS)
    except OSError:
        raise TrackFileMissing from None
    try:
        now = os.fstat(fd)
        before = track.stat
        if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != (
            before.st_dev,
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        ) or not stat.S_ISREG(now.st_mode):
            raise TrackFileMissing
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_exactly(fd: int, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset``; a file truncated under us raises ``TrackFileMissing``."""
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise TrackFileMissing
    return data


def read_ranges(track: TrackFile, ranges: list[tuple[int, int]]) -> list[bytes]:
    """Open, verify, read every ``[start, end)`` range and close, in one call (one thread hop)."""
    fd = open_track_file(track)
    try:
        return [read_exactly(fd, start, end - start) for start, end in ranges]
    finally:
        os.close(fd)


def close_track_file(fd: int) -> None:
    """Close a descriptor from ``open_track_file``."""
    os.close(fd)
