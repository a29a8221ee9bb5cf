"""scanLibrary reports playlist entries that name no track, without this machine's paths."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support.audio import write_mp3

SCAN = """mutation { scanLibrary { added unresolvedPlaylistEntries
  unresolvedPlaylistEntryExamples { playlist entry reason } } }"""


def write_library(root: Path) -> None:
    """A track, and a Latin-1 playlist naming it, a missing file and places it must not."""
    write_mp3(root / "A/1.mp3", title="one")
    lists = os.path.join(os.fsencode(root), b"Lists \xe9")
    os.mkdir(lists)
    with open(os.path.join(lists, b"mix.m3u"), "wb") as handle:
        handle.write(
            b"#EXTM3U\n../A/1.mp3\n../A/gone.mp3\n"
            + os.fsencode(root)
            + b"/A/also-gone.mp3\n/home/someone/private.mp3\nhttp://user:pw@radio/x?k=1\n"
        )


async def test_scan_library_reports_unresolved_playlist_entries(
    client: httpx.AsyncClient, media_root: Path
) -> None:
    write_library(media_root)

    response = await client.post("/graphql", json={"query": SCAN})

    assert response.status_code == 200
    assert str(media_root) not in response.text
    assert response.json()["data"]["scanLibrary"] == {
        "added": 1,
        "unresolvedPlaylistEntries": 4,
        "unresolvedPlaylistEntryExamples": [
            {
                "playlist": "Lists \ufffd/mix.m3u",
                "entry": "../A/gone.mp3",
                "reason": "not in the library",
            },
            {
                "playlist": "Lists \ufffd/mix.m3u",
                "entry": "A/also-gone.mp3",
                "reason": "not in the library",
            },
            {
                "playlist": "Lists \ufffd/mix.m3u",
                "entry": "\u2026/private.mp3",
                "reason": "outside the media root",
            },
            {
                "playlist": "Lists \ufffd/mix.m3u",
                "entry": "http://radio/x",
                "reason": "not a local file (http URL)",
            },
        ],
    }
