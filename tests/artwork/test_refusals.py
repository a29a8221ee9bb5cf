"""Sources that make no artwork: each a typed refusal with a reason, never an exception."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.artwork.images import cover, encode, jpeg, png_claiming
from tonearm.artwork.make import (
    MAX_EMBEDDED_IMAGE_BYTES,
    MAX_FOLDER_IMAGE_BYTES,
    make_artwork,
    read_image_file,
)
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.store import ArtworkStore


def refused(source: bytes, store: ArtworkStore) -> ArtworkRefusal:
    result = make_artwork(source, store)
    assert isinstance(result, ArtworkRefusal), result
    assert not store.root.exists()  # nothing was written
    return result


def test_a_truncated_jpeg(store: ArtworkStore) -> None:
    source = jpeg(1400, 1400)

    refusal = refused(source[: len(source) // 2], store)

    assert refusal.reason is RefusalReason.DAMAGED
    assert str(refusal) == "the image is damaged or truncated"


def test_a_jpeg_cut_right_after_its_header(store: ArtworkStore) -> None:
    assert refused(jpeg(400, 400)[:700], store).reason is RefusalReason.DAMAGED


def test_a_text_file_named_cover_jpg(store: ArtworkStore, tmp_path: Path) -> None:
    path = tmp_path / "cover.jpg"
    path.write_text("This is not a picture.\n", encoding="utf-8")
    data = read_image_file(path)
    assert isinstance(data, bytes)

    refusal = refused(data, store)

    assert refusal.reason is RefusalReason.NOT_AN_IMAGE
    assert refusal.message == "not a JPEG, PNG, WebP or GIF image"


def test_an_empty_file(store: ArtworkStore) -> None:
    refusal = refused(b"", store)

    assert (refusal.reason, refusal.message) == (RefusalReason.NOT_AN_IMAGE, "the file is empty")


def test_an_image_format_that_is_not_accepted(store: ArtworkStore) -> None:
    assert refused(encode(cover(100, 100), "TIFF"), store).reason is RefusalReason.NOT_AN_IMAGE
    assert refused(encode(cover(100, 100), "BMP"), store).reason is RefusalReason.NOT_AN_IMAGE


def test_a_decompression_bomb(store: ArtworkStore) -> None:
    bomb = png_claiming(100_000, 100_000)  # 10 gigapixels in a few hundred bytes
    assert len(bomb) < 1000

    refusal = refused(bomb, store)

    assert refusal.reason is RefusalReason.TOO_MANY_PIXELS
    assert refusal.message == "the image claims too many pixels (a decompression bomb)"


def test_pillows_bomb_warning_is_a_refusal(store: ArtworkStore) -> None:
    # 100 megapixels: above Pillow's MAX_IMAGE_PIXELS (a warning, an error under pytest)
    # and below twice it (where Pillow raises by itself).
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS

    assert refused(png_claiming(10_000, 10_000), store).reason is RefusalReason.TOO_MANY_PIXELS


def test_over_our_own_pixel_cap(store: ArtworkStore) -> None:
    refusal = refused(png_claiming(8000, 7000), store)  # 56 megapixels, below Pillow's limit

    assert refusal.reason is RefusalReason.TOO_MANY_PIXELS
    assert refusal.message == "the image is 8000 × 7000 pixels, over the 50-megapixel limit"


def test_a_png_with_corrupt_pixel_data(store: ArtworkStore) -> None:
    good = encode(cover(200, 200), "PNG")
    start = good.index(b"IDAT") + 4
    flipped = bytes(byte ^ 0x5A for byte in good[start : start + 200])
    corrupt = good[:start] + flipped + good[start + 200 :]

    assert refused(corrupt, store).reason is RefusalReason.DAMAGED


def test_a_png_whose_pixel_data_is_missing(store: ArtworkStore) -> None:
    header = png_claiming(300, 300)
    cut = header[: header.index(b"IDAT") - 4] + header[-12:]  # IHDR then IEND, no IDAT

    assert refused(cut, store).reason is RefusalReason.DAMAGED


def test_embedded_bytes_over_the_cap(store: ArtworkStore) -> None:
    source = jpeg(100, 100)
    oversized = source + b"\0" * (MAX_EMBEDDED_IMAGE_BYTES + 1 - len(source))

    refusal = refused(oversized, store)

    assert refusal.reason is RefusalReason.TOO_LARGE
    assert refusal.message == "the image is 20.0 MB, over the 20 MB limit"


def test_a_50_mb_file_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "cover.jpg"
    with path.open("wb") as handle:
        handle.write(jpeg(100, 100))
        handle.truncate(50 * 1_000_000)  # sparse: 50 MB on paper

    refusal = read_image_file(path)

    assert refusal == ArtworkRefusal(
        RefusalReason.TOO_LARGE, "the image is 50.0 MB, over the 20 MB limit"
    )
    assert MAX_FOLDER_IMAGE_BYTES == 20_000_000


def test_a_missing_file_is_unreadable_and_the_reason_names_no_path(tmp_path: Path) -> None:
    refusal = read_image_file(tmp_path / "secret-folder" / "cover.jpg")

    assert refusal == ArtworkRefusal(
        RefusalReason.UNREADABLE, "the file could not be read: No such file or directory"
    )


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_something_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "cover.jpg"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it must not wait for a writer

    assert read_image_file(path) == ArtworkRefusal(RefusalReason.NOT_AN_IMAGE, "not a regular file")


def test_a_store_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "art"
    blocker.write_text("a file where the store's folder should be", encoding="utf-8")

    result = make_artwork(jpeg(100, 100), ArtworkStore(blocker))

    assert isinstance(result, ArtworkRefusal)
    assert result.reason is RefusalReason.STORE_FAILED
    assert result.message == "the thumbnails could not be stored: Not a directory"


def test_compressed_garbage_after_a_valid_header_is_damaged(store: ArtworkStore) -> None:
    good = encode(cover(200, 200), "PNG")
    start = good.index(b"IDAT") - 4
    garbage = zlib.compress(b"\xff" * 10)  # too little data for 200 rows

    body = len(garbage).to_bytes(4, "big") + b"IDAT" + garbage
    crc = zlib.crc32(b"IDAT" + garbage).to_bytes(4, "big")
    spliced = good[:start] + body + crc + good[-12:]

    assert refused(spliced, store).reason is RefusalReason.DAMAGED


def test_a_good_image_still_works_after_the_refusals(store: ArtworkStore) -> None:
    refused(png_claiming(100_000, 100_000), store)

    assert isinstance(make_artwork(jpeg(100, 100), store), Artwork)
