"""Which file of a folder is the cover, and which the artist's picture."""

from __future__ import annotations

import pytest

from tonearm.artwork.folder import choose_artist_image, choose_cover


def test_cover_wins_over_folder_front_and_album() -> None:
    names = ["album.jpg", "front.png", "folder.webp", "cover.jpeg", "01 Song.flac"]

    assert choose_cover(names) == "cover.jpeg"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["album.jpg", "front.jpg", "folder.jpg"], "folder.jpg"),
        (["album.jpg", "front.jpg"], "front.jpg"),
        (["album.webp"], "album.webp"),
    ],
)
def test_the_base_names_rank_in_order(names: list[str], expected: str) -> None:
    assert choose_cover(names) == expected


def test_names_and_extensions_match_in_any_case() -> None:
    assert choose_cover(["COVER.JPG"]) == "COVER.JPG"
    assert choose_cover(["Folder.JpEg"]) == "Folder.JpEg"
    assert choose_cover(["Front.WEBP"]) == "Front.WEBP"


def test_within_one_base_name_jpg_then_jpeg_then_png_then_webp() -> None:
    assert choose_cover(["cover.webp", "cover.png", "cover.jpeg", "cover.jpg"]) == "cover.jpg"
    assert choose_cover(["cover.webp", "cover.png"]) == "cover.png"


def test_the_choice_does_not_depend_on_listing_order() -> None:
    names = ["cover.jpg", "Cover.jpg", "COVER.jpg"]

    assert choose_cover(names) == choose_cover(list(reversed(names))) == "COVER.jpg"


@pytest.mark.parametrize(
    "name",
    [
        ".cover.jpg",
        "._cover.jpg",
        "cover.gif",
        "cover.jpg.bak",
        "cover",
        "my cover.jpg",
        "cover .jpg",
        "covers.jpg",
        "back.jpg",
        "artist.jpg",
        "cover.tiff",
    ],
)
def test_other_files_are_not_covers(name: str) -> None:
    assert choose_cover([name]) is None


def test_no_names_no_cover() -> None:
    assert choose_cover([]) is None
    assert choose_artist_image([]) is None


def test_the_artist_image_is_chosen_separately() -> None:
    names = ["cover.jpg", "Artist.PNG", "folder.jpg"]

    assert choose_artist_image(names) == "Artist.PNG"
    assert choose_cover(names) == "cover.jpg"


def test_hidden_and_other_artist_names_are_ignored() -> None:
    assert choose_artist_image([".artist.jpg", "artists.jpg", "artist.bmp", "cover.jpg"]) is None
    assert choose_artist_image(["artist.webp", "artist.jpg"]) == "artist.jpg"


def test_a_name_that_is_not_utf8_is_handled_like_any_other() -> None:
    odd = "caf\udce9.jpg"  # a Latin-1 byte as the OS hands it to Python

    assert choose_cover([odd, "cover.png"]) == "cover.png"
