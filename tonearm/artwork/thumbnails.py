"""Decoding one source image into its thumbnails and placeholder colour, with Pillow.

Blocking and CPU-bound: call it from a worker thread (``make.make_artworks`` does). Memory
per call is bounded: the source's header is checked against a pixel cap before anything
is decoded; a JPEG is decoded scaled down in the DCT (``Image.draft``) to no more than the
largest thumbnail needs; each smaller thumbnail is made from the one before it, so at most
the decoded source and one thumbnail are alive at a time.

A source that is not an image, is damaged or truncated, or claims too many pixels becomes
an ``ArtworkRefusal``; nothing here raises for bad input.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import ExifTags, Image, UnidentifiedImageError

from tonearm.artwork.results import ArtworkRefusal, RefusalReason
from tonearm.artwork.sizes import sizes_for, thumbnail_dimensions

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


def source_dimensions(source: bytes) -> tuple[int, int] | ArtworkRefusal:
    """The displayed width and height of ``source``, from its header alone."""
    return _guarded(lambda data: _displayed_size(_open(data)), source)


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
    sizes = sizes_for(width, height)
    if image.format == "JPEG":
        # Decode at the smallest DCT scale (1/1, 1/2, 1/4, 1/8) still at least as large as
        # the largest thumbnail: a 3000-pixel source decodes at 1500.
        target_width, target_height = thumbnail_dimensions(width, height, sizes[-1])
        if orientation in _SWAPS_EDGES:
            target_width, target_height = target_height, target_width
        image.draft(None, (target_width, target_height))
    image.load()
    if orientation != 1:
        image = image.transpose(_TRANSPOSE[orientation])
    current = _displayable(image)
    del image  # from here the decoded source lives only as long as ``current`` is it
    made: list[tuple[int, bytes]] = []
    for size in reversed(sizes):
        dimensions = thumbnail_dimensions(width, height, size)
        if current.size != dimensions:
            current = current.resize(dimensions, RESAMPLE, reducing_gap=REDUCING_GAP)
        made.append((size, _encode(current)))
    made.reverse()
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
    image.save(buffer, OUTPUT_FORMAT, quality=JPEG_QUALITY, optimize=False)
    return buffer.getvalue()
