"""The one place that knows the shape of an artwork URL (GraphQL and the route import it).

Artwork URLs carry no signature: they name content by its hash, so they stay the same for
as long as the image does and the browser's cache can keep them for a year. Who may read
them is decided per request from the session cookie or bearer token (``routes.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tonearm.artwork.sizes import is_possible_size
from tonearm.artwork.store import is_artwork_hash

ART_PATH = "/api/art/{artwork_hash}/{size}"
_SIZE = re.compile(r"[1-9][0-9]{0,3}")  # ASCII digits only: int() would take "６４" or " 64"


def artwork_url(artwork_hash: str, size: int) -> str:
    """The server-relative URL of ``artwork_hash``'s thumbnail at ``size``."""
    if not is_artwork_hash(artwork_hash) or not is_possible_size(size):
        raise ValueError("not an artwork hash and size")
    return ART_PATH.format(artwork_hash=artwork_hash, size=size)


def nearest_size(sizes_made: Sequence[int], requested: int) -> int:
    """The smallest made size at least ``requested``, else the largest made.

    ``sizes_made`` is an artwork's ``sizes`` (any order); raises ``ValueError`` when empty.
    """
    if not sizes_made:
        raise ValueError("an artwork has at least one size")
    large_enough = [size for size in sizes_made if size >= requested]
    return min(large_enough) if large_enough else max(sizes_made)


def hash_from_path(raw: str) -> str | None:
    """The artwork hash of a URL's path segment; None unless 64 lowercase hex digits."""
    return raw if is_artwork_hash(raw) else None


def size_from_path(raw: str) -> int | None:
    """The size of a URL's path segment; None unless a size some artwork could have."""
    if _SIZE.fullmatch(raw) is None:
        return None
    size = int(raw)
    return size if is_possible_size(size) else None
