"""Which image file in a folder is its cover, and which is its artist's picture (pure)."""

from __future__ import annotations

from collections.abc import Iterable

# In order of preference: the first base name found wins, then the first extension.
COVER_NAMES = ("cover", "folder", "front", "album")
ARTIST_NAMES = ("artist",)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def _best(names: Iterable[str], bases: tuple[str, ...]) -> str | None:
    ranked: list[tuple[int, int, str]] = []
    for name in names:
        if name.startswith("."):  # hidden, including macOS "._cover.jpg" resource forks
            continue
        stem, dot, extension = name.rpartition(".")
        if not dot:
            continue
        stem, extension = stem.lower(), f".{extension.lower()}"
        if stem in bases and extension in IMAGE_EXTENSIONS:
            ranked.append((bases.index(stem), IMAGE_EXTENSIONS.index(extension), name))
    # The name itself breaks ties ("Cover.jpg" and "cover.jpg" on a case-sensitive disk),
    # so the choice never depends on the order the OS lists a folder in.
    return min(ranked)[2] if ranked else None


def choose_cover(names: Iterable[str]) -> str | None:
    """The file name among ``names`` (one folder's entries) that is the album's cover.

    ``cover``, ``folder``, ``front``, ``album`` in that order, each with ``.jpg``, ``.jpeg``,
    ``.png`` or ``.webp`` in any case; hidden files are ignored. None when there is none.
    """
    return _best(names, COVER_NAMES)


def choose_artist_image(names: Iterable[str]) -> str | None:
    """The ``artist.*`` image among ``names`` (same extensions and rules), or None."""
    return _best(names, ARTIST_NAMES)
