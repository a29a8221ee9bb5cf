"""The 2×2 mosaic from four stored covers: real images, exact sizes, the quadrants' colours."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.artwork.images import encode, jpeg, solid
from tonearm.artwork.make import make_artwork
from tonearm.artwork.mosaic import make_mosaic
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.store import ArtworkStore

RED, GREEN, BLUE, YELLOW = (220, 20, 20), (20, 200, 40), (30, 40, 220), (240, 220, 20)


def stored(store: ArtworkStore, data: bytes) -> str:
    artwork = make_artwork(data, store)
    assert isinstance(artwork, Artwork)
    return artwork.hash


def solid_covers(store: ArtworkStore, edge: int = 1400) -> list[str]:
    return [
        stored(store, solid("RGB", (edge, edge), color, "JPEG", quality=95))
        for color in (RED, GREEN, BLUE, YELLOW)
    ]


def close(pixel: tuple[int, ...], color: tuple[int, int, int], slack: int = 16) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, color, strict=True))


def quadrant_colors(data: bytes) -> list[tuple[int, ...]]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size
    points = [(width // 4, height // 4), (3 * width // 4, height // 4)]
    points += [(width // 4, 3 * height // 4), (3 * width // 4, 3 * height // 4)]
    return [tuple(image.getpixel(point)) for point in points]  # type: ignore[arg-type]


def test_four_covers_make_a_1200_pixel_square_in_reading_order(store: ArtworkStore) -> None:
    hashes = solid_covers(store)

    mosaic = make_mosaic(hashes, store)

    assert isinstance(mosaic, Artwork)
    assert (mosaic.width, mosaic.height) == (1200, 1200)
    assert mosaic.sizes == (64, 300, 600, 1200)
    assert mosaic.hash not in hashes
    for size in mosaic.sizes:
        data = store.get(mosaic.hash, size)
        assert data is not None
        assert Image.open(io.BytesIO(data)).size == (size, size)
        colors = quadrant_colors(data)
        assert all(
            close(pixel, color)
            for pixel, color in zip(colors, (RED, GREEN, BLUE, YELLOW), strict=True)
        ), (size, colors)


def test_the_same_covers_make_the_same_artwork_and_another_order_another(
    store: ArtworkStore,
) -> None:
    hashes = solid_covers(store)

    first = make_mosaic(hashes, store)
    again = make_mosaic(hashes, store)
    swapped = make_mosaic([hashes[1], hashes[0], *hashes[2:]], store)

    assert isinstance(first, Artwork)
    assert isinstance(again, Artwork)
    assert isinstance(swapped, Artwork)
    assert again.hash == first.hash
    assert swapped.hash != first.hash


def test_a_small_cover_is_scaled_up_into_its_quarter(store: ArtworkStore) -> None:
    small = stored(store, solid("RGB", (200, 200), YELLOW, "PNG"))
    hashes = [*solid_covers(store)[:3], small]

    mosaic = make_mosaic(hashes, store)

    assert isinstance(mosaic, Artwork)
    assert (mosaic.width, mosaic.height) == (1200, 1200)
    data = store.get(mosaic.hash, 1200)
    assert data is not None
    assert close(quadrant_colors(data)[3], YELLOW)


def test_a_cover_that_is_not_square_gives_its_centre(store: ArtworkStore) -> None:
    wide = Image.new("RGB", (1200, 600), RED)
    wide.paste(Image.new("RGB", (600, 600), GREEN), (300, 0))
    hashes = [stored(store, encode(wide, "JPEG", quality=95)), *solid_covers(store)[1:]]

    mosaic = make_mosaic(hashes, store)

    assert isinstance(mosaic, Artwork)
    data = store.get(mosaic.hash, 1200)
    assert data is not None
    image = Image.open(io.BytesIO(data)).convert("RGB")
    for point in ((8, 8), (591, 8), (8, 591), (591, 591), (300, 300)):
        assert close(image.getpixel(point), GREEN, slack=30), point  # type: ignore[arg-type]


def test_detailed_covers_come_out_at_the_tile_size(store: ArtworkStore) -> None:
    hashes = [stored(store, jpeg(seed=seed)) for seed in range(4)]

    mosaic = make_mosaic(hashes, store)

    assert isinstance(mosaic, Artwork)
    assert (mosaic.width, mosaic.height) == (1200, 1200)


def test_a_cover_missing_from_the_store_is_a_refusal(store: ArtworkStore) -> None:
    hashes = [*solid_covers(store)[:3], "ab" * 32]

    assert make_mosaic(hashes, store) == ArtworkRefusal(
        RefusalReason.UNREADABLE, "a cover's thumbnail is not in the store"
    )


def test_a_mosaic_needs_exactly_four_covers(store: ArtworkStore) -> None:
    with pytest.raises(ValueError, match="exactly four"):
        make_mosaic(solid_covers(store)[:3], store)
