"""The 2×2 mosaic of four covers: a playlist's picture when it has none of its own.

Blocking (Pillow): call it from a worker thread. The tiles are the covers' stored
thumbnails (never their sources): each the smallest stored size of at least a tile, else the
largest (a small cover is scaled up into its quarter rather than shrinking the other three),
centre-cropped to a square and scaled to the tile. The mosaic is always 1200 × 1200. The mosaic is a
JPEG made deterministically from them, so the same four covers always give the same bytes,
and it becomes an artwork like any other (``make.make_artwork``: content-addressed by the
SHA-256 of those bytes, with its thumbnails in the store).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from tonearm.artwork.make import make_artwork
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.store import ArtworkStore
from tonearm.artwork.thumbnails import JPEG_QUALITY, RESAMPLE

TILES = 4
# A tile of 600 makes a 1200 mosaic: a JPEG the thumbnails keep as its own large size.
TILE_EDGE = 600
_MISSING = ArtworkRefusal(RefusalReason.UNREADABLE, "a cover's thumbnail is not in the store")


def make_mosaic(artwork_hashes: Sequence[str], store: ArtworkStore) -> Artwork | ArtworkRefusal:
    """The mosaic of exactly four covers (left to right, top to bottom), stored in ``store``.

    Never raises for a missing or damaged thumbnail: a refusal says so.
    """
    if len(artwork_hashes) != TILES:
        raise ValueError("a mosaic is made of exactly four covers")
    thumbnails: list[bytes] = []
    for artwork_hash in artwork_hashes:
        found = _tile_source(artwork_hash, store)
        if found is None:
            return _MISSING
        thumbnails.append(found)
    try:
        source = _compose(thumbnails, TILE_EDGE)
    except Exception:  # Pillow raises many kinds for bad bytes; one bad file refuses the mosaic
        return ArtworkRefusal(RefusalReason.DAMAGED, "a cover's thumbnail is damaged")
    return make_artwork(source, store)


def _tile_source(artwork_hash: str, store: ArtworkStore) -> bytes | None:
    """The smallest thumbnail of ``artwork_hash`` that fills a tile, else its largest."""
    sizes = store.sizes_present(artwork_hash)
    # Sizes are longer edges: a cover that is not square may fill a tile only from a
    # larger size, which is rare enough to leave to the resample.
    for size in [*(size for size in sizes if size >= TILE_EDGE), *reversed(sizes)]:
        data = store.get(artwork_hash, size)
        if data is not None:
            return data
    return None


def _compose(thumbnails: Sequence[bytes], tile: int) -> bytes:
    canvas = Image.new("RGB", (2 * tile, 2 * tile))
    for index, data in enumerate(thumbnails):
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (tile, tile))
            image = _square(opened.convert("RGB"))
        if image.size != (tile, tile):
            image = image.resize((tile, tile), RESAMPLE)
        canvas.paste(image, ((index % 2) * tile, (index // 2) * tile))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return buffer.getvalue()


def _square(image: Image.Image) -> Image.Image:
    """The centred square of ``image`` (a cover that is not square loses its edges)."""
    width, height = image.size
    edge = min(width, height)
    left, top = (width - edge) // 2, (height - edge) // 2
    return image.crop((left, top, left + edge, top + edge))
