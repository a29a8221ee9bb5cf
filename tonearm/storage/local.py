"""The local backend: objects are files in today's folders, with today's layout.

``originals/<rest>`` is ``<uploads root>/<rest>``; ``variants/<id>/<name>`` is
``<data dir>/variants/<id[:2]>/<id>/<name>``; ``art/<hash>/<name>`` is
``<data dir>/art/<hash[:2]>/<hash>/<name>``. A key is checked against the layout
(``keys.parse_key``) before a path is built from it, so no key names a file outside these
roots. Writes go to a temporary name and are renamed into place. Every file call runs in a
worker thread under this backend's own limiter.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread

from tonearm.storage.base import ObjectInfo, ObjectNotFound, ObjectStorage
from tonearm.storage.keys import BadKey, Namespace, parse_key

R = TypeVar("R")
Args = TypeVarTuple("Args")

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
)


# The folders under the data dir (the uploads root is a setting of its own).
VARIANTS_DIR = "variants"
ART_DIR = "art"
# Under the uploads root, beside ``.staging`` and ``.tus`` (hidden: never an original).
INCOMING_DIR = ".incoming"


@dataclass(frozen=True, slots=True)
class LocalRoots:
    """The folders of the local backend (resolved)."""

    uploads: Path
    variants: Path
    art: Path

    @classmethod
    def under(cls, data_dir: Path, uploads: Path) -> LocalRoots:
        """``<data dir>/variants``, ``<data dir>/art`` and the uploads root, resolved."""
        base = data_dir.expanduser().resolve()
        return cls(uploads=uploads, variants=base / VARIANTS_DIR, art=base / ART_DIR)


def _info(info: os.stat_result) -> ObjectInfo:
    # The stream route's own validator shape (streaming.responses.etag_for).
    return ObjectInfo(
        size=info.st_size,
        etag=f'"{info.st_mtime_ns:x}-{info.st_size:x}"',
        modified=info.st_mtime,
    )


class LocalStorage(ObjectStorage):
    """Objects as files under ``roots``."""

    kind = "local"

    def __init__(self, roots: LocalRoots, *, threads: int = 8) -> None:
        self.roots = roots
        self._limiter = anyio.CapacityLimiter(threads)

    def path_of(self, key: str) -> Path:
        """The file of ``key``; raises ``ObjectNotFound`` for a key not of the layout."""
        try:
            parsed = parse_key(key)
        except BadKey:
            raise ObjectNotFound("not a storage key") from None
        if parsed.namespace is Namespace.ORIGINALS:
            return self.roots.uploads / parsed.rest
        if parsed.namespace is Namespace.INCOMING:
            return self.roots.uploads / INCOMING_DIR / parsed.rest
        root = self.roots.variants if parsed.namespace is Namespace.VARIANTS else self.roots.art
        return root / parsed.owner[:2] / parsed.rest

    def local_path(self, key: str) -> Path | None:
        """The file of ``key`` (local storage always has one)."""
        return self.path_of(key)

    async def put_file(self, key: str, path: Path, *, content_type: str) -> ObjectInfo:
        """Copy ``path`` into place (temporary name, fsync, rename)."""
        return await self._run(_copy_into_place, path, self.path_of(key))

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """Write ``data`` into place (temporary name, rename)."""
        return await self._run(_write_into_place, data, self.path_of(key))

    async def head(self, key: str) -> ObjectInfo:
        """The file's size and validator (a regular file only, never through a symlink)."""
        return await self._run(_stat_regular, self.path_of(key))

    async def read_range(self, key: str, start: int, end: int) -> bytes:
        """Exactly ``[start, end)`` of the file."""
        return await self._run(_read, self.path_of(key), start, end)

    async def iter_range(
        self, key: str, start: int, end: int, *, chunk_size: int = 256 * 1024
    ) -> AsyncIterator[bytes]:
        """``[start, end)`` in pieces, each read in a worker thread."""
        path = self.path_of(key)
        offset = start
        while offset < end:
            length = min(chunk_size, end - offset)
            yield await self._run(_read, path, offset, offset + length)
            offset += length

    async def download_to(self, key: str, path: Path) -> ObjectInfo:
        """Copy the file to ``path``."""
        source = self.path_of(key)
        info = await self.head(key)
        await self._run(shutil.copyfile, source, path)
        return info

    async def copy(
        self, source: str, target: str, *, content_type: str | None = None
    ) -> ObjectInfo:
        """Copy the file into place under ``target`` (temporary name, fsync, rename)."""
        source_path = self.path_of(source)
        await self.head(source)  # a regular file, never through a symlink
        return await self._run(_copy_into_place, source_path, self.path_of(target))

    async def delete(self, key: str) -> None:
        """Remove the file; absent is fine."""
        await self._run(_unlink, self.path_of(key))

    def _folder_of(self, prefix: str) -> Path:
        """The folder of a track's variants or of one hash's thumbnails."""
        namespace, _, owner = prefix.rstrip("/").partition("/")
        probe = {
            Namespace.VARIANTS.value: f"{prefix}x-1.x",
            Namespace.ART.value: f"{prefix}1.x",
        }.get(namespace)
        if probe is None or "/" in owner:
            raise ObjectNotFound("not a prefix of the layout")
        return self.path_of(probe).parent  # the key check confines the folder

    async def list_keys(self, prefix: str) -> list[str]:
        """The regular files of the prefix's folder whose names make keys of the layout."""
        names = await self._run(_file_names, self._folder_of(prefix))
        found = []
        for name in names:
            try:
                parse_key(prefix + name)
            except BadKey:
                continue  # a lock, a .part or a temporary file
            found.append(prefix + name)
        return sorted(found)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every file of a track's variants or of one artwork hash (its folder)."""
        return await self._run(_remove_folder, self._folder_of(prefix))

    async def _run(self, function: Callable[[*Args], R], *args: *Args) -> R:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)


def _stat_regular(path: Path) -> ObjectInfo:
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        raise ObjectNotFound("no such object") from None
    if not stat.S_ISREG(info.st_mode):
        raise ObjectNotFound("no such object")
    return _info(info)


def _read(path: Path, start: int, end: int) -> bytes:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        raise ObjectNotFound("no such object") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ObjectNotFound("no such object")
        data = os.pread(fd, end - start, start)
    finally:
        os.close(fd)
    if len(data) != end - start:
        raise ObjectNotFound("the object is shorter than asked")
    return data


def _temporary_beside(final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f".{final.name}.{secrets.token_hex(8)}.tmp")


def _copy_into_place(source: Path, final: Path) -> ObjectInfo:
    temporary = _temporary_beside(final)
    try:
        with source.open("rb") as reader, temporary.open("xb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return _stat_regular(final)


def _write_into_place(data: bytes, final: Path) -> ObjectInfo:
    temporary = _temporary_beside(final)
    try:
        with temporary.open("xb") as writer:
            writer.write(data)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return _stat_regular(final)


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _file_names(folder: Path) -> list[str]:
    try:
        return [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _remove_folder(folder: Path) -> int:
    try:
        count = sum(1 for entry in os.scandir(folder) if entry.is_file(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    shutil.rmtree(folder, ignore_errors=True)  # never follows a symlink out
    return count
