"""A JPEG source kept as its own large size: metadata stripped losslessly, or re-encoded."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import Image, ImageCms, ImageDraw
from PIL.JpegImagePlugin import JpegImageFile

from tests.artwork.images import cover, encode, jpeg, solid, with_orientation
from tonearm.artwork.make import make_artwork
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.thumbnails import SourceHeader, source_header, strip_jpeg_metadata

GPS_IFD = 0x8825
SECRET_PLACE = b"Hidden Valley Road 7"
COMMENT = b"scanned by someone at home"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>where="home"</rdf:RDF></x:xmpmeta>'


@functools.cache
def srgb_profile() -> bytes:
    """A real ICC profile, as a wide-gamut source would carry one. Made once: LittleCMS
    stamps a profile with the second it was made, so two calls may differ."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_with_gps() -> Image.Exif:
    """Camera, software and a GPS position: what must not leave the server."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0131] = "PhotoEditor 9"  # Software
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (52.0, 31.0, 12.0)  # GPSLatitude
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    gps[0x1B] = SECRET_PLACE  # GPSProcessingMethod: free text
    return exif


def jpeg_with_metadata(width: int = 1400, height: int = 1400, **options: object) -> bytes:
    """A JPEG with EXIF (GPS included), XMP, a comment and an ICC profile."""
    return encode(
        cover(width, height, seed=3),
        "JPEG",
        quality=90,
        exif=exif_with_gps().tobytes(),
        xmp=XMP,
        comment=COMMENT,
        icc_profile=srgb_profile(),
        **options,
    )


def header_end(data: bytes) -> int:
    """Where ``data``'s first start of scan begins."""
    offset = 2
    while data[offset + 1] != 0xDA:
        offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
    return offset


def after_jfif(data: bytes) -> int:
    """Where the JFIF header (APP0, right after the start of image) ends."""
    assert data[2:4] == b"\xff\xe0"
    return 4 + int.from_bytes(data[4:6], "big")


def inserted_after_jfif(data: bytes, marker: bytes) -> bytes:
    """``data`` with ``marker`` put between its JFIF header and the next segment."""
    return data[: after_jfif(data)] + marker + data[after_jfif(data) :]


def segments(data: bytes) -> list[int]:
    """The marker codes of ``data``'s segments up to its first start of scan (test oracle)."""
    assert data[:2] == b"\xff\xd8"
    found, offset = [], 2
    while data[offset + 1] != 0xDA:
        assert data[offset] == 0xFF
        found.append(data[offset + 1])
        offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
    return found


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.mode, image.size, image.tobytes()


def made(source: bytes, store: ArtworkStore) -> Artwork:
    result = make_artwork(source, store)
    assert isinstance(result, Artwork), result
    return result


def stored(store: ArtworkStore, artwork: Artwork, size: int) -> bytes:
    data = store.get(artwork.hash, size)
    assert data is not None
    return data


def test_the_metadata_goes_and_the_pixels_and_colour_profile_stay() -> None:
    source = jpeg_with_metadata()
    assert {0xE0, 0xE1, 0xE2, 0xFE} <= set(segments(source))  # JFIF, EXIF/XMP, ICC, COM
    assert segments(source).count(0xE1) == 2
    for secret in (b"Exif\x00\x00", SECRET_PLACE, b"CameraMaker", COMMENT, b"xmpmeta"):
        assert secret in source

    stripped = strip_jpeg_metadata(source)

    assert stripped is not None
    assert segments(stripped) == [code for code in segments(source) if code not in (0xE1, 0xFE)]
    for secret in (b"Exif", SECRET_PLACE, b"CameraMaker", b"PhotoEditor", COMMENT, b"xmpmeta"):
        assert secret not in stripped
    assert pixels(stripped) == pixels(source)
    image = Image.open(io.BytesIO(stripped))
    assert image.info["icc_profile"] == srgb_profile()
    assert len(image.getexif()) == 0
    assert "comment" not in image.info
    assert "xmp" not in image.info
    # Everything from the start of scan on is the source's, byte for byte.
    assert stripped[header_end(stripped) :] == source[header_end(source) :]


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"restart_marker_blocks": 1}, {"subsampling": 0}],
    ids=["progressive", "restart-markers", "4:4:4"],
)
def test_other_kinds_of_jpeg_are_stripped_losslessly(options: dict[str, object]) -> None:
    source = jpeg_with_metadata(640, 480, **options)

    stripped = strip_jpeg_metadata(source)

    assert stripped is not None
    assert b"Exif" not in stripped
    assert SECRET_PLACE not in stripped
    assert pixels(stripped) == pixels(source)


