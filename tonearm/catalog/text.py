"""Text normalization shared by the scanner (what it stores) and queries (what they match).

Search and sort keys are computed in Python so that SQLite and PostgreSQL see the same
case-folded, accent-free text and order tracks the same way.
"""

from __future__ import annotations

import re
import unicodedata

SORT_SEPARATOR = "\x1f"
_WORD = re.compile(r"\w+", re.UNICODE)
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


def fold(text: str) -> str:
    """Case-fold and strip accents: ``"Beyoncé"`` becomes ``"beyonce"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def search_words(text: str) -> list[str]:
    """The folded words of ``text``, the unit both the index and queries use."""
    return _WORD.findall(fold(text))


def search_document(*fields: str | None) -> str:
    """The text a track is found by: its folded words, space-separated."""
    return " ".join(word for field in fields if field for word in search_words(field))


def sort_text(text: str | None) -> str:
    """A sort key for a name: folded, leading article dropped, empty for a missing value."""
    if not text:
        return ""
    return _LEADING_ARTICLE.sub("", fold(text).strip())


def library_sort_key(
    *,
    artist: str | None,
    album: str | None,
    disc_number: int | None,
    track_number: int | None,
    title: str,
) -> str:
    """The key for the default library order: artist, album, disc, track, title."""
    return SORT_SEPARATOR.join(
        [
            sort_text(artist),
            sort_text(album),
            f"{disc_number or 0:05d}",
            f"{track_number or 0:05d}",
            sort_text(title),
        ]
    )
