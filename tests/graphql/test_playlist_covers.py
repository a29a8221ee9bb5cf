"""A playlist's cover follows its changes over GraphQL: a mosaic of four albums' covers,
a single cover for fewer, a smart playlist's from the tracks its rules give."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.artwork.images import solid
from tests.graphql.conftest import Gql
from tests.playlists.test_covers import album_covers, write_albums
from tonearm.artwork.mosaic import make_mosaic
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import ScanOptions, scan_library
from tonearm.schema.ids import track_global_id
from tonearm.settings import Settings

CREATE = """mutation { createPlaylist(input: {name: "Colours"}) {
  ... on Playlist { id coverArt { url } } } }"""
ADD = """mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) {
  __typename ... on Playlist { coverArt { url(size: 64) }
    items(first: 100) { edges { node { id track { album { title } } } } } } } }"""
REMOVE = """mutation($p: ID!, $i: [ID!]!) { removeFromPlaylist(playlistId: $p, itemIds: $i) {
  __typename ... on Playlist { coverArt { url(size: 64) } } } }"""
SMART = """mutation { createSmartPlaylist(input: {name: "Reds", rules: {
  rules: [{field: "album", operator: "is", value: "Red"}]}}) {
  __typename ... on Playlist { coverArt { url(size: 64) } } } }"""


LIST = "query { playlists { edges { node { name coverArt { url(size: 64) } } } } }"


def _hash_of(cover: dict[str, Any] | None) -> str | None:
    return None if cover is None else str(cover["url"]).split("/")[3]


async def _tracks_by_album(engine: AsyncEngine) -> dict[str, list[str]]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(select(TrackRecord.album, TrackRecord.id, TrackRecord.path))
    found: dict[str, list[str]] = {}
    for album, track_id, _path in sorted(rows, key=lambda row: str(row[2])):
        found.setdefault(str(album), []).append(track_global_id(track_id))
    return found


async def test_the_cover_follows_the_first_albums_of_the_playlist(
    gql: Gql, engine: AsyncEngine, settings: Settings, media_root: Path
) -> None:
    store = ArtworkStore.in_data_dir(settings.data_dir)
    write_albums(media_root)
    await scan_library(engine, media_root, options=ScanOptions(artwork_store=store))
    covers = await album_covers(engine)
    tracks = await _tracks_by_album(engine)

    created = (await gql(CREATE))["data"]["createPlaylist"]
    assert created["coverArt"] is None
    playlist = created["id"]
    order = ["Blue", "Red", "Yellow", "Green"]
    added = (await gql(ADD, {"p": playlist, "t": [tracks[name][0] for name in order]}))["data"]
    mosaic = make_mosaic([covers[name] for name in order], store)
    assert isinstance(mosaic, Artwork)
    assert _hash_of(added["addToPlaylist"]["coverArt"]) == mosaic.hash
    assert mosaic.hash not in covers.values()

    items = [edge["node"]["id"] for edge in added["addToPlaylist"]["items"]["edges"]]
    removed = (await gql(REMOVE, {"p": playlist, "i": items[1:]}))["data"]["removeFromPlaylist"]
    assert _hash_of(removed["coverArt"]) == covers["Blue"]

    smart = (await gql(SMART))["data"]["createSmartPlaylist"]
    assert smart["__typename"] == "Playlist"
    assert _hash_of(smart["coverArt"]) == covers["Red"]

    # A rescan that finds new album covers brings users' playlists in step too.
    for album, color in (("Blue", (250, 250, 250)), ("Red", (10, 10, 10))):
        cover = media_root / album / "cover.jpg"
        cover.write_bytes(solid("RGB", (700, 700), color, "JPEG"))
        os.utime(cover, (1_900_000_000, 1_900_000_000))
    await scan_library(engine, media_root, options=ScanOptions(artwork_store=store))
    new_covers = await album_covers(engine)
    assert new_covers["Blue"] != covers["Blue"]
    listed = (await gql(LIST))["data"]["playlists"]["edges"]
    shown = {edge["node"]["name"]: _hash_of(edge["node"]["coverArt"]) for edge in listed}
    assert shown == {"Colours": new_covers["Blue"], "Reds": new_covers["Red"]}
