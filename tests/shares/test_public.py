"""The public side: sharedItem, createShareStreamUrl, the stream route and covers, for a
browser without an account — and everything such a browser must not reach."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shares.conftest import MINT, REVOKE, SHARED, Library, create_share, post
from tonearm.db.models import AlbumRecord, ShareRecord, TrackRecord, UserRecord
from tonearm.shares import service

PASSWORD = "open sesame"
NOT_FOUND = {"__typename": "ShareNotFound", "message": "This link has expired or was revoked."}


async def _album_share(http: httpx.AsyncClient, library: Library, **extra: Any) -> dict[str, Any]:
    return await create_share(http, library.album_id("Alpha"), **extra)


async def _mint(http: httpx.AsyncClient, key: str, track_id: str) -> dict[str, Any]:
    body = await post(http, MINT, key=key, trackId=track_id)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["createShareStreamUrl"]
    return result


async def _opened(http: httpx.AsyncClient, key: str, password: str | None = None) -> Any:
    body = await post(http, SHARED, key=key, password=password)
    assert "errors" not in body, body
    return body["data"]["sharedItem"]


async def test_a_password_share_asks_first_then_unlocks_with_a_cookie(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library, password=PASSWORD, description="For you")
    key = share["key"]
    assert await _opened(stranger, key) == {
        "__typename": "SharePasswordRequired",
        "message": "This share is protected by a password.",
        "wrongPassword": False,
        "retryAfterSeconds": None,
    }
    wrong = await _opened(stranger, key, "guess")
    assert (wrong["wrongPassword"], wrong["retryAfterSeconds"]) == (True, None)
    response = await stranger.post(
        "/graphql", json={"query": SHARED, "variables": {"key": key, "password": PASSWORD}}
    )
    item = response.json()["data"]["sharedItem"]
    assert item["__typename"] == "SharedItem"
    assert item["description"] == "For you"
    album = item["target"]
    assert (album["__typename"], album["title"], album["artistCredit"]) == (
        "SharedAlbum",
        "Alpha",
        "A",
    )
    assert [t["title"] for t in album["tracks"]] == ["One", "Two"]
    assert album["tracks"][0]["id"] == library.track_id("One")
    cookie = response.headers["set-cookie"]
    name = cookie.split("=", 1)[0]
    assert name.startswith("tonearm_share_")
    assert len(name) == len("tonearm_share_") + 32
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    assert "Max-Age=14400" in cookie
    # The cookie alone opens it from now on.
    assert (await _opened(stranger, key))["__typename"] == "SharedItem"


async def test_play_and_seek_through_the_share(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library, password=PASSWORD)
    assert (await _mint(stranger, share["key"], library.track_id("One")))[
        "__typename"
    ] == "SharePasswordRequired"
    await _opened(stranger, share["key"], PASSWORD)
    minted = await _mint(stranger, share["key"], library.track_id("One"))
    assert (minted["__typename"], minted["format"], minted["mimeType"]) == (
        "StreamUrl",
        "MP3",
        "audio/mpeg",
    )
    whole = await stranger.get(minted["url"])
    assert whole.status_code == 200
    assert whole.content == library.files["One"]
    seek = await stranger.get(minted["url"], headers={"Range": "bytes=100-199"})
    assert seek.status_code == 206
    assert seek.content == library.files["One"][100:200]
    listed = await post(
        owner_http, "{ shares { edges { node { visitCount playCount lastVisitedAt } } } }"
    )
    node = listed["data"]["shares"]["edges"][0]["node"]
    assert (node["visitCount"], node["playCount"]) == (1, 1)
    assert node["lastVisitedAt"] is not None


async def test_unknown_revoked_expired_malformed_and_disabled_all_answer_the_same(
    owner_http: httpx.AsyncClient,
    library: Library,
    stranger: httpx.AsyncClient,
    engine: AsyncEngine,
) -> None:
    revoked = await _album_share(owner_http, library)
    await post(owner_http, REVOKE, id=revoked["id"])
    expired = await _album_share(owner_http, library)
    async with engine.begin() as connection:
        await connection.execute(
            update(ShareRecord)
            .where(ShareRecord.key == expired["key"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    unknown = "A" * 32
    keys = [revoked["key"], expired["key"], unknown, "short", "x" * 10_240, "A" * 33, "é" * 32]
    answers = set()
    for key in keys:
        for query, variables in (
            (SHARED, {"key": key}),
            (MINT, {"key": key, "trackId": library.track_id("One")}),
        ):
            response = await stranger.post(
                "/graphql", json={"query": query, "variables": variables}
            )
            assert response.status_code == 200
            (answer,) = response.json()["data"].values()
            assert answer == NOT_FOUND, key
            answers.add(response.content)
    assert len(answers) == 2  # one body per field, byte for byte, whatever the key

    live = await _album_share(owner_http, library)
    assert (await _opened(stranger, live["key"]))["__typename"] == "SharedItem"
    async with engine.begin() as connection:
        await connection.execute(
            update(UserRecord).where(UserRecord.username == "owner").values(is_active=False)
        )
    assert await _opened(stranger, live["key"]) == NOT_FOUND


async def test_a_trashed_target_answers_not_found_and_stops_its_streams(
    owner_http: httpx.AsyncClient,
    library: Library,
    stranger: httpx.AsyncClient,
    engine: AsyncEngine,
) -> None:
    track_share = await create_share(owner_http, library.track_id("Two"))
    album_share = await _album_share(owner_http, library)
    minted = await _mint(stranger, track_share["key"], library.track_id("Two"))
    via_album = await _mint(stranger, album_share["key"], library.track_id("One"))
    assert (await stranger.get(minted["url"])).status_code == 200
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == library.tracks["Two"])
            .values(state="trashed")
        )
    assert await _opened(stranger, track_share["key"]) == NOT_FOUND
    refused = await stranger.get(minted["url"])
    assert (refused.status_code, refused.json()) == (404, {"error": "not_found"})
    # The album lives on with its other track; the trashed one is not in it any more.
    album = (await _opened(stranger, album_share["key"]))["target"]
    assert [t["title"] for t in album["tracks"]] == ["One"]
    assert (await stranger.get(via_album["url"])).status_code == 200
    assert (await _mint(stranger, album_share["key"], library.track_id("Two")))[
        "__typename"
    ] == "TrackNotFoundError"
    async with engine.begin() as connection:
        await connection.execute(
            update(AlbumRecord)
            .where(AlbumRecord.id == library.albums["Alpha"])
            .values(is_available=False)
        )
    assert await _opened(stranger, album_share["key"]) == NOT_FOUND
    assert (await stranger.get(via_album["url"])).status_code == 404


async def test_a_revoked_share_refuses_the_next_stream_request(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library)
    minted = await _mint(stranger, share["key"], library.track_id("One"))
    assert (await stranger.get(minted["url"], headers={"Range": "bytes=0-9"})).status_code == 206
    await post(owner_http, REVOKE, id=share["id"])
    refused = await stranger.get(minted["url"], headers={"Range": "bytes=10-19"})
    assert (refused.status_code, refused.json()) == (404, {"error": "not_found"})
    assert refused.headers["cache-control"] == "no-store"
    assert await _mint(stranger, share["key"], library.track_id("One")) == NOT_FOUND


async def test_the_grant_memo_keeps_a_yes_at_most_five_seconds(
    owner_http: httpx.AsyncClient,
    library: Library,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tonearm.shares import access

    share = await _album_share(owner_http, library)
    async with engine.connect() as connection:
        share_id = (
            await connection.execute(select(ShareRecord.id).where(ShareRecord.key == share["key"]))
        ).scalar_one()
    now = [1000.0]
    monkeypatch.setattr(access, "GRANT_TTL", 5.0)
    cache = access.ShareGrantCache(engine, ttl=60.0, clock=lambda: now[0])  # capped at 5 s
    assert await cache.track(share_id, library.tracks["One"]) is not None
    await post(owner_http, REVOKE, id=share["id"])
    now[0] += 4.9
    assert await cache.track(share_id, library.tracks["One"]) is not None  # remembered
    now[0] += 0.2
    assert await cache.track(share_id, library.tracks["One"]) is None


async def test_a_share_never_opens_another_track_or_another_cover(
    owner_http: httpx.AsyncClient,
    library: Library,
    stranger: httpx.AsyncClient,
) -> None:
    share = await _album_share(owner_http, library)
    assert await _mint(stranger, share["key"], library.track_id("Other")) == {
        "__typename": "TrackNotFoundError",
        "message": "This share has no such track.",
        "trackId": library.track_id("Other"),
    }
    assert (await _mint(stranger, share["key"], "garbage"))["__typename"] == "TrackNotFoundError"
    minted = await _mint(stranger, share["key"], library.track_id("One"))
    # The token of One on Other's stream path: refused before anything is looked up.
    other_path = minted["url"].replace(str(library.tracks["One"]), str(library.tracks["Other"]))
    wrong = await stranger.get(other_path)
    assert (wrong.status_code, wrong.json()) == (403, {"error": "invalid_token"})

    album = (await _opened(stranger, share["key"]))["target"]
    cover_url = album["coverUrl"]
    assert cover_url.startswith(f"/api/art/{library.album_covers['Alpha']}/300?share=")
    cover = await stranger.get(cover_url)
    assert cover.status_code == 200
    assert cover.headers["content-type"] == "image/jpeg"
    assert cover.headers["cache-control"] == "private, max-age=3600"
    assert album["tracks"][0]["coverUrl"].split("?")[0].endswith("/300")
    token = cover_url.split("share=", 1)[1]
    other_cover = f"/api/art/{library.album_covers['Beta']}/300?share={token}"
    assert (await stranger.get(other_cover)).status_code == 401
    assert (await stranger.get(cover_url.split("?")[0])).status_code == 401
    assert (await stranger.get(cover_url + "x")).status_code == 401
    await post(owner_http, REVOKE, id=share["id"])
    assert (await stranger.get(cover_url)).status_code == 401


ELSEWHERE = [
    "{ tracks { edges { node { id } } } }",
    "{ albums { edges { node { id } } } }",
    "{ playlists { edges { node { id } } } }",
    "{ shares { totalCount } }",
    "{ library { trackCount } }",
    "mutation($id: ID!) { createStreamUrl(trackId: $id) { __typename } }",
    "mutation($id: ID!) { createShare(input: {targetId: $id}) { __typename } }",
    "mutation($id: ID!) { setLiked(id: $id, liked: true) { __typename } }",
]


async def test_an_unlocked_browser_reaches_nothing_else_of_the_library(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library, password=PASSWORD)
    await _opened(stranger, share["key"], PASSWORD)
    track_id = library.track_id("One")
    for query in ELSEWHERE:
        variables = {"id": track_id} if "$id" in query else None
        response = await stranger.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        assert codes, (query, body)
        assert set(codes) == {"UNAUTHENTICATED"}, (query, body)
        assert not any((body.get("data") or {}).values()), body
    node = await stranger.post("/graphql", json={"query": f'{{ node(id: "{track_id}") {{ id }} }}'})
    assert node.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_passwords_are_limited_per_share_and_a_10_kb_one_is_never_hashed(
    owner_http: httpx.AsyncClient,
    library: Library,
    new_browser: Callable[[], httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    share = await _album_share(owner_http, library, password=PASSWORD)
    checked: list[int] = []
    real_verify = service.verify_password

    def counting(stored: str | None, password: str) -> bool:
        checked.append(len(password))
        return real_verify(stored, password)

    monkeypatch.setattr(service, "verify_password", counting)
    async with new_browser() as browser:
        huge = await _opened(browser, share["key"], "p" * 10_240)
        assert (huge["__typename"], huge["wrongPassword"]) == ("SharePasswordRequired", True)
        assert checked == []
        for _ in range(9):
            assert (await _opened(browser, share["key"], "nope"))["wrongPassword"] is True
        limited = await _opened(browser, share["key"], PASSWORD)
        assert limited["__typename"] == "SharePasswordRequired"
        assert limited["retryAfterSeconds"] >= 1
        assert limited["message"].startswith("Too many wrong passwords.")
    assert len(checked) == 9


async def test_max_plays_refuses_new_urls_but_minted_ones_keep_working(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library, maxPlays=2)
    first = await _mint(stranger, share["key"], library.track_id("One"))
    second = await _mint(stranger, share["key"], library.track_id("Two"))
    assert second["__typename"] == "StreamUrl"
    assert await _mint(stranger, share["key"], library.track_id("One")) == {
        "__typename": "SharePlaysExhausted",
        "message": "This share's plays are used up.",
    }
    assert (await stranger.get(first["url"])).status_code == 200


async def test_concurrent_mints_never_exceed_max_plays(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library, maxPlays=3)
    results = await asyncio.gather(
        *(_mint(stranger, share["key"], library.track_id("One")) for _ in range(8))
    )
    kinds = [r["__typename"] for r in results]
    assert kinds.count("StreamUrl") == 3
    assert kinds.count("SharePlaysExhausted") == 5


async def test_racing_revoke_and_play(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    share = await _album_share(owner_http, library)
    mints = [_mint(stranger, share["key"], library.track_id("One")) for _ in range(6)]
    results = await asyncio.gather(post(owner_http, REVOKE, id=share["id"]), *mints)
    assert results[0]["data"]["revokeShare"]["isRevoked"] is True
    for result in results[1:]:
        assert result["__typename"] in {"StreamUrl", "ShareNotFound"}
        if result["__typename"] == "StreamUrl":  # minted before the revoke: refused now
            assert (await stranger.get(result["url"])).status_code == 404
    assert await _mint(stranger, share["key"], library.track_id("One")) == NOT_FOUND


async def test_a_forced_quality_mints_that_variant_and_only_that_one_streams(
    owner_http: httpx.AsyncClient,
    library: Library,
    stranger: httpx.AsyncClient,
    app: Any,
    engine: AsyncEngine,
) -> None:
    share = await _album_share(owner_http, library, quality="OPUS_96")
    assert share["quality"] == "OPUS_96"
    minted = await _mint(stranger, share["key"], library.track_id("One"))
    assert (minted["format"], minted["bitrateKbps"], minted["mimeType"]) == (
        "OPUS",
        96,
        "audio/ogg",
    )
    async with engine.connect() as connection:
        share_id = (
            await connection.execute(select(ShareRecord.id).where(ShareRecord.key == share["key"]))
        ).scalar_one()
    # A token of the same share for the original file is refused like a missing track.
    signer = app.state.services.signer
    original = signer.mint(library.tracks["One"], share_id=share_id)
    from tonearm.streaming.urls import stream_url

    refused = await stranger.get(stream_url(library.tracks["One"], original.token))
    assert (refused.status_code, refused.json()) == (404, {"error": "not_found"})


async def test_a_shared_playlist_grants_its_items_only(
    owner_http: httpx.AsyncClient, library: Library, stranger: httpx.AsyncClient
) -> None:
    created = await post(
        owner_http,
        'mutation { createPlaylist(input: {name: "Mix"}) { ... on Playlist { id } } }',
    )
    playlist_id = created["data"]["createPlaylist"]["id"]
    added = await post(
        owner_http,
        "mutation($p: ID!, $t: [ID!]!) { addToPlaylist(playlistId: $p, trackIds: $t) "
        "{ __typename } }",
        p=playlist_id,
        t=[library.track_id("Other"), library.track_id("One")],
    )
    assert "errors" not in added, added
    share = await create_share(owner_http, playlist_id)
    shown = (await _opened(stranger, share["key"]))["target"]
    assert shown["__typename"] == "SharedPlaylist"
    assert (shown["name"], [t["title"] for t in shown["tracks"]]) == ("Mix", ["Other", "One"])
    assert (await _mint(stranger, share["key"], library.track_id("One")))[
        "__typename"
    ] == "StreamUrl"
    assert (await _mint(stranger, share["key"], library.track_id("Two")))[
        "__typename"
    ] == "TrackNotFoundError"


async def test_a_signed_in_listener_opens_a_share_too(
    owner_http: httpx.AsyncClient, library: Library, client: httpx.AsyncClient
) -> None:
    share = await create_share(owner_http, library.track_id("One"))
    item = await _opened(client, share["key"])
    assert item["target"]["__typename"] == "SharedTrack"
    assert item["target"]["id"] == library.track_id("One")
