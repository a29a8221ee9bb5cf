"""Staging: bytes from an async source into one file, hashed and bounded on the way."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tonearm.uploads import staging
from tonearm.uploads.staging import (
    BATCH_BYTES,
    StorageFull,
    UploadTooLarge,
    display_name,
    stage_stream,
)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def contents(path: Path) -> bytes:
    return path.read_bytes()


async def pieces(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_stream_becomes_one_file_with_its_size_and_sha256(tmp_path: Path) -> None:
    data = bytes(range(256)) * 20_000  # about 5 MiB: several batches
    staged = await stage_stream(
        pieces(data), directory=tmp_path / ".staging", original_name="a.mp3", limit_bytes=10**8
    )

    assert staged.path.parent == tmp_path / ".staging"
    assert contents(staged.path) == data
    assert (staged.size_bytes, staged.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert staged.original_name == "a.mp3"
    assert Path.stat(staged.path).st_mode & 0o777 == 0o600


async def test_an_empty_stream_is_an_empty_file(tmp_path: Path) -> None:
    staged = await stage_stream(pieces(b""), directory=tmp_path, original_name=None, limit_bytes=10)
    assert (staged.size_bytes, contents(staged.path)) == (0, b"")
    assert staged.sha256 == hashlib.sha256(b"").hexdigest()
    assert staged.original_name == "upload"


async def test_a_declared_length_over_the_limit_reads_nothing(tmp_path: Path) -> None:
    read: list[bytes] = []

    async def never() -> AsyncIterator[bytes]:
        read.append(b"x")
        yield b"x"

    with pytest.raises(UploadTooLarge) as refused:
        await stage_stream(
            never(), directory=tmp_path, original_name="x", limit_bytes=5, declared_length=6
        )
    assert refused.value.limit_bytes == 5
    assert read == []
    assert entries(tmp_path) == []


async def test_bytes_past_the_limit_stop_the_stream_and_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(UploadTooLarge):
        await stage_stream(
            pieces(b"y" * (3 * BATCH_BYTES)),
            directory=tmp_path,
            original_name="x",
            limit_bytes=2 * BATCH_BYTES,
        )
    assert entries(tmp_path) == []


async def test_a_full_disk_is_storage_full_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = staging.write_bytes
    writes: list[int] = []

    def fill_up(fd: int, data: bytes | memoryview) -> int:
        writes.append(len(data))
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    # The one fake of this suite: a full disk cannot be made here safely.
    monkeypatch.setattr(staging, "write_bytes", fill_up)
    with pytest.raises(StorageFull, match="the server's disk is full"):
        await stage_stream(
            pieces(b"z" * (3 * BATCH_BYTES)),
            directory=tmp_path,
            original_name="x",
            limit_bytes=10**9,
        )
    assert len(writes) == 2
    assert entries(tmp_path) == []


async def test_a_broken_source_leaves_nothing(tmp_path: Path) -> None:
    async def breaks() -> AsyncIterator[bytes]:
        yield b"a" * (BATCH_BYTES + 1)
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await stage_stream(breaks(), directory=tmp_path, original_name="x", limit_bytes=10**9)
    assert entries(tmp_path) == []


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Song.mp3", "Song.mp3"),
        ("../../etc/passwd.mp3", "../../etc/passwd.mp3"),
        ("a\x00b\x07c\x7f\x9bd.mp3", "abcd.mp3"),
        ("  \x00\x01 ", "upload"),
        (None, "upload"),
        ("é" * 300, "é" * 255),
        ("夜の歌.flac", "夜の歌.flac"),
        ("bad\udcffsurrogate", "badsurrogate"),
    ],
)
def test_display_names_are_text_without_control_characters(given: str | None, shown: str) -> None:
    assert display_name(given) == shown
