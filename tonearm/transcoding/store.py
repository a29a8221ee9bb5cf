"""The variant store on the local file system, and the locks that keep one encode per variant.

Layout under ``<data dir>/variants``::

    <track id[:2]>/<track id>/<format>-<bitrate>.<container>     a complete, verified variant
    <track id[:2]>/<track id>/.<format>-<bitrate>.lock           held while it is being made
    <track id[:2]>/<track id>/.<format>-<bitrate>.<random>.part  the encoder's output meanwhile
    <track id[:2]>/<track id>/.<format>-<bitrate>.wanted         shared-locked by each listener
                                                                  in another process; locked
                                                                  exclusively while its
                                                                  unwanted encode is stopped
    .slots/                                                       encoder slots (``limits.py``)
    .sources/<random>.source                                      an original being fetched
                                                                  from remote storage

Names come from the track's UUID and the variant's slug only, never from user input or tag
text. A variant appears under its final name only by ``rename`` of a file that was written
completely, flushed to disk and verified, so nothing half-written is ever served; a crash
leaves at most a ``.part`` file, which the next encode of that variant (or ``sweep``)
removes. ``relative_path`` is what the stream route confines to the store root.

An original kept in remote storage is downloaded into ``.sources`` for ffmpeg (``making``),
opened and its name removed at once; only a process killed while downloading leaves one
behind, and ``sweep_sources`` removes those once nobody has written to them for
``STALE_SOURCE_SECONDS``.

Everything here blocks: call it from a worker thread. The lock is an ``flock`` held by an
open descriptor, so it is released when its holder dies, however it dies.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tonearm.catalog.variants import VariantKey

STORE_DIR = "variants"
PART_SUFFIX = ".part"
SOURCES_DIR = ".sources"  # originals fetched from remote storage, for the encoder to read
SOURCE_SUFFIX = ".source"
# A download writes all the time (the storage's read timeout is seconds): a ``.source``
# file untouched this long belongs to a process that died.
STALE_SOURCE_SECONDS = 3 * 3600.0
_HASH_CHUNK = 1 << 20


@dataclass(slots=True)
class VariantLock:
    """An exclusive claim on making one variant, with the name its output is written to."""

    fd: int
    part_path: Path

    def release(self) -> None:
        """Give the claim up (idempotent); the ``.part`` file is removed if still there."""
        if self.fd < 0:
            return
        try:
            self.part_path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = -1


class VariantStore:
    """Stored variants by (track id, variant key) under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> VariantStore:
        """The store of a data dir (``<data dir>/variants``), resolved once."""
        return cls(data_dir.expanduser().resolve() / STORE_DIR)

    @staticmethod
    def relative_path(track_id: uuid.UUID, key: VariantKey) -> str:
        """The variant's path relative to the store root (POSIX, no user input in it)."""
        hex_id = str(track_id)
        return f"{hex_id[:2]}/{hex_id}/{key.slug}.{key.container}"

    def path_for(self, track_id: uuid.UUID, key: VariantKey) -> Path:
        """Where the complete variant lives."""
        return self.root / self.relative_path(track_id, key)

    @property
    def sources_dir(self) -> Path:
        """Where originals from remote storage are downloaded for the encoder."""
        return self.root / SOURCES_DIR

    def new_source_path(self) -> Path:
        """A fresh name in ``sources_dir`` (created) for one original's download."""
        folder = self.sources_dir
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{secrets.token_hex(8)}{SOURCE_SUFFIX}"

    def sweep_sources(
        self, *, max_age: float = STALE_SOURCE_SECONDS, now: float | None = None
    ) -> int:
        """Remove ``.sources`` files last written more than ``max_age`` seconds ago (left by
        a process killed mid-download); the number removed."""
        oldest = (time.time() if now is None else now) - max_age
        try:
            entries = list(os.scandir(self.sources_dir))
        except (FileNotFoundError, NotADirectoryError):
            return 0
        removed = 0
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < oldest:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _lock_path(self, track_id: uuid.UUID, key: VariantKey) -> Path:
        return self.path_for(track_id, key).with_name(f".{key.slug}.lock")

    def try_lock(self, track_id: uuid.UUID, key: VariantKey) -> VariantLock | None:
        """Claim the making of a variant, or None when someone else is making it now.

        The claim's ``.part`` name is written into the lock file, so that a process that
        finds the lock held can follow the output as it grows (``following_part``).
        Leftover ``.part`` files of this variant from a crashed encode are removed.
        """
        lock_path = self._lock_path(track_id, key)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            raise
        try:
            for leftover in lock_path.parent.glob(f".{key.slug}.*{PART_SUFFIX}"):
                leftover.unlink(missing_ok=True)
            part_name = f".{key.slug}.{secrets.token_hex(8)}{PART_SUFFIX}"
            os.ftruncate(fd, 0)
            os.pwrite(fd, part_name.encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        return VariantLock(fd, lock_path.with_name(part_name))

    def following_part(self, track_id: uuid.UUID, key: VariantKey) -> Path | None:
        """The ``.part`` file someone is making this variant into, or None when nobody is."""
        lock_path = self._lock_path(track_id, key)
        try:
            fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            if _lock_is_free(fd):
                return None
            name = os.pread(fd, 64, 0).decode("ascii", "replace")
        finally:
            os.close(fd)
        if not (name.startswith(f".{key.slug}.") and name.endswith(PART_SUFFIX)):
            return None
        return lock_path.with_name(name)

    def is_being_made(self, track_id: uuid.UUID, key: VariantKey) -> bool:
        """Whether some process holds the lock of this variant now."""
        lock_path = self._lock_path(track_id, key)
        try:
            fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            return not _lock_is_free(fd)
        finally:
            os.close(fd)

    def _wanted_path(self, track_id: uuid.UUID, key: VariantKey) -> Path:
        return self.path_for(track_id, key).with_name(f".{key.slug}.wanted")

    def hold_interest(self, track_id: uuid.UUID, key: VariantKey) -> int | None:
        """Say "I need this variant's output" until the returned descriptor is closed.

        A shared ``flock``: any number of listeners in any process of the machine hold it
        at once (a follower in another worker, a time-offset stream of the same variant).
        None when the encode of it is being stopped (``claim_unwanted`` holds it).
        """
        return self._lock_wanted(track_id, key, fcntl.LOCK_SH)

    def claim_unwanted(self, track_id: uuid.UUID, key: VariantKey) -> int | None:
        """The variant's ``.wanted`` lock held exclusively (nobody on this machine wants its
        output, and nobody can say so until the descriptor is closed), or None when
        someone holds interest in it now."""
        return self._lock_wanted(track_id, key, fcntl.LOCK_EX)

    def _lock_wanted(self, track_id: uuid.UUID, key: VariantKey, operation: int) -> int | None:
        path = self._wanted_path(track_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
        except BaseException as exc:
            os.close(fd)
            if isinstance(exc, OSError) and exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            raise
        return fd

    def publish(self, lock: VariantLock, track_id: uuid.UUID, key: VariantKey) -> None:
        """Flush the finished ``.part`` file to disk and rename it to the variant's name."""
        fd = os.open(lock.part_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.path_for(track_id, key)
        os.replace(lock.part_path, final)
        directory = os.open(final.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def remove(self, track_id: uuid.UUID, key: VariantKey) -> None:
        """Delete a stored variant (eviction, a stale source); absent is fine."""
        self.path_for(track_id, key).unlink(missing_ok=True)

    def remove_track(self, track_id: uuid.UUID) -> None:
        """Delete every stored variant of a track (and its lock files): the track was purged.

        The folder's name comes from the id alone; ``rmtree`` never follows a symlink out.
        """
        hex_id = str(track_id)
        shutil.rmtree(self.root / hex_id[:2] / hex_id, ignore_errors=True)

    def sweep(self) -> int:
        """Remove ``.part`` files nobody is writing any more; the number removed.

        Run when a worker starts: a server killed mid-encode leaves its ``.part`` behind.
        """
        removed = 0
        if not self.root.is_dir():
            return 0
        for part in self.root.glob(f"*/*/.*{PART_SUFFIX}"):
            slug = part.name[1:].split(".", 1)[0]
            key = VariantKey.from_slug(slug)
            try:
                track_id = uuid.UUID(part.parent.name)
            except ValueError:
                continue
            if key is None or self.is_being_made(track_id, key):
                continue
            part.unlink(missing_ok=True)
            removed += 1
        return removed


def _lock_is_free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 (hex) of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
