"""The content-addressed artwork store on the local file system.

Layout: ``<root>/<hash[:2]>/<hash>/<size>.jpg`` where ``root`` is ``<data dir>/art`` and
``hash`` is the SHA-256 of the source image's bytes. What a hash and a size name never
changes, so URLs over it can be cached forever.

The methods other code uses (``has``, ``put``, ``get``, ``sizes_present``) say nothing of
files: with remote storage (``TONEARM_STORAGE=s3``) the same names read and write the
objects ``art/<hash>/<size>.jpg`` (``storage.keys``) through ``storage.blocking``, and
nothing is kept on this disk; ``path_for`` is the local layout's own. Everything here
blocks: call it from a worker thread.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from tonearm.artwork.sizes import is_possible_size
from tonearm.storage.base import ObjectStorage
from tonearm.storage.blocking import BlockingObjects
from tonearm.storage.keys import art_key, art_prefix

# The one output format (chosen by measurement; see README.md).
EXTENSION = "jpg"
MEDIA_TYPE = "image/jpeg"
STORE_DIR = "art"

_HASH = re.compile(r"[0-9a-f]{64}")
_STORED_NAME = re.compile(rf"([1-9][0-9]{{0,3}})\.{EXTENSION}")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    # A FIFO put where a thumbnail should be must not block the worker thread.
    | getattr(os, "O_NONBLOCK", 0)
)


def is_artwork_hash(value: str) -> bool:
    """Whether ``value`` is exactly 64 lowercase hex digits."""
    return _HASH.fullmatch(value) is not None


class ArtworkStore:
    """Thumbnails by (hash, size) under ``root``; writes are atomic and idempotent."""

    def __init__(self, root: Path, remote: BlockingObjects | None = None) -> None:
        self.root = root
        self.remote = remote  # set: thumbnails are objects of remote storage

    @classmethod
    def in_data_dir(cls, data_dir: Path, storage: ObjectStorage | None = None) -> ArtworkStore:
        """The store of a data dir (``<data dir>/art``), resolved now so that a later change
        of working folder changes nothing; with remote ``storage`` (call this from async
        code then: its calls go back to this loop) the thumbnails are its objects."""
        root = data_dir.expanduser().resolve() / STORE_DIR
        if storage is not None and storage.remote:
            return cls(root, BlockingObjects.here(storage))
        return cls(root)

    @staticmethod
    def key_for(hash_: str, size: int) -> str:
        """The storage key of a thumbnail (``storage.keys``); ``ValueError`` as ``path_for``."""
        if not is_artwork_hash(hash_) or not is_possible_size(size):
            raise ValueError("not an artwork hash and size")
        return art_key(hash_, size, EXTENSION)

    def path_for(self, hash_: str, size: int) -> Path:
        """Where the thumbnail of ``hash_`` at ``size`` lives.

        Raises ``ValueError`` for anything but a 64-hex-digit hash and a possible size, so no
        argument can name a path outside the store.
        """
        if not is_artwork_hash(hash_) or not is_possible_size(size):
            raise ValueError("not an artwork hash and size")
        return self.root / hash_[:2] / hash_ / f"{size}.{EXTENSION}"

    def has(self, hash_: str, size: int) -> bool:
        """Whether the thumbnail is stored (an empty file, left by a crash, is not)."""
        if self.remote is not None:
            return self.remote.exists(self.key_for(hash_, size))
        try:
            info = os.stat(self.path_for(hash_, size), follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and info.st_size > 0

    def sizes_present(self, hash_: str) -> list[int]:
        """The sizes stored for ``hash_``, ascending; empty when there are none."""
        if not is_artwork_hash(hash_):
            raise ValueError("not an artwork hash")
        if self.remote is not None:
            prefix = art_prefix(hash_)
            names = [key.removeprefix(prefix) for key in self.remote.keys(prefix)]
            found = [int(m[1]) for name in names if (m := _STORED_NAME.fullmatch(name))]
            return sorted(size for size in found if is_possible_size(size))
        try:
            entries = list(os.scandir(self.root / hash_[:2] / hash_))
        except (FileNotFoundError, NotADirectoryError):
            return []
        sizes = []
        for entry in entries:
            match = _STORED_NAME.fullmatch(entry.name)
            if match and entry.is_file(follow_symlinks=False) and entry.stat().st_size > 0:
                sizes.append(int(match[1]))
        return sorted(size for size in sizes if is_possible_size(size))

    def put(self, hash_: str, size: int, data: bytes) -> bool:
        """Store ``data`` as the thumbnail; False (nothing written) when it is already there.

        The bytes go to a temporary name in the same folder and are renamed into place
        (``os.replace`` is atomic), so a reader sees the whole file or none. There is no
        ``fsync`` (it cost 3 ms a file here, more than the rest of the write); a crash can
        at worst leave an empty file, which counts as absent and is written again.
        """
        if not data:
            raise ValueError("an empty thumbnail")
        final = self.path_for(hash_, size)
        if self.has(hash_, size):
            return False
        if self.remote is not None:
            self.remote.put(self.key_for(hash_, size), data, MEDIA_TYPE)
            return True
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return True

    def get(self, hash_: str, size: int) -> bytes | None:
        """The thumbnail's bytes, or None when it is not stored."""
        if self.remote is not None:
            return self.remote.read(self.key_for(hash_, size)) or None
        path = self.path_for(hash_, size)
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                return None
            with os.fdopen(fd, "rb") as handle:
                data = handle.read()
        except OSError:  # a failing disk: as absent as a missing file, to the reader
            return None
        return data or None
