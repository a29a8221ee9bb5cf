"""Which thumbnail sizes a source of a given size gets (pure).

Fixed sizes on the longer edge (64, 300, 600, 1200), never above the source's, except that
a JPEG source ``thumbnails.kept_source`` can serve as it is, with a longer edge above 600
and at most ``MAX_KEPT_EDGE`` (2400), is its own large size instead of a made 1200.
"""

from __future__ import annotations

# Longer-edge lengths in pixels: a list row, a grid tile, an album page, a large view.
SIZES = (64, 300, 600, 1200)
SMALLEST = SIZES[0]
# A JPEG source whose longer edge is above this and at most MAX_KEPT_EDGE is its own large
# size (its bytes kept, metadata removed) instead of a 1200 made from it: re-encoding a
# 1400-pixel cover at 1200 cost three times all the smaller sizes together (README.md).
# Above MAX_KEPT_EDGE a source is too many bytes to send as a large view, and its 1200 is
# cheap (decoded at half size in the DCT).
LARGEST_MADE_BELOW_KEPT = SIZES[-2]
MAX_KEPT_EDGE = 2400


def can_keep_edge(longer: int) -> bool:
    """Whether a source with this longer edge may be kept as its own large size."""
    return LARGEST_MADE_BELOW_KEPT < longer <= MAX_KEPT_EDGE


def sizes_for(width: int, height: int, *, keeps_source: bool = False) -> tuple[int, ...]:
    """The sizes made for a ``width`` × ``height`` source, ascending; never upscaled.

    Each fixed size up to the source's longer edge; a source smaller than the smallest
    size gets a single thumbnail at its own size. With ``keeps_source`` (the source is a
    JPEG ``thumbnails.kept_source`` can serve as it is) and a longer edge ``can_keep_edge``
    allows, the largest size is the source's own edge instead of a made 1200.
    """
    longer = max(width, height)
    if longer < SMALLEST:
        return (longer,)
    if keeps_source and can_keep_edge(longer):
        return (*(size for size in SIZES if size <= LARGEST_MADE_BELOW_KEPT), longer)
    return tuple(size for size in SIZES if size <= longer)


def thumbnail_dimensions(width: int, height: int, size: int) -> tuple[int, int]:
    """``width`` × ``height`` scaled so the longer edge is ``size``, aspect ratio kept."""
    longer = max(width, height)
    if width >= height:
        return size, max(1, round(height * size / longer))
    return max(1, round(width * size / longer)), size


def is_possible_size(size: int) -> bool:
    """Whether some source could get ``size``: a fixed size, a tiny source's own edge, or a
    kept source's own edge — any whole number from 1 to ``MAX_KEPT_EDGE``."""
    return 1 <= size <= MAX_KEPT_EDGE
