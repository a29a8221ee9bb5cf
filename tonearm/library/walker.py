"""Walking the media root: every audio candidate, image and playlist, never leaving the root.

Hidden files and folders are skipped. Symlinks are followed only when they resolve inside
the media root; loops are detected. Problems are yielded, not raised, so one unreadable
folder never stops a walk.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tonearm.library.formats import is_audio_candidate
from tonearm.paths import is_inside
from tonearm.playlists.m3u import is_playlist_file


@dataclass(frozen=True, slots=True)
class Candidate:
    """An audio-looking regular file inside the media root."""

    rel_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class ImageFile:
    """An image file inside the media root (a folder's cover or artist picture, maybe)."""

    rel_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class PlaylistFile:
    """An M3U or M3U8 playlist file inside the media root."""

    rel_path: str
    size: int
    mtime_ns: int


IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})


def is_image_candidate(name: str) -> bool:
    """Whether a file name looks like an image a folder's artwork could come from."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in IMAGE_EXTENSIONS


@dataclass(frozen=True, slots=True)
class WalkProblem:
    """A file or folder that could not be looked at; ``is_dir`` protects rows below it."""

    rel_path: str
    reason: str
    is_dir: bool = False


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "vanished during the scan"
    return f"unreadable ({errno.errorcode.get(exc.errno or 0, 'error')})"


Found = Candidate | ImageFile | PlaylistFile | WalkProblem


def _reported(name: str) -> bool:
    """Whether a file that cannot be looked at is worth a problem (a track or playlist)."""
    return is_audio_candidate(name) or is_playlist_file(name)


def walk_media_root(root: Path) -> Iterator[Found]:
    """Yield every audio candidate, image and playlist below ``root`` (resolved), and every
    problem."""
    root_str = str(root)
    seen_dirs: set[tuple[int, int]] = set()
    root_stat = os.stat(root_str)
    seen_dirs.add((root_stat.st_dev, root_stat.st_ino))
    stack: list[tuple[str, str]] = [(root_str, "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            yield WalkProblem(rel_dir or ".", _reason(exc), is_dir=True)
            continue
        for entry in children:
            yield from _visit(entry, rel_dir, root_str, seen_dirs, stack)


def _visit(
    entry: os.DirEntry[str],
    rel_dir: str,
    root: str,
    seen_dirs: set[tuple[int, int]],
    stack: list[tuple[str, str]],
) -> Iterator[Found]:
    if entry.name.startswith("."):
        return
    rel_path = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
    try:
        if entry.is_symlink() and not is_inside(os.path.realpath(entry.path), root):
            if entry.is_dir() or _reported(entry.name):
                yield WalkProblem(rel_path, "symlink points outside the media root")
            return
        info = entry.stat()
    except OSError as exc:
        if _reported(entry.name) or exc.errno == errno.ELOOP:
            yield WalkProblem(rel_path, _reason(exc))
        return
    if entry.is_dir():
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            yield WalkProblem(rel_path, "symlink loop", is_dir=True)
            return
        seen_dirs.add(key)
        stack.append((entry.path, rel_path))
    elif entry.is_file() and is_audio_candidate(entry.name):
        yield Candidate(rel_path, info.st_size, info.st_mtime_ns)
    elif entry.is_file() and is_image_candidate(entry.name):
        yield ImageFile(rel_path, info.st_size, info.st_mtime_ns)
    elif entry.is_file() and is_playlist_file(entry.name):
        yield PlaylistFile(rel_path, info.st_size, info.st_mtime_ns)
