"""Who a credit names: multi-valued tags win; single values split only on padded separators."""

from __future__ import annotations

import pytest

from tonearm.catalog.artists import MAX_ARTISTS, Credit, artist_key, split_credit


@pytest.mark.parametrize(
    "credit",
    ["AC/DC", "Simon & Garfunkel", "Earth, Wind & Fire", "Guns N' Roses", "Sunn O)))"],
)
def test_names_with_separator_characters_stay_whole(credit: str) -> None:
    assert split_credit(credit) == Credit((credit,))


@pytest.mark.parametrize(
    ("credit", "main", "featured"),
    [
        ("Daft Punk feat. Pharrell Williams", ("Daft Punk",), ("Pharrell Williams",)),
        ("Daft Punk ft. Pharrell Williams", ("Daft Punk",), ("Pharrell Williams",)),
        ("Daft Punk Featuring Pharrell", ("Daft Punk",), ("Pharrell",)),
        ("Jay-Z / Linkin Park", ("Jay-Z", "Linkin Park"), ()),
        ("Alice; Bob", ("Alice", "Bob"), ()),
        ("A / B feat. C; D", ("A", "B"), ("C", "D")),
    ],
)
def test_single_values_split_on_space_padded_separators(
    credit: str, main: tuple[str, ...], featured: tuple[str, ...]
) -> None:
    assert split_credit(credit) == Credit(main, featured)


def test_a_multi_valued_tag_wins_over_the_credit() -> None:
    credit = split_credit("Simon & Garfunkel feat. Nobody", ["Paul Simon", "Art Garfunkel"])
    assert credit == Credit(("Paul Simon", "Art Garfunkel"))


def test_an_exception_is_never_split() -> None:
    keep = frozenset({artist_key("Mumford / Sons")})
    assert split_credit("Mumford / Sons", keep_whole=keep) == Credit(("Mumford / Sons",))
    assert split_credit("X feat. Mumford / Sons", keep_whole=keep) == Credit(
        ("X",), ("Mumford / Sons",)
    )


def test_duplicates_blanks_and_case_variants_collapse() -> None:
    assert split_credit(None) == Credit(())
    assert split_credit("   ") == Credit(())
    assert split_credit("Björk / BJORK /  bjork ") == Credit(("Björk",))
    assert split_credit("A feat. A") == Credit(("A",))


def test_ten_thousand_artists_are_bounded() -> None:
    names = [f"Artist {n}" for n in range(10_000)]
    assert len(split_credit(None, names).names) == MAX_ARTISTS
    assert len(split_credit(" / ".join(names)).names) == MAX_ARTISTS


def test_the_artist_key_ignores_case_accents_and_spacing() -> None:
    assert artist_key("Beyoncé") == artist_key("BEYONCE") == artist_key(" beyonce  ")
