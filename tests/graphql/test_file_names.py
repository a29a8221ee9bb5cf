"""Files whose names are not UTF-8, through the API: scanned, listed, found, reported."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.graphql.conftest import Gql
from tests.support.audio import write_mp3

SCAN = "mutation { scanLibrary { added skipped skippedFiles { path reason } } }"
SEARCH = """query($search: String) {
  tracks(search: $search, orderBy: TITLE) { totalCount edges { node { title artist } } } }"""
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def under(root: Path, *parts: bytes) -> Path:
    """A path below ``root`` whose name is exactly these bytes."""
    return Path(os.fsdecode(os.path.join(os.fsencode(root), *parts)))


async def titles(gql: Gql, search: str | None = None) -> list[str]:
    body = await gql(SEARCH, {"search": search})
    connection = body["data"]["tracks"]
    assert connection["totalCount"] == len(connection["edges"])
    return [edge["node"]["title"] for edge in connection["edges"]]


async def test_latin1_named_files_are_listed_and_found_by_their_readable_names(
    gql: Gql, media_root: Path
) -> None:
    write_mp3(under(media_root, b"Alb\xfcm", b"caf\xe9 au lait.mp3"), id3_version=None)
    write_mp3(
        under(media_root, b"Alb\xfcm", b"soci\xe9t\xe9.mp3"),
        title="Café Society",
        artist="Old Drive",
        key=2,
    )

    summary = (await gql(SCAN))["data"]["scanLibrary"]

    assert summary == {"added": 2, "skipped": 0, "skippedFiles": []}
    # By title: "cafe society" sorts before "caf\ufffd au lait" ("e" < U+FFFD).
    assert await titles(gql) == ["Café Society", f"caf{REPLACEMENT} au lait"]
    assert await titles(gql, "caf lait") == [f"caf{REPLACEMENT} au lait"]
    assert await titles(gql, "cafe society") == ["Café Society"]
    assert await titles(gql, "caf") == ["Café Society", f"caf{REPLACEMENT} au lait"]


async def test_a_skipped_latin1_file_is_reported_in_readable_form(
    client: httpx.AsyncClient, media_root: Path
) -> None:
    under(media_root, b"Alb\xfcm").mkdir()
    under(media_root, b"Alb\xfcm", b"bad \xe9\n.mp3").write_text("not audio")

    response = await client.post("/graphql", json={"query": SCAN})

    assert response.status_code == 200
    text = response.content.decode("utf-8")  # strict: the body is valid UTF-8
    assert "\\ud" not in text.lower()  # no escaped lone surrogate either
    assert response.json()["data"]["scanLibrary"] == {
        "added": 0,
        "skipped": 1,
        "skippedFiles": [
            {
                "path": f"Alb{REPLACEMENT}m/bad {REPLACEMENT}{REPLACEMENT}.mp3",
                "reason": "unsupported type text/plain",
            }
        ],
    }
