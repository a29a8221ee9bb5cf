"""Images for artwork tests, generated with Pillow (and by hand where Pillow would refuse)."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from typing import Any

from PIL import Image, ImageDraw


def encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    """``image`` saved in ``image_format``."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def cover(width: int = 1400, height: int = 1400, *, seed: int = 0) -> Image.Image:
    """An RGB picture with detail in it: a gradient and stripes, varied by ``seed``."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for index in range(0, max(width, height), 37):
        shade = (index * 7 + seed * 53) % 256
        draw.line([(index, 0), (0, index)], fill=(shade, 255 - shade, (shade * 3) % 256), width=5)
    return image


@cache
def jpeg(width: int = 1400, height: int = 1400, *, seed: int = 0) -> bytes:
    """A JPEG of ``cover(width, height)`` (quality 90); made once per run."""
    return encode(cover(width, height, seed=seed), "JPEG", quality=90)


def solid(mode: str, size: tuple[int, int], color: Any, image_format: str, **options: Any) -> bytes:
    """A single-colour image."""
    return encode(Image.new(mode, size, color), image_format, **options)


def with_orientation(data: bytes, orientation: int) -> bytes:
    """A JPEG re-saved with an EXIF Orientation tag."""
    image = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header claims ``width`` × ``height``.

    Decoded, it would take width × height × 3 bytes: a decompression bomb.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * 3 * min(width, 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * 4))
        + _chunk(b"IEND", b"")
    )