def test_a_greyscale_jpeg_is_stripped_losslessly() -> None:
    source = encode(cover(800, 600).convert("L"), "JPEG", exif=exif_with_gps().tobytes())

    stripped = strip_jpeg_metadata(source)

    assert stripped is not None
    assert SECRET_PLACE not in stripped
    assert pixels(stripped) == pixels(source)


def test_what_follows_the_end_of_the_image_goes() -> None:
    source = jpeg(700, 700)
    appended = jpeg_with_metadata(100, 100)  # as a camera's MPF pictures are

    stripped = strip_jpeg_metadata(source + appended)

    assert stripped == source
    assert SECRET_PLACE not in stripped


def test_a_jfif_thumbnail_goes_and_the_header_stays() -> None:
    source = jpeg(700, 700)
    assert source[2:4] == b"\xff\xe0"
    payload = source[6 : after_jfif(source)]
    assert payload[:5] == b"JFIF\x00"
    assert payload[12:] == b"\x00\x00"  # no thumbnail
    payload = payload[:12] + bytes([2, 1]) + bytes(range(6))  # a 2 × 1 RGB thumbnail
    with_thumbnail = (
        source[:4] + (len(payload) + 2).to_bytes(2, "big") + payload + source[after_jfif(source) :]
    )
    assert pixels(with_thumbnail) == pixels(source)

    assert strip_jpeg_metadata(with_thumbnail) == source


SOURCE = jpeg(700, 700)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff", id="one-byte"),
        pytest.param(SOURCE[:2], id="only-soi"),
        pytest.param(SOURCE[:3], id="cut-in-a-marker"),
        pytest.param(SOURCE[:5], id="cut-in-a-length"),
        pytest.param(SOURCE[:30], id="cut-in-a-segment"),
        pytest.param(SOURCE[: header_end(SOURCE)], id="cut-before-the-scan"),
        pytest.param(SOURCE[: header_end(SOURCE) + 6], id="cut-in-the-scan-header"),
        pytest.param(SOURCE[: len(SOURCE) // 2], id="no-end-of-image"),
        pytest.param(SOURCE[:-1], id="half-an-end-marker"),
        pytest.param(solid("RGB", (700, 700), (1, 2, 3), "PNG"), id="png"),
        pytest.param(solid("RGB", (700, 700), (1, 2, 3), "WEBP"), id="webp"),
        pytest.param(b"GIF89a" + SOURCE, id="gif-magic"),
        pytest.param(SOURCE[1:], id="no-soi"),
        pytest.param(b"\xff\xd8\xff\xd9", id="no-frame-no-scan"),
        pytest.param(inserted_after_jfif(SOURCE, b"\xff\x01"), id="standalone-tem-before-sos"),
        pytest.param(inserted_after_jfif(SOURCE, b"\xff\xd0"), id="standalone-rst-before-sos"),
        pytest.param(inserted_after_jfif(SOURCE, b"\xff\xd8"), id="second-soi-before-sos"),
        pytest.param(inserted_after_jfif(SOURCE, b"\xff\xd9"), id="end-of-image-before-sos"),
        pytest.param(
            inserted_after_jfif(SOURCE, b"\xff\xf0\x00\x04\x00\x00"), id="unknown-jpg0-segment"
        ),
        pytest.param(
            SOURCE[:2] + b"\xff\xe1\xff\xff" + b"Exif\x00\x00" + SOURCE[2:],
            id="length-past-the-end",
        ),
        pytest.param(SOURCE[:2] + b"\xff\xfe\x00\x01" + SOURCE[2:], id="length-below-two"),
        pytest.param(SOURCE[:2] + b"\x00" + SOURCE[2:], id="no-marker-where-one-belongs"),
    ],
)
def test_what_it_does_not_understand_is_none(data: bytes) -> None:
    assert strip_jpeg_metadata(data) is None


