"""The fixed thumbnail sizes, and which of them a source of a given size gets (pure)."""

from __future__ import annotations

# Longer-edge lengths in pixels: a list row, a grid tile, an album page, a large view.
SIZES = (64, 300, 600, 1200)
SMALLEST = SIZES[0]
LARGEST = SIZES[-1]


def sizes_for(width: int, height: int) -> tuple[int, ...]:
    """The sizes made for a ``width`` × ``height`` source, ascending; never upscaled.

    Each fixed size up to the source's longer edge; a source smaller than the smallest
    size gets a single thumbnail at its own size.
    """
    longer = max(width, height)
    if longer < SMALLEST:
        return (longer,)
    return tuple(size for size in SIZES if size <= longer)


def thumbnail_dimensions(width: int, height: int, size: int) -> tuple[int, int]:
    """``width`` × ``height`` scaled so the longer edge is ``size``, aspect ratio kept."""
    longer = max(width, height)
    if width >= height:
        return size, max(1, round(height * size / longer))
    return max(1, round(width * size / longer)), size


def is_possible_size(size: int) -> bool:
    """Whether ``size`` is one a source could get: a fixed size or a tiny source's own."""
    return size in SIZES or 1 <= size < SMALLEST
