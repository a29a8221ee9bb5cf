"""Decoding one source image into its thumbnails and placeholder colour, with Pillow.

Blocking and CPU-bound: call it from a worker thread (``make.make_artworks`` does). Memory
per call is bounded: the source's header is checked against a pixel cap before anything
is decoded; a JPEG is decoded scaled down in the DCT (``Image.draft``) to no more than the
largest thumbnail to make needs; each smaller thumbnail is made from the one before it, so
at most the decoded source and one thumbnail are alive at a time.

A JPEG that a browser shows just as the thumbnails would (RGB or grey, no rotation) and
whose longer edge is above 600 and at most 2400 is its own large size (``kept_source``):
its bytes, the metadata taken out losslessly (``strip_jpeg_metadata``), are stored as they
are, and only the sizes up to 600 are made, from a decode at the scale 600 needs.

A source that is not an image, is damaged or truncated, or claims too many pixels becomes
an ``ArtworkRefusal``; nothing here raises for bad input.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from PIL import ExifTags, Image, UnidentifiedImageError

from tonearm.artwork.results import ArtworkRefusal, RefusalReason
from tonearm.artwork.sizes import can_keep_edge, sizes_for, thumbnail_dimensions

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Our own cap, below Pillow's ``MAX_IMAGE_PIXELS`` (89 megapixels): a 6000 × 8000 scan
# passes; a decoded 50-megapixel RGBA PNG is 200 MB, which bounds one worker thread.
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# JPEG, not WebP: measured on a 1400 × 1400 source (README.md), WebP's encoder at method 0
# took about as long for the four sizes as JPEG's whole job, for half the bytes.
OUTPUT_FORMAT = "JPEG"
JPEG_QUALITY = 85
# Sharper than bilinear at the same cost; each step first halves by whole factors (box
# averaging, exact and cheap) and resamples only what remains.
RESAMPLE = Image.Resampling.HAMMING
REDUCING_GAP = 1.0
BACKGROUND = (255, 255, 255)  # JPEG has no alpha: transparency is painted on white
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_EDGES = frozenset({5, 6, 7, 8})
_NOT_AN_IMAGE = ArtworkRefusal(RefusalReason.NOT_AN_IMAGE, "not a JPEG, PNG, WebP or GIF image")
_DAMAGED = ArtworkRefusal(RefusalReason.DAMAGED, "the image is damaged or truncated")
_BOMB = ArtworkRefusal(
    RefusalReason.TOO_MANY_PIXELS, "the image claims too many pixels (a decompression bomb)"
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A source's displayed size, its encoded thumbnails (ascending) and placeholder."""

    width: int
    height: int
    thumbnails: list[tuple[int, bytes]]
    color: str