def _frame_changed(
    source: bytes, *, marker: int | None = None, precision: int | None = None
) -> bytes:
    at = source.index(b"\xff\xc0")
    changed = bytearray(source)
    if marker is not None:
        changed[at + 1] = marker
    if precision is not None:
        changed[at + 4] = precision
    return bytes(changed)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_frame_changed(SOURCE, marker=0xC3), id="lossless"),
        pytest.param(_frame_changed(SOURCE, marker=0xC9), id="arithmetic-coded"),
        pytest.param(_frame_changed(SOURCE, marker=0xC5), id="hierarchical"),
        pytest.param(_frame_changed(SOURCE, precision=12), id="12-bit"),
        pytest.param(
            SOURCE[: SOURCE.index(b"\xff\xc0")]
            + SOURCE[SOURCE.index(b"\xff\xc0") : SOURCE.index(b"\xff\xc4")]
            + SOURCE[SOURCE.index(b"\xff\xc0") :],
            id="two-frames",
        ),
        pytest.param(encode(Image.new("CMYK", (700, 700), (0, 255, 255, 0)), "JPEG"), id="cmyk"),
    ],
)
def test_a_frame_other_than_8_bit_huffman_grey_or_colour_is_none(data: bytes) -> None:
    assert strip_jpeg_metadata(data) is None


def test_a_kept_large_size_has_no_exif(store: ArtworkStore) -> None:
    source = jpeg_with_metadata()

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1400)
    large = stored(store, artwork, 1400)
    assert large == strip_jpeg_metadata(source)
    for secret in (b"Exif", SECRET_PLACE, b"CameraMaker", COMMENT, b"xmpmeta"):
        assert all(secret not in stored(store, artwork, size) for size in artwork.sizes)
    assert len(Image.open(io.BytesIO(large)).getexif()) == 0
    assert pixels(large) == pixels(source)


def test_no_made_size_carries_the_source_s_metadata(store: ArtworkStore) -> None:
    source = jpeg_with_metadata(3000, 2000)  # too large to keep: a 1200 is made

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1200)
    for size in artwork.sizes:
        data = stored(store, artwork, size)
        for secret in (b"Exif", SECRET_PLACE, b"CameraMaker", COMMENT, b"xmpmeta"):
            assert secret not in data
        assert segments(data)[0] == 0xE0
        assert {0xE1, 0xE2, 0xFE}.isdisjoint(segments(data))


def test_a_700_jpeg_is_kept_at_700(store: ArtworkStore) -> None:
    source = jpeg(700, 500)

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 700)
    assert stored(store, artwork, 700) == source  # Pillow's JPEG carries no metadata
    assert Image.open(io.BytesIO(stored(store, artwork, 600))).size == (600, 429)


def test_a_greyscale_1400_jpeg_is_kept(store: ArtworkStore) -> None:
    source = encode(cover(1400, 1400).convert("L"), "JPEG", quality=90)

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1400)
    assert stored(store, artwork, 1400) == source
    assert Image.open(io.BytesIO(stored(store, artwork, 600))).mode == "L"


