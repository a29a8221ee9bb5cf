"""Both backends behind the one interface: put, head, ranges, delete, prefixes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tonearm.storage import keys
from tonearm.storage.base import ObjectNotFound, ObjectStorage, UnsupportedByBackend
from tonearm.storage.local import LocalStorage
from tonearm.storage.s3 import PART_BYTES, S3Storage

TRACK = uuid.UUID("12345678-1234-5678-1234-567812345678")
USER = uuid.UUID("87654321-4321-8765-4321-876543218765")
DATA = bytes(range(256)) * 40  # 10240 bytes, each offset's value known


def _variant(slug: str = "mp3-128") -> str:
    return keys.variant_key(TRACK, slug, "mp3")


async def test_put_bytes_then_head_and_read(storage: ObjectStorage) -> None:
    info = await storage.put_bytes(_variant(), DATA, content_type="audio/mpeg")
    assert info.size == len(DATA)
    head = await storage.head(_variant())
    assert (head.size, head.etag) == (len(DATA), info.etag)
    assert head.etag.startswith('"')
    assert head.etag.endswith('"')
    assert await storage.read_range(_variant(), 100, 110) == DATA[100:110]
    assert await storage.read_all(_variant()) == DATA
    assert await storage.exists(_variant())


async def test_iter_range_gives_exactly_the_range_in_pieces(storage: ObjectStorage) -> None:
    await storage.put_bytes(_variant(), DATA, content_type="audio/mpeg")
    pieces = [p async for p in storage.iter_range(_variant(), 1000, 9001, chunk_size=1024)]
    assert b"".join(pieces) == DATA[1000:9001]
    assert all(len(p) <= 1024 for p in pieces)


async def test_missing_object_is_not_found(storage: ObjectStorage) -> None:
    assert not await storage.exists(_variant())
    with pytest.raises(ObjectNotFound):
        await storage.head(_variant())
    with pytest.raises(ObjectNotFound):
        await storage.read_range(_variant(), 0, 10)


async def test_read_past_the_end_is_not_found(storage: ObjectStorage) -> None:
    await storage.put_bytes(_variant(), b"short", content_type="audio/mpeg")
    with pytest.raises(ObjectNotFound):
        await storage.read_range(_variant(), 0, 10)


async def test_put_file_and_download(storage: ObjectStorage, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    key = keys.original_key(USER, TRACK, "flac", datetime(2026, 3, 1, tzinfo=UTC))
    assert key == f"originals/{USER}/2026/03/{TRACK}.flac"
    await storage.put_file(key, source, content_type="audio/flac")
    target = tmp_path / "copy.bin"
    info = await storage.download_to(key, target)
    assert target.read_bytes() == DATA
    assert info.size == len(DATA)


async def test_delete_and_delete_prefix(storage: ObjectStorage) -> None:
    for slug in ("mp3-128", "mp3-320", "opus-96"):
        await storage.put_bytes(_variant(slug), DATA, content_type="audio/mpeg")
    await storage.delete(_variant("mp3-128"))
    await storage.delete(_variant("mp3-128"))  # absent is fine
    assert not await storage.exists(_variant("mp3-128"))
    assert await storage.delete_prefix(keys.variant_prefix(TRACK)) == 2
    assert not await storage.exists(_variant("mp3-320"))


async def test_local_layout_is_todays(local_storage: LocalStorage, tmp_path: Path) -> None:
    """The local backend keeps the folders the data dir has always had."""
    digest = "ab" + "0" * 62
    await local_storage.put_bytes(keys.art_key(digest, 300, "jpg"), b"jpeg", content_type="x")
    await local_storage.put_bytes(_variant(), b"mp3", content_type="x")
    key = keys.original_key(USER, TRACK, "mp3", datetime(2026, 3, 1, tzinfo=UTC))
    await local_storage.put_bytes(key, b"orig", content_type="x")
    data = (tmp_path / "data").resolve()
    assert (data / "art" / "ab" / digest / "300.jpg").read_bytes() == b"jpeg"
    assert (data / "variants" / "12" / str(TRACK) / "mp3-128.mp3").read_bytes() == b"mp3"
    assert (tmp_path / "uploads" / str(USER) / "2026" / "03" / f"{TRACK}.mp3").read_bytes() == (
        b"orig"
    )


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "variants/../../etc/passwd",
        f"variants/{TRACK}/../x-1.mp3",
        "art/" + "0" * 64 + "/../../x",
        "/variants/x",
        f"originals/{USER}/2026/03/evil name.mp3",
        "art/" + "A" * 64 + "/300.jpg",
    ],
)
async def test_keys_outside_the_layout_are_refused(local_storage: LocalStorage, key: str) -> None:
    with pytest.raises(ObjectNotFound):
        local_storage.path_of(key)
    with pytest.raises(keys.BadKey):
        keys.parse_key(key)


async def test_local_has_no_presigned_urls(local_storage: LocalStorage) -> None:
    with pytest.raises(UnsupportedByBackend):
        await local_storage.presigned_get(_variant(), expires_in=60)


async def test_presigned_get_answers_range_itself(s3_storage: S3Storage) -> None:
    """A real HTTP client on the presigned URL: S3 does Range (206, Content-Range)."""
    await s3_storage.put_bytes(_variant(), DATA, content_type="audio/mpeg")
    url = await s3_storage.presigned_get(
        _variant(),
        expires_in=60,
        content_type="audio/mpeg",
        content_disposition='inline; filename="a.mp3"',
    )
    assert "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as client:
        whole = await client.get(url)
        ranged = await client.get(url, headers={"Range": "bytes=10-19"})
        tail = await client.get(url, headers={"Range": "bytes=-5"})
    assert whole.status_code == 200
    assert whole.content == DATA
    assert whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["content-disposition"] == 'inline; filename="a.mp3"'
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    assert ranged.content == DATA[10:20]
    assert tail.status_code == 206
    assert tail.content == DATA[-5:]


async def test_presigned_url_refuses_a_forged_signature(s3_storage: S3Storage) -> None:
    await s3_storage.put_bytes(_variant(), DATA, content_type="audio/mpeg")
    url = await s3_storage.presigned_get(_variant(), expires_in=60)
    async with httpx.AsyncClient() as client:
        other = await client.get(url.replace(_variant(), _variant("mp3-320")))
    assert other.status_code in {403, 404}


async def test_large_file_goes_up_in_parts(s3_storage: S3Storage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with source.open("wb") as handle:
        for _ in range(PART_BYTES // len(block) + 2):
            handle.write(block)
    size = source.stat().st_size
    key = keys.original_key(USER, TRACK, "flac", datetime(2026, 3, 1, tzinfo=UTC))
    info = await s3_storage.put_file(key, source, content_type="audio/flac")
    assert info.size == size
    assert info.etag.endswith('-2"')  # S3's ETag of a two-part upload
    edge = PART_BYTES - 3
    assert await s3_storage.read_range(key, edge, edge + 6) == (block * 20)[edge : edge + 6]
    assert await s3_storage.list_multipart("originals/") == []


async def test_multipart_primitives(s3_storage: S3Storage) -> None:
    """Begin, PUT a part to its presigned URL, list, complete; and abort another."""
    key = keys.original_key(USER, TRACK, "mp3", datetime(2026, 3, 1, tzinfo=UTC))
    upload_id = await s3_storage.create_multipart(key, content_type="audio/mpeg")
    listed = await s3_storage.list_multipart("originals/")
    assert [(u.key, u.upload_id) for u in listed] == [(key, upload_id)]
    part_url = await s3_storage.presign_part(key, upload_id, 1, expires_in=60)
    async with httpx.AsyncClient() as client:
        put = await client.put(part_url, content=DATA)
    assert put.status_code == 200
    from tonearm.storage.base import UploadedPart

    info = await s3_storage.complete_multipart(
        key, upload_id, [UploadedPart(1, put.headers["etag"])]
    )
    assert info.size == len(DATA)
    assert await s3_storage.read_all(key) == DATA
    other_key = keys.original_key(USER, USER, "mp3", datetime(2026, 3, 1, tzinfo=UTC))
    other = await s3_storage.create_multipart(other_key, content_type="audio/mpeg")
    await s3_storage.abort_multipart(other_key, other)
    assert await s3_storage.list_multipart("originals/") == []
    with pytest.raises(ValueError, match="part number"):
        await s3_storage.presign_part(key, other, 0, expires_in=60)


async def test_s3_writes_only_keys_of_the_layout(s3_storage: S3Storage) -> None:
    with pytest.raises(keys.BadKey):
        await s3_storage.put_bytes("../outside", b"x", content_type="audio/mpeg")
    with pytest.raises(keys.BadKey):
        await s3_storage.create_multipart("originals/evil name.mp3", content_type="audio/mpeg")
