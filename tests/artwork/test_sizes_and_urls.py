"""Which sizes a source gets, and the URL shape GraphQL builds."""

from __future__ import annotations

import pytest

from tonearm.artwork.sizes import (
    MAX_KEPT_EDGE,
    SIZES,
    is_possible_size,
    sizes_for,
    thumbnail_dimensions,
)
from tonearm.artwork.urls import (
    ART_PATH,
    artwork_url,
    hash_from_path,
    nearest_size,
    size_from_path,
)

HASH = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1400, 1400, (64, 300, 600, 1200)),
        (1200, 1200, (64, 300, 600, 1200)),
        (5000, 3000, (64, 300, 600, 1200)),
        (1199, 800, (64, 300, 600)),
        (300, 500, (64, 300)),
        (64, 10, (64,)),
        (63, 63, (63,)),
        (50, 20, (50,)),
        (1, 1, (1,)),
    ],
)
def test_sizes_are_never_above_the_longer_edge(
    width: int, height: int, expected: tuple[int, ...]
) -> None:
    assert sizes_for(width, height) == expected


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1400, 1400, (64, 300, 600, 1400)),
        (1400, 700, (64, 300, 600, 1400)),
        (700, 1400, (64, 300, 600, 1400)),
        (2400, 1800, (64, 300, 600, 2400)),
        (1200, 1200, (64, 300, 600, 1200)),
        (1199, 800, (64, 300, 600, 1199)),
        (601, 601, (64, 300, 600, 601)),
        # Not kept: 600 and below need no large size, above 2400 a 1200 is made.
        (600, 600, (64, 300, 600)),
        (300, 500, (64, 300)),
        (50, 20, (50,)),
        (2401, 2401, (64, 300, 600, 1200)),
        (5000, 3000, (64, 300, 600, 1200)),
    ],
)
def test_a_kept_source_is_its_own_large_size(
    width: int, height: int, expected: tuple[int, ...]
) -> None:
    assert sizes_for(width, height, keeps_source=True) == expected


@pytest.mark.parametrize(
    ("size", "possible"),
    [
        (0, False),
        (1, True),
        (65, True),
        (1400, True),
        (MAX_KEPT_EDGE, True),
        (MAX_KEPT_EDGE + 1, False),
        (-64, False),
    ],
)
def test_possible_sizes(size: int, possible: bool) -> None:
    assert is_possible_size(size) is possible


def test_the_fixed_sizes() -> None:
    assert SIZES == (64, 300, 600, 1200)


@pytest.mark.parametrize(
    ("width", "height", "size", "expected"),
    [
        (1400, 1400, 300, (300, 300)),
        (1400, 700, 600, (600, 300)),
        (700, 1400, 600, (300, 600)),
        (1000, 333, 64, (64, 21)),
        (5000, 1, 1200, (1200, 1)),
        (50, 50, 50, (50, 50)),
    ],
)
def test_dimensions_keep_the_aspect_ratio(
    width: int, height: int, size: int, expected: tuple[int, int]
) -> None:
    assert thumbnail_dimensions(width, height, size) == expected


def test_the_url_shape() -> None:
    assert artwork_url(HASH, 300) == f"/api/art/{HASH}/300"
    assert ART_PATH == "/api/art/{artwork_hash}/{size}"


@pytest.mark.parametrize(
    ("hash_", "size"), [("ABC", 300), (HASH.upper(), 300), (HASH, 0), (HASH, 2401)]
)
def test_no_url_for_what_no_artwork_can_be(hash_: str, size: int) -> None:
    with pytest.raises(ValueError, match="not an artwork hash and size"):
        artwork_url(hash_, size)


@pytest.mark.parametrize(
    ("made", "requested", "expected"),
    [
        ([64, 300, 600, 1200], 300, 300),
        ([64, 300, 600, 1200], 301, 600),
        ([64, 300, 600, 1200], 1, 64),
        ([64, 300, 600, 1200], 5000, 1200),
        ([64, 300], 600, 300),
        ([1200, 64, 600, 300], 500, 600),
        ([40], 300, 40),
        ([40], 10, 40),
    ],
)
def test_nearest_size(made: list[int], requested: int, expected: int) -> None:
    assert nearest_size(made, requested) == expected


def test_nearest_size_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one size"):
        nearest_size([], 300)


@pytest.mark.parametrize(
    "raw",
    ["", HASH.upper(), HASH[:-1], HASH + "0", "..", "../" + HASH, HASH[:-1] + "g", " " + HASH],
)
def test_a_path_segment_that_is_not_a_hash(raw: str) -> None:
    assert hash_from_path(raw) is None


def test_a_hash_segment() -> None:
    assert hash_from_path(HASH) == HASH


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0",
        "064",
        "2401",
        "9999",
        "10000",
        "64.jpg",
        "+64",
        " 64",
        "６４",
        "-1",
        "1e3",
        "..",
        "1400\n",
    ],
)
def test_a_path_segment_that_is_not_a_size(raw: str) -> None:
    assert size_from_path(raw) is None


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("64", 64),
        ("300", 300),
        ("1200", 1200),
        ("7", 7),
        ("65", 65),
        ("1400", 1400),
        ("2400", 2400),
    ],
)
def test_a_size_segment(raw: str, size: int) -> None:
    assert size_from_path(raw) == size
