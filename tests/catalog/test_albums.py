"""Album identity: the recipe of ``catalog.albums``, rule by rule."""

from __future__ import annotations

from tonearm.catalog.albums import GroupMember, album_group, album_identities, most_common


def group(**overrides: object) -> str | None:
    values: dict[str, object] = {
        "album": "Greatest Hits",
        "album_artist_names": [],
        "artist_names": ["Queen"],
        "is_compilation": False,
        "musicbrainz_album_id": None,
    }
    values.update(overrides)
    return album_group(**values)  # type: ignore[arg-type]


def test_the_musicbrainz_release_id_decides_alone() -> None:
    mbid = "0f0e7d56-7b6c-4b5c-8a0e-1c2d3e4f5a6b"
    assert group(musicbrainz_album_id=mbid) == group(
        album="Other", artist_names=["Someone"], musicbrainz_album_id=mbid.upper()
    )
    assert group(musicbrainz_album_id=mbid) != group()


def test_album_artist_falls_back_to_the_track_artist() -> None:
    assert group(album_artist_names=["Queen"], artist_names=["Freddie"]) == group()
    assert group(album_artist_names=["Queen"]) != group(album_artist_names=["ABBA"])


def test_titles_and_artists_fold_for_case_and_accents() -> None:
    assert group(album="GREATEST  hits") == group()
    assert group(artist_names=["Beyoncé"]) == group(artist_names=["BEYONCE"])


def test_compilations_group_under_various_artists() -> None:
    first = group(is_compilation=True, artist_names=["A"])
    assert first == group(is_compilation=True, artist_names=["B"])
    assert first == group(album_artist_names=["Various Artists"])


def test_no_album_title_means_no_album() -> None:
    assert group(album=None) is None
    assert group(album="   ") is None


def _identities(*members: tuple[str, str, int | None]) -> list[str]:
    base = group()
    assert base is not None
    found = album_identities(
        base, [GroupMember(track, folder, year) for track, folder, year in members]
    )
    return [found[track] for track, _, _ in members]


def test_folders_that_disagree_on_the_year_are_different_albums() -> None:
    a, b = _identities(("1", "Queen/1981", 1981), ("2", "Queen/2011", 2011))
    assert a != b


def test_disagreeing_years_within_one_folder_never_split() -> None:
    ids = _identities(("1", "X", 1981), ("2", "X", 1982), ("3", "X", None))
    assert len(set(ids)) == 1


def test_discs_in_two_folders_with_one_year_are_one_album() -> None:
    ids = _identities(("1", "X/CD1", 1999), ("2", "X/CD2", 1999), ("3", "X/CD2", None))
    assert len(set(ids)) == 1


def test_a_folder_without_a_year_joins_the_only_dated_album() -> None:
    ids = _identities(("1", "X/CD1", 1999), ("2", "X/CD2", None))
    assert len(set(ids)) == 1


def test_a_folder_year_is_its_majority() -> None:
    a, b, c = _identities(("1", "A", 1981), ("2", "A", 1981), ("3", "B", 1981))
    assert a == b == c
    d, e, f = _identities(("1", "A", 1981), ("2", "A", 2011), ("3", "B", 2011))
    assert d == e != f  # a tie in A resolves to the earlier year


def test_release_groups_never_split_by_year() -> None:
    mb = group(musicbrainz_album_id="0f0e7d56-7b6c-4b5c-8a0e-1c2d3e4f5a6b")
    assert mb is not None
    found = album_identities(mb, [GroupMember("1", "A", 1981), GroupMember("2", "B", 2011)])
    assert found["1"] == found["2"] == mb


def test_most_common_keeps_the_first_of_equals() -> None:
    assert most_common(["b", "a", "a", "b"]) == "b"
    assert most_common([]) is None
