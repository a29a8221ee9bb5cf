"""Thumbnails made from generated sources: sizes, aspect ratio, modes, placeholder."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from tests.artwork.images import cover, encode, jpeg, solid, with_orientation
from tonearm.artwork.make import make_artwork
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.thumbnails import placeholder_color

COLOR = re.compile(r"#[0-9a-f]{6}")


def made(source: bytes, store: ArtworkStore) -> Artwork:
    result = make_artwork(source, store)
    assert isinstance(result, Artwork), result
    return result


def stored(store: ArtworkStore, artwork: Artwork, size: int) -> Image.Image:
    data = store.get(artwork.hash, size)
    assert data is not None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close_to(color: str, expected: tuple[int, int, int], tolerance: int = 3) -> bool:
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tolerance for a, b in zip(channels, expected, strict=True))


def test_a_1400_jpeg_gets_every_size_and_is_its_own_large_size(store: ArtworkStore) -> None:
    source = jpeg(1400, 1400)

    artwork = made(source, store)

    assert artwork.hash == hashlib.sha256(source).hexdigest()
    assert (artwork.width, artwork.height) == (1400, 1400)
    assert artwork.sizes == (64, 300, 600, 1400)
    assert store.sizes_present(artwork.hash) == [64, 300, 600, 1400]
    for size in artwork.sizes:
        image = stored(store, artwork, size)
        assert image.format == "JPEG"
        assert image.mode == "RGB"
        assert image.size == (size, size)
    assert COLOR.fullmatch(artwork.color)


def test_sizes_above_the_source_are_not_made(store: ArtworkStore) -> None:
    artwork = made(encode(cover(500, 250), "PNG"), store)

    assert artwork.sizes == (64, 300)
    assert store.sizes_present(artwork.hash) == [64, 300]
    assert stored(store, artwork, 300).size == (300, 150)
    assert stored(store, artwork, 64).size == (64, 32)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (3000, 1500, {1200: (1200, 600), 600: (600, 300), 300: (300, 150), 64: (64, 32)}),
        (1500, 3000, {1200: (600, 1200), 600: (300, 600), 300: (150, 300), 64: (32, 64)}),
        (1400, 700, {1400: (1400, 700), 600: (600, 300), 300: (300, 150), 64: (64, 32)}),
        (700, 1400, {1400: (700, 1400), 600: (300, 600), 300: (150, 300), 64: (32, 64)}),
        (1000, 333, {1000: (1000, 333), 600: (600, 200), 300: (300, 100), 64: (64, 21)}),
        (590, 333, {300: (300, 169), 64: (64, 36)}),
    ],
)
def test_the_aspect_ratio_is_kept(
    store: ArtworkStore, width: int, height: int, expected: dict[int, tuple[int, int]]
) -> None:
    artwork = made(jpeg(width, height), store)

    assert artwork.sizes == tuple(sorted(expected))
    assert {size: stored(store, artwork, size).size for size in artwork.sizes} == expected


def test_a_source_smaller_than_64_gets_one_thumbnail_at_its_own_size(
    store: ArtworkStore,
) -> None:
    image = Image.new("RGBA", (50, 50), (255, 0, 0, 255))
    image.paste((0, 0, 255, 0), (0, 0, 25, 50))  # left half fully transparent

    artwork = made(encode(image, "PNG"), store)

    assert artwork.sizes == (50,)
    assert (artwork.width, artwork.height) == (50, 50)
    thumbnail = stored(store, artwork, 50)
    assert thumbnail.size == (50, 50)
    assert thumbnail.mode == "RGB"
    # Transparency is painted on white, whatever colour the hidden pixels had.
    hidden, shown = thumbnail.getpixel((5, 25)), thumbnail.getpixel((45, 25))
    assert isinstance(hidden, tuple)
    assert isinstance(shown, tuple)
    assert min(hidden) >= 250
    assert shown[0] >= 250
    assert max(shown[1:]) <= 5


def test_half_transparency_is_blended_with_white(store: ArtworkStore) -> None:
    artwork = made(solid("RGBA", (100, 100), (0, 0, 0, 128), "PNG"), store)

    assert close_to(artwork.color, (127, 127, 127), tolerance=4)


def test_a_cmyk_jpeg_becomes_rgb(store: ArtworkStore) -> None:
    source = solid("CMYK", (400, 400), (0, 255, 255, 0), "JPEG", quality=95)
    assert Image.open(io.BytesIO(source)).mode == "CMYK"

    artwork = made(source, store)

    assert artwork.sizes == (64, 300)
    assert stored(store, artwork, 300).mode == "RGB"
    assert close_to(artwork.color, (255, 0, 0), tolerance=6)


def test_a_palette_png(store: ArtworkStore) -> None:
    image = cover(320, 320).quantize(colors=16)
    assert image.mode == "P"

    artwork = made(encode(image, "PNG"), store)

    assert artwork.sizes == (64, 300)
    assert stored(store, artwork, 300).mode == "RGB"


def test_a_palette_png_with_a_transparent_colour(store: ArtworkStore) -> None:
    image = Image.new("P", (80, 80), 0)
    image.putpalette([0, 255, 0, 0, 0, 255])
    image.paste(1, (0, 0, 80, 20))
    image.info["transparency"] = 0  # the green three quarters are see-through

    artwork = made(encode(image, "PNG", transparency=0), store)

    assert close_to(artwork.color, (255, 255, 255), tolerance=3)


def test_a_webp_source(store: ArtworkStore) -> None:
    artwork = made(encode(cover(700, 700), "WEBP", quality=80), store)

    assert artwork.sizes == (64, 300, 600)
    assert stored(store, artwork, 600).size == (600, 600)


def test_a_gif_source(store: ArtworkStore) -> None:
    artwork = made(solid("P", (120, 90), 3, "GIF"), store)

    assert artwork.sizes == (64,)
    assert stored(store, artwork, 64).size == (64, 48)


def test_a_greyscale_jpeg_stays_greyscale(store: ArtworkStore) -> None:
    artwork = made(solid("L", (320, 320), 200, "JPEG"), store)

    assert stored(store, artwork, 300).mode == "L"
    assert close_to(artwork.color, (200, 200, 200))


def test_a_16_bit_greyscale_png(store: ArtworkStore) -> None:
    source = solid("I;16", (100, 100), 0x8000, "PNG")
    assert Image.open(io.BytesIO(source)).mode == "I;16"

    artwork = made(source, store)

    assert close_to(artwork.color, (128, 128, 128), tolerance=2)


def test_exif_rotation_is_applied(store: ArtworkStore) -> None:
    wide = jpeg(200, 100)

    artwork = made(with_orientation(wide, 6), store)  # "rotate 90° clockwise to display"

    assert (artwork.width, artwork.height) == (100, 200)
    assert stored(store, artwork, 64).size == (32, 64)


def test_a_large_jpeg_is_decoded_scaled_down(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = JpegImageFile.load

    def load(image: JpegImageFile) -> object:
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(JpegImageFile, "load", load)

    artwork = made(jpeg(4000, 2500), store)

    assert artwork.sizes == (64, 300, 600, 1200)
    # 1/2 is the smallest DCT scale still at least 1200 × 750: 2000 × 1250, not 4000 × 2500.
    assert decoded[0] == (2000, 1250)


def test_a_kept_jpeg_decodes_only_what_its_600_needs(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = JpegImageFile.load

    def load(image: JpegImageFile) -> object:
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(JpegImageFile, "load", load)

    artwork = made(jpeg(1190, 1190), store)  # kept: the largest made is 600

    assert artwork.sizes == (64, 300, 600, 1190)
    assert decoded[0] == (1190, 1190)  # 1/2 would be 595, under 600
    decoded.clear()
    assert made(jpeg(1400, 1400, seed=1), store).sizes == (64, 300, 600, 1400)
    assert decoded[0] == (700, 700)
    decoded.clear()
    assert made(jpeg(2400, 2400, seed=1), store).sizes == (64, 300, 600, 2400)
    assert decoded[0] == (600, 600)


def test_the_placeholder_is_the_dominant_colour_not_the_mean() -> None:
    image = Image.new("RGB", (64, 64), (20, 40, 200))
    image.paste((255, 255, 255), (0, 0, 64, 20))  # a white band over a third

    assert placeholder_color(image) == "#1428c8"


def test_the_placeholder_of_a_solid_source(store: ArtworkStore) -> None:
    artwork = made(solid("RGB", (800, 800), (12, 34, 56), "PNG"), store)

    assert close_to(artwork.color, (12, 34, 56))


def test_the_same_source_twice_gives_the_same_artwork_without_decoding(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = jpeg(1400, 1400)
    first = made(source, store)
    loads: list[tuple[int, int]] = []
    real_load = JpegImageFile.load

    def load(image: JpegImageFile) -> object:
        loads.append(image.size)
        return real_load(image)

    monkeypatch.setattr(JpegImageFile, "load", load)

    second = made(source, store)

    assert second == first
    assert set(loads) == {(64, 64)}  # only the stored 64 px thumbnail, for its colour


def test_a_partly_stored_source_is_made_again(store: ArtworkStore) -> None:
    source = jpeg(1400, 1400)
    first = made(source, store)
    store.path_for(first.hash, 600).unlink()

    again = made(source, store)

    assert again == first
    assert store.sizes_present(first.hash) == [64, 300, 600, 1400]