class _Refused(Exception):
    def __init__(self, refusal: ArtworkRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def render(source: bytes) -> Rendered | ArtworkRefusal:
    """Every thumbnail of ``source`` (``sizes.sizes_for``) as JPEG bytes, and its colour."""
    return _guarded(_render, source)


@dataclass(frozen=True, slots=True)
class SourceHeader:
    """What a source's header says: its displayed size, and whether it is kept as its own
    large size (``kept_source``), which together decide its sizes (``sizes.sizes_for``)."""

    width: int
    height: int
    keeps_source: bool


def source_header(source: bytes) -> SourceHeader | ArtworkRefusal:
    """The ``SourceHeader`` of ``source``, without decoding its pixels."""

    def read(data: bytes) -> SourceHeader:
        image = _open(data)
        width, height = _displayed_size(image)
        return SourceHeader(width, height, kept_source(image, data) is not None)

    return _guarded(read, source)


def kept_source(image: Image.Image, source: bytes) -> bytes | None:
    """The bytes served as ``source``'s own large size, or None when all its sizes are made.

    Only a JPEG in RGB or grey with no rotation to apply (what a browser shows of it is
    what the thumbnails show) of at most ``MAX_KEPT_BYTES`` and a longer edge
    ``sizes.can_keep_edge`` allows, whose
    segments ``strip_jpeg_metadata`` fully understands. ``image`` is ``source`` opened.
    """
    if not (
        image.format == "JPEG"
        and len(source) <= MAX_KEPT_BYTES
        and image.mode in ("RGB", "L")
        and can_keep_edge(max(image.size))
        and _orientation(image) == 1
    ):
        return None
    return strip_jpeg_metadata(source)


# A kept large size is sent to every player that opens an album page; a cover of more
# bytes (a 2400-pixel scan at quality 100) is made into a 1200 instead.
MAX_KEPT_BYTES = 1_500_000


_SOI = b"\xff\xd8"
_EOI = 0xD9
_SOS = 0xDA
_COM = 0xFE
# Huffman-coded 8-bit frames: baseline, extended sequential, progressive. Lossless,
# hierarchical and arithmetic-coded JPEGs are not kept (not every browser shows them).
_FRAMES = frozenset({0xC0, 0xC1, 0xC2})
_TABLES = frozenset({0xC4, 0xDB, 0xDD})  # Huffman tables, quantisation tables, restart interval
# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte), a restart marker
# (0xD0-0xD7) or more fill 0xFF; any other byte after it starts the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def strip_jpeg_metadata(source: bytes) -> bytes | None:
    """``source`` without its metadata, the coded pixels copied as they are; None if unsure.

    Kept: the JFIF header (APP0, without its optional thumbnail), the ICC colour profile
    (APP2 ``ICC_PROFILE``), Adobe's colour transform (APP14 ``Adobe``) and every table,
    frame and scan the decoder reads, up to the end-of-image marker. Dropped: EXIF and XMP
    (APP1: camera, place, time, software), every other APPn (MPF, Photoshop's IPTC, …),
    comments, and whatever follows the end of the image (appended pictures, each with EXIF
    of its own). Anything else — a marker it does not know, a frame other than 8-bit
    Huffman-coded grey or three components, a length past the end, no end-of-image — makes
    it answer None, and the caller re-encodes instead.
    """
    try:
        return b"".join(_kept_segments(source))
    except _Unsure:
        return None


class _Unsure(Exception):
    """``strip_jpeg_metadata`` met something it does not fully understand."""


def _kept_segments(source: bytes) -> Iterator[bytes]:
    if not source.startswith(_SOI):
        raise _Unsure
    yield _SOI
    offset = len(_SOI)
    has_frame = has_scan = False
    while True:
        start, marker, end = _segment_at(source, offset)
        if marker == _EOI:
            if not has_scan:
                raise _Unsure
            yield source[start:end]
            return
        if marker == _SOS:
            # The scan's header and its entropy-coded data, up to the next marker.
            following = _NEXT_MARKER.search(source, end)
            if not has_frame or following is None:
                raise _Unsure
            yield source[start : following.start()]
            offset, has_scan = following.start(), True
            continue
        segment = source[start:end]
        if marker in _FRAMES:
            if has_frame or not _is_plain_frame(segment):
                raise _Unsure
            has_frame = True
        yield _kept_segment(marker, segment)
        offset = end


def _segment_at(source: bytes, offset: int) -> tuple[int, int, int]:
    """Where the marker at ``offset`` (after any fill bytes) starts, its code, its end."""
    while source.startswith(b"\xff\xff", offset):
        offset += 1
    if offset + 2 > len(source) or source[offset] != 0xFF:
        raise _Unsure
    marker = source[offset + 1]
    if marker == _EOI:
        return offset, marker, offset + 2
    end = offset + 2 + int.from_bytes(source[offset + 2 : offset + 4], "big")
    if offset + 4 > len(source) or end < offset + 4 or end > len(source):
        raise _Unsure
    return offset, marker, end


def _kept_segment(marker: int, segment: bytes) -> bytes:
    """What of a segment before or between scans is kept (maybe nothing)."""
    if marker in _FRAMES or marker in _TABLES:
        return segment
    payload = segment[4:]
    if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
        # Version, units and density; the optional thumbnail after them is a picture
        # of its own (not necessarily of this one), so it goes.
        return b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00"
    if (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00")) or (
        marker == 0xEE and payload.startswith(b"Adobe")
    ):
        return segment
    if 0xE0 <= marker <= 0xEF or marker == _COM:
        return b""
    raise _Unsure  # a standalone marker (TEM, RSTn, SOI) or one not handled here


def _is_plain_frame(segment: bytes) -> bool:
    """A start-of-frame of 8-bit samples in one or three components, of a known size."""
    if len(segment) < 10:
        return False
    precision, components = segment[4], segment[9]
    height = int.from_bytes(segment[5:7], "big")
    width = int.from_bytes(segment[7:9], "big")
    return (
        precision == 8
        and height > 0
        and width > 0
        and components in (1, 3)
        and len(segment) == 10 + 3 * components
    )


def color_of(thumbnail: bytes) -> str | None:
    """The placeholder colour of an encoded thumbnail; None when it does not decode."""
    result = _guarded(lambda data: placeholder_color(_displayable(_load(_open(data)))), thumbnail)
    return result if isinstance(result, str) else None


def placeholder_color(image: Image.Image) -> str:
    """The dominant colour of ``image`` as ``#rrggbb``.

    Pixels of a 16 × 16 copy are binned by the top three bits of each channel; the answer is
    the mean colour of the fullest bin, so a blue cover with a white band is blue, not the
    grey a plain mean would give.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = rgb.resize((min(16, rgb.width), min(16, rgb.height)), Image.Resampling.BOX)
    pixels = small.tobytes()
    bins: dict[int, list[int]] = {}
    for offset in range(0, len(pixels), 3):
        red, green, blue = pixels[offset], pixels[offset + 1], pixels[offset + 2]
        totals = bins.setdefault((red >> 5) << 6 | (green >> 5) << 3 | blue >> 5, [0, 0, 0, 0])
        totals[0] += 1
        totals[1] += red
        totals[2] += green
        totals[3] += blue
    count, red, green, blue = max(bins.values())
    return "#{:02x}{:02x}{:02x}".format(*(round(total / count) for total in (red, green, blue)))


def _guarded(work: Callable[[bytes], T], source: bytes) -> T | ArtworkRefusal:
    try:
        return work(source)
    except _Refused as refused:
        return refused.refusal
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard: an error above 2 × MAX_IMAGE_PIXELS, a warning above it (an
        # exception where warnings are errors, as under pytest; else our smaller cap holds).
        return _BOMB
    except MemoryError:
        return ArtworkRefusal(RefusalReason.TOO_MANY_PIXELS, "not enough memory to decode it")
    except Exception:
        # Bad data makes Pillow raise OSError, SyntaxError, ValueError, EOFError, zlib.error
        # and more; whichever it is, one image must not stop a scan.
        logger.debug("image refused as damaged", exc_info=True)
        return _DAMAGED


def _open(source: bytes, *, verify: bool = False) -> Image.Image:
    image = _open_checked(source)
    if verify and image.format == "PNG":
        # Pillow decodes PNG pixel data without checking its CRCs, so a corrupt one can
        # decode to garbage instead of failing; verify() checks every chunk (cheaply) and
        # leaves the image unusable, hence the second open.
        image.verify()
        image = _open_checked(source)
    return image


def _open_checked(source: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(source), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise _Refused(_NOT_AN_IMAGE) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise _Refused(_DAMAGED)
    if width * height > MAX_PIXELS:
        raise _Refused(
            ArtworkRefusal(
                RefusalReason.TOO_MANY_PIXELS,
                f"the image is {width} × {height} pixels, over the "
                f"{MAX_PIXELS // 1_000_000}-megapixel limit",
            )
        )
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # unreadable EXIF only loses the rotation
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if _orientation(image) in _SWAPS_EDGES else (width, height)


def _load(image: Image.Image) -> Image.Image:
    image.load()
    return image


def _render(source: bytes) -> Rendered:
    image = _open(source, verify=True)
    orientation = _orientation(image)
    width, height = _displayed_size(image)
    kept = kept_source(image, source)
    sizes = sizes_for(width, height, keeps_source=kept is not None)
    to_make = sizes[:-1] if kept is not None else sizes
    if image.format == "JPEG":
        # Decode at the smallest DCT scale (1/1, 1/2, 1/4, 1/8) still at least as large as
        # the largest thumbnail to make: a 3000-pixel source decodes at 1500 for its 1200,
        # a kept 1400-pixel one at 700 for its 600.
        target_width, target_height = thumbnail_dimensions(width, height, to_make[-1])
        if orientation in _SWAPS_EDGES:
            target_width, target_height = target_height, target_width
        image.draft(None, (target_width, target_height))
    image.load()
    if orientation != 1:
        image = image.transpose(_TRANSPOSE[orientation])
    current = _displayable(image)
    del image  # from here the decoded source lives only as long as ``current`` is it
    made: list[tuple[int, bytes]] = []
    for size in reversed(to_make):
        dimensions = thumbnail_dimensions(width, height, size)
        if current.size != dimensions:
            current = current.resize(dimensions, RESAMPLE, reducing_gap=REDUCING_GAP)
        made.append((size, _encode(current)))
    made.reverse()
    if kept is not None:
        made.append((sizes[-1], kept))
    # From the stored bytes, not the pixels before encoding, so that a source whose
    # thumbnails are already stored (``color_of``) gets the very same colour.
    color = color_of(made[0][1])
    if color is None:  # pragma: no cover - Pillow decodes what it has just encoded
        raise _Refused(_DAMAGED)
    return Rendered(width, height, made, color)


def _displayable(image: Image.Image) -> Image.Image:
    """``image`` in a mode JPEG can hold: RGB or L."""
    mode = image.mode
    if mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        painted = Image.new("RGB", rgba.size, BACKGROUND)
        painted.paste(rgba, mask=rgba.getchannel("A"))
        return painted
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode == "I" or mode.startswith("I;16"):  # 16-bit grey: keep the top 8 bits
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")  # palette, CMYK (Adobe's inverted kind decoded as such), …


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Pillow would copy a source's JPEG comment (``info["comment"]``) into each thumbnail.
    image.save(buffer, OUTPUT_FORMAT, quality=JPEG_QUALITY, optimize=False, comment=b"")
    return buffer.getvalue()
