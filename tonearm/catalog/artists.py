"""Who a credit names: splitting a single artist string into artists, the one recipe.

A multi-valued tag (``ARTISTS``, repeated Vorbis ``ARTIST``, ID3v2.4 multi-value ``TPE1``)
always wins, since the tagger already said who is who. A single value is split only on
separators padded with spaces — `` feat. ``, `` ft. ``, `` / ``, ``; `` — so names that
carry the characters themselves (``AC/DC``, ``Simon & Garfunkel``, ``Earth, Wind & Fire``)
stay whole; names in the settings' exception list are never split at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from tonearm.catalog.text import fold

VARIOUS_ARTISTS = "Various Artists"
MAX_ARTISTS = 100
MAX_NAME = 1024


class ArtistRole(Enum):
    """How an artist is credited on a track; the value is what ``track_artists`` stores."""

    MAIN = "main"
    FEATURED = "featured"
    COMPOSER = "composer"


# The roles that make a track one of the artist's tracks (a composer credit does not).
PERFORMING_ROLES = (ArtistRole.MAIN, ArtistRole.FEATURED)

_FEATURING = re.compile(r"\s+(?:feat\.|ft\.|featuring)\s+", re.IGNORECASE)
_LIST = re.compile(r"\s+/\s+|;\s+")


@dataclass(frozen=True, slots=True)
class Credit:
    """The artists of one credit: main artists, then featured ones, each in credit order."""

    main: tuple[str, ...]
    featured: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every artist of the credit, main first."""
        return self.main + self.featured


def artist_key(name: str) -> str:
    """The identity of an artist: the folded name (case and accents do not matter)."""
    return " ".join(fold(name).split())


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for raw in names:
        name = " ".join(raw.split())[:MAX_NAME]
        key = artist_key(name)
        if name and key not in seen:
            seen.add(key)
            kept.append(name)
        if len(kept) >= MAX_ARTISTS:
            break
    return tuple(kept)


def _split_list(text: str, keep_whole: frozenset[str]) -> list[str]:
    if artist_key(text) in keep_whole:
        return [text]
    return [part for part in _LIST.split(text) if part.strip()]


def split_credit(
    credit: str | None,
    tagged: Iterable[str] = (),
    *,
    keep_whole: frozenset[str] = frozenset(),
) -> Credit:
    """The artists a credit names; ``tagged`` are the values of a multi-valued tag.

    ``keep_whole`` holds folded names (``artist_key``) that are never split.
    """
    values = [value for value in tagged if value and value.strip()]
    if values:
        return Credit(_unique(values))
    if not credit or not credit.strip():
        return Credit(())
    if artist_key(credit) in keep_whole:
        return Credit(_unique([credit]))
    head, *guests = _FEATURING.split(credit, maxsplit=1)
    main = _unique(_split_list(head, keep_whole))
    featured = _unique(name for guest in guests for name in _split_list(guest, keep_whole))
    main_keys = {artist_key(name) for name in main}
    return Credit(main, tuple(name for name in featured if artist_key(name) not in main_keys))
