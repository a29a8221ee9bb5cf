"""Albums and artists as a scan of real MP3 files builds them, read through GraphQL.

Each test writes tagged files with ``tests.support.audio.write_mp3`` (ID3v2.4 text frames),
scans the media root with the real scanner and asks the API what it made.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3, TALB, TCMP, TIT2
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.support.audio import write_mp3
from tonearm.library.scanner import scan_library

ALBUMS = """{ albums(first: 50, orderBy: YEAR) { totalCount edges { node {
  id title artistCredit year isCompilation discCount trackCount
  artists { id name }
  tracks { title discNumber trackNumber artists { name } }
} } } }"""
ARTISTS = """{ artists(first: 50) { totalCount edges { node {
  id name albumCount trackCount
  albums { edges { isAppearance node { title } } }
} } } }"""


async def albums(gql: Gql) -> list[dict[str, Any]]:
    body = await gql(ALBUMS)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["albums"]["edges"]]


async def artists(gql: Gql) -> dict[str, dict[str, Any]]:
    body = await gql(ARTISTS)
    assert "errors" not in body, body
    return {edge["node"]["name"]: edge["node"] for edge in body["data"]["artists"]["edges"]}


def retag(path: Path, *frames: Any) -> None:
    """Replace some ID3 frames and move the mtime on, as a tag editor would."""
    tags = ID3(path)
    for frame in frames:
        tags.add(frame)
    tags.save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


async def test_an_album_split_across_disc_folders_is_one_album_in_disc_order(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    tags = {"artist": "Band", "album": "Opus", "year": "2004"}
    write_mp3(media_root / "Band/Opus/CD1/01.mp3", title="One", track="1", disc="1/2", **tags)
    write_mp3(media_root / "Band/Opus/CD1/02.mp3", title="Two", track="2", disc="1/2", **tags)
    write_mp3(media_root / "Band/Opus/CD2/01.mp3", title="Aardvark", track="1", disc="2/2", **tags)
    await scan_library(engine, media_root)

    (album,) = await albums(gql)
    assert (album["title"], album["discCount"], album["trackCount"]) == ("Opus", 2, 3)
    assert [(t["title"], t["discNumber"], t["trackNumber"]) for t in album["tracks"]] == [
        ("One", 1, 1),
        ("Two", 1, 2),
        ("Aardvark", 2, 1),
    ]


async def test_an_artists_two_greatest_hits_in_two_folders_are_two_albums(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    for year in ("1981", "2011"):
        for number in (1, 2):
            write_mp3(
                media_root / f"Queen/Greatest Hits {year}/{number:02d}.mp3",
                title=f"Song {number}",
                artist="Queen",
                album="Greatest Hits",
                year=year,
                track=str(number),
            )
    await scan_library(engine, media_root)

    found = await albums(gql)
    assert [(a["title"], a["year"], a["trackCount"]) for a in found] == [
        ("Greatest Hits", 1981, 2),
        ("Greatest Hits", 2011, 2),
    ]
    assert found[0]["id"] != found[1]["id"]
    assert (await artists(gql))["Queen"]["albumCount"] == 2


async def test_disagreeing_years_within_one_folder_never_split_an_album(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    for number, year in enumerate(["2001", "2002", "2001"], start=1):
        write_mp3(
            media_root / f"Solo/Record/{number:02d}.mp3",
            title=f"Part {number}",
            artist="Solo",
            album="Record",
            year=year,
            track=str(number),
            key=number,
        )
    await scan_library(engine, media_root)

    (album,) = await albums(gql)
    assert (album["title"], album["year"], album["trackCount"]) == ("Record", 2001, 3)


async def test_a_featured_artist_appears_on_the_main_artists_album(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "Aria/Duets/01.mp3", title="Alone", artist="Aria", album="Duets")
    write_mp3(
        media_root / "Aria/Duets/02.mp3", title="Together", artist="Aria feat. Bo", album="Duets"
    )
    await scan_library(engine, media_root)

    (album,) = await albums(gql)
    assert (album["artistCredit"], [a["name"] for a in album["artists"]]) == ("Aria", ["Aria"])
    assert [t["artists"] for t in album["tracks"]] == [
        [{"name": "Aria"}],
        [{"name": "Aria"}, {"name": "Bo"}],
    ]
    found = await artists(gql)
    assert {name: (a["albumCount"], a["trackCount"]) for name, a in found.items()} == {
        "Aria": (1, 2),
        "Bo": (0, 1),
    }
    assert found["Aria"]["albums"]["edges"] == [{"isAppearance": False, "node": {"title": "Duets"}}]
    assert found["Bo"]["albums"]["edges"] == [{"isAppearance": True, "node": {"title": "Duets"}}]


async def test_names_with_separators_but_no_spaces_stay_one_artist(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "a.mp3", title="Hells Bells", artist="AC/DC", album="Back in Black")
    write_mp3(media_root / "b.mp3", title="Cecilia", artist="Simon & Garfunkel", album="Bridge")
    await scan_library(engine, media_root)

    assert sorted(await artists(gql)) == ["AC/DC", "Simon & Garfunkel"]


async def test_ids_of_albums_and_artists_survive_rescans(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    first = write_mp3(
        media_root / "Duo/Pair/01.mp3", title="Left", artist="Duo", album="Pair", track="1"
    )
    write_mp3(
        media_root / "Duo/Pair/02.mp3", title="Right", artist="Duo", album="Pair", track="2", key=2
    )
    await scan_library(engine, media_root)
    before = (await albums(gql), await artists(gql))

    unchanged = await scan_library(engine, media_root)
    assert unchanged.unchanged == 2
    assert (await albums(gql), await artists(gql)) == before

    retag(first, TIT2(encoding=3, text="Left (Remix)"))
    changed = await scan_library(engine, media_root)
    assert changed.updated == 1
    (album,) = await albums(gql)
    assert album["id"] == before[0][0]["id"]
    assert [t["title"] for t in album["tracks"]] == ["Left (Remix)", "Right"]
    assert (await artists(gql))["Duo"]["id"] == before[1]["Duo"]["id"]


async def test_a_retagged_album_title_moves_its_tracks_and_the_empty_album_goes(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    paths = [
        write_mp3(
            media_root / f"Band/Draft/{n:02d}.mp3", title=f"T{n}", artist="Band", album="Draft"
        )
        for n in (1, 2)
    ]
    await scan_library(engine, media_root)
    (draft,) = await albums(gql)

    retag(paths[0], TALB(encoding=3, text="Final"))
    await scan_library(engine, media_root)
    assert sorted((a["title"], a["trackCount"]) for a in await albums(gql)) == [
        ("Draft", 1),
        ("Final", 1),
    ]

    retag(paths[1], TALB(encoding=3, text="Final"))
    await scan_library(engine, media_root)
    (final,) = await albums(gql)
    assert (final["title"], final["trackCount"]) == ("Final", 2)
    gone = await gql(f'{{ album(id: "{draft["id"]}") {{ id }} }}')
    assert gone == {"data": {"album": None}}
    assert (await artists(gql))["Band"]["albumCount"] == 1


@pytest.mark.xfail(
    strict=True,
    reason="the probe on this branch does not read TCMP; strict: drop this mark once it does",
)
async def test_a_tagged_compilation_is_one_album_of_various_artists(
    gql: Gql, engine: AsyncEngine, media_root: Path
) -> None:
    for number, artist in enumerate(["Ann", "Bob", "Cy"], start=1):
        path = write_mp3(
            media_root / f"Mix/{number:02d}.mp3",
            title=f"Song {number}",
            artist=artist,
            album="Summer Mix",
            track=str(number),
            key=number,
        )
        retag(path, TCMP(encoding=3, text="1"))
    await scan_library(engine, media_root)

    (album,) = await albums(gql)
    assert (album["artistCredit"], album["isCompilation"], album["trackCount"]) == (
        "Various Artists",
        True,
        3,
    )
    assert [a["name"] for a in album["artists"]] == ["Various Artists"]