def test_a_rotated_jpeg_is_not_kept_but_made_at_1200_and_turned(store: ArtworkStore) -> None:
    wide = Image.new("RGB", (1400, 1000), (0, 0, 255))
    ImageDraw.Draw(wide).rectangle((0, 0, 699, 999), fill=(255, 0, 0))  # left half red
    source = with_orientation(encode(wide, "JPEG", quality=95), 6)  # turn 90° clockwise
    assert source_header(source) == SourceHeader(1000, 1400, keeps_source=False)

    artwork = made(source, store)

    assert (artwork.width, artwork.height) == (1000, 1400)
    assert artwork.sizes == (64, 300, 600, 1200)
    large_bytes = stored(store, artwork, 1200)
    assert b"Exif" not in large_bytes
    large = Image.open(io.BytesIO(large_bytes)).convert("RGB")
    assert large.size == (857, 1200)
    top, bottom = large.getpixel((428, 100)), large.getpixel((428, 1100))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert (top[0] > 240, top[2] < 15) == (True, True)  # the left half, now on top
    assert (bottom[0] < 15, bottom[2] > 240) == (True, True)


def test_a_cmyk_jpeg_is_not_kept(store: ArtworkStore) -> None:
    source = solid("CMYK", (1400, 1400), (0, 255, 255, 0), "JPEG", quality=95)

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1200)
    large = Image.open(io.BytesIO(stored(store, artwork, 1200)))
    assert (large.mode, large.size) == ("RGB", (1200, 1200))


def test_a_png_is_not_kept(store: ArtworkStore) -> None:
    artwork = made(encode(cover(1400, 700), "PNG"), store)

    assert artwork.sizes == (64, 300, 600, 1200)
    assert Image.open(io.BytesIO(stored(store, artwork, 1200))).size == (1200, 600)


def test_a_jpeg_it_cannot_strip_gets_a_made_1200(store: ArtworkStore) -> None:
    source = inserted_after_jfif(jpeg(1400, 1400), b"\xff\xd0")  # Pillow decodes it all the same
    assert pixels(source) == pixels(jpeg(1400, 1400))
    assert source_header(source) == SourceHeader(1400, 1400, keeps_source=False)

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1200)
    assert Image.open(io.BytesIO(stored(store, artwork, 1200))).size == (1200, 1200)


def test_a_3000_jpeg_gets_a_made_1200_decoded_at_half_size(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = JpegImageFile.load

    def load(image: JpegImageFile) -> object:
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(JpegImageFile, "load", load)
    source = jpeg(3000, 3000)
    assert source_header(source) == SourceHeader(3000, 3000, keeps_source=False)

    artwork = made(source, store)

    assert artwork.sizes == (64, 300, 600, 1200)
    assert decoded[0] == (1500, 1500)
    large = stored(store, artwork, 1200)
    assert large != source
    assert Image.open(io.BytesIO(large)).size == (1200, 1200)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(jpeg_with_metadata(), id="kept-1400"),
        pytest.param(jpeg(700, 700), id="kept-700"),
        pytest.param(inserted_after_jfif(jpeg(1400, 1400), b"\xff\xd0"), id="made-1200"),
    ],
)
def test_a_source_whose_sizes_are_all_stored_is_not_decoded_again(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch, source: bytes
) -> None:
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


def test_a_kept_size_lost_is_kept_again(store: ArtworkStore) -> None:
    source = jpeg_with_metadata()
    first = made(source, store)
    store.path_for(first.hash, 1400).unlink()

    again = made(source, store)

    assert again == first
    assert store.get(first.hash, 1400) == strip_jpeg_metadata(source)


def test_a_kept_source_is_bounded_in_bytes() -> None:
    from tonearm.artwork import thumbnails

    noisy = Image.effect_noise((2400, 2400), 120).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=100)
    source = buffer.getvalue()
    assert len(source) > thumbnails.MAX_KEPT_BYTES
    rendered = thumbnails.render(source)
    assert isinstance(rendered, thumbnails.Rendered)
    assert [size for size, _ in rendered.thumbnails] == [64, 300, 600, 1200]
