"""Album identity: which tracks are one album. The recipe, written once.

1. A track tagged with a MusicBrainz album id belongs to that release, whatever else its
   tags say.
2. Otherwise the album artist (the track artist when no album artist is tagged; "Various
   Artists" for a track flagged as part of a compilation without an album artist) and the
   album title, both folded for case and accents, form the track's *group*.
3. A group is one album, unless folders of it disagree on the release year: then each
   year is its own album (an artist's two "Greatest Hits"). A folder's year is the one most
   of its tracks carry, so disagreeing years *within* a folder never split an album; a
   folder without any year joins the group's only dated album, or stands alone when there
   are several.
4. A track without an album title belongs to no album (it stays a track of its artists):
   inventing one from a folder name would merge unrelated singles.

The identity is stored as a SHA-256 digest; an album keeps its id as long as it holds.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tonearm.catalog.artists import VARIOUS_ARTISTS, artist_key
from tonearm.catalog.text import fold

K = TypeVar("K")
# A group digest starts with which rule made it; only groups by name can split by year.
_BY_RELEASE = "r"
_BY_NAME = "n"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def album_group(
    *,
    album: str | None,
    album_artist_names: Sequence[str],
    artist_names: Sequence[str],
    is_compilation: bool,
    musicbrainz_album_id: str | None,
) -> str | None:
    """The part of the album identity one track decides (rules 1, 2 and 4), as a digest.

    The first character says which rule made it (``r``: a release id, ``n``: names).
    """
    if musicbrainz_album_id:
        return _BY_RELEASE + _digest(musicbrainz_album_id.lower())[1:]
    if not album or not album.strip():
        return None
    if album_artist_names:
        artists = album_artist_names
    elif is_compilation:
        artists = [VARIOUS_ARTISTS]
    else:
        artists = artist_names
    artist_part = "\x1e".join(artist_key(name) for name in artists)
    return _BY_NAME + _digest(f"{artist_part}\x1f{' '.join(fold(album).split())}")[1:]


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One track of a group, with what rule 3 looks at: its folder and its year."""

    track: object
    folder: str
    year: int | None


def album_identities(group: str, members: Sequence[GroupMember]) -> dict[object, str]:
    """Rule 3: the album identity of each member of one group (track → identity digest)."""
    if group.startswith(_BY_RELEASE):
        return {member.track: group for member in members}
    years_by_folder: dict[str, list[int]] = {}
    for member in members:
        years = years_by_folder.setdefault(member.folder, [])
        if member.year:
            years.append(member.year)
    folder_year = {folder: _folder_year(years) for folder, years in years_by_folder.items()}
    dated = sorted({year for year in folder_year.values() if year is not None})
    if len(dated) <= 1:
        return {member.track: group for member in members}
    identities: dict[object, str] = {}
    for member in members:
        year = folder_year[member.folder]
        identities[member.track] = _digest(f"{group}\x1f{year or ''}")
    return identities


def _folder_year(years: list[int]) -> int | None:
    counts = Counter(years)
    if not counts:
        return None
    best = max(counts.values())
    return min(year for year, count in counts.items() if count == best)


def most_common(values: Iterable[K]) -> K | None:
    """The value that occurs most often; the first seen among equals."""
    counts = Counter(values)
    if not counts:
        return None
    best = max(counts.values())
    return next(value for value, count in counts.items() if count == best)
