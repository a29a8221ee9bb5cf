"""createShare, revokeShare and shares: the owner's side, its validation and who sees what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.shares.conftest import REVOKE, Library, create_share, post
from tests.support.accounts import SignedInUser
from tonearm.db.models import TrackRecord
from tonearm.schema.ids import global_id
from tonearm.shares.keys import KEY_LENGTH

LIST = """{ shares(first: 10) { totalCount edges { node { id key isRevoked } } } }"""


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_share_of_an_album_has_a_192_bit_key_a_path_and_a_default_week(
    owner_http: httpx.AsyncClient, library: Library
) -> None:
    before = datetime.now(UTC)
    share = await create_share(owner_http, library.album_id("Alpha"), password="open sesame")
    assert share["__typename"] == "Share"
    assert len(share["key"]) == KEY_LENGTH
    assert share["url"] == f"/s/{share['key']}"
    assert share["hasPassword"] is True
    assert share["allowDownload"] is False
    assert share["quality"] == "ORIGINAL"
    assert (share["visitCount"], share["playCount"], share["isRevoked"]) == (0, 0, False)
    assert share["target"] == {"__typename": "Album", "title": "Alpha"}
    expires = datetime.fromisoformat(share["expiresAt"])
    assert (
        timedelta(days=7) - timedelta(seconds=5) < expires - before < timedelta(days=7, seconds=5)
    )


async def test_the_url_is_absolute_when_the_request_names_its_origin(
    owner_http: httpx.AsyncClient, library: Library
) -> None:
    response = await owner_http.post(
        "/graphql",
        json={
            "query": "mutation($t: ID!) { createShare(input: {targetId: $t}) "
            "{ ... on Share { key url } } }",
            "variables": {"t": library.track_id("One")},
        },
        headers={"Origin": "http://tonearm.test"},
    )
    share = response.json()["data"]["createShare"]
    assert share["url"] == f"http://tonearm.test/s/{share['key']}"


async def test_expiry_beyond_the_maximum_or_in_the_past_is_refused(
    owner_http: httpx.AsyncClient, library: Library
) -> None:
    now = datetime.now(UTC)
    too_far = await create_share(
        owner_http, library.track_id("One"), expiresAt=_iso(now + timedelta(days=91))
    )
    assert too_far == {
        "__typename": "InvalidShareInputError",
        "message": "A share may last at most 90 days.",
        "field": "expiresAt",
    }
    past = await create_share(
        owner_http, library.track_id("One"), expiresAt=_iso(now - timedelta(minutes=1))
    )
    assert past["field"] == "expiresAt"
    fine = await create_share(
        owner_http, library.track_id("One"), expiresAt=_iso(now + timedelta(days=90, minutes=-1))
    )
    assert fine["__typename"] == "Share"


async def test_bad_inputs_get_typed_errors(owner_http: httpx.AsyncClient, library: Library) -> None:
    target = library.track_id("One")
    cases = {
        "password": {"password": "x" * 10_240},
        "maxPlays": {"maxPlays": 0},
        "description": {"description": "d" * 501},
    }
    for field, extra in cases.items():
        result = await create_share(owner_http, target, **extra)
        assert (result["__typename"], result["field"]) == ("InvalidShareInputError", field)
    empty = await create_share(owner_http, target, password="")
    assert empty["field"] == "password"


async def test_a_target_you_cannot_see_or_that_is_trashed_is_not_found(
    owner_http: httpx.AsyncClient, library: Library, engine: AsyncEngine
) -> None:
    unknown = global_id("Album", uuid.uuid4())
    for bad in ("not-an-id", global_id("User", library.tracks["One"]), unknown):
        result = await create_share(owner_http, bad)
        assert result["__typename"] == "ShareTargetNotFoundError"
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == library.tracks["Two"])
            .values(state="trashed")
        )
    trashed = await create_share(owner_http, library.track_id("Two"))
    assert trashed == {
        "__typename": "ShareTargetNotFoundError",
        "message": "No track, album or playlist you can see has this ID.",
        "targetId": library.track_id("Two"),
    }


async def test_shares_lists_your_own_newest_first_and_admins_see_all(
    owner_http: httpx.AsyncClient,
    library: Library,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
) -> None:
    first = await create_share(owner_http, library.track_id("One"))
    second = await create_share(owner_http, library.album_id("Beta"))
    mine = (await post(owner_http, LIST))["data"]["shares"]
    assert mine["totalCount"] == 2
    assert [e["node"]["key"] for e in mine["edges"]] == [second["key"], first["key"]]
    admin_view = (await post(client, LIST))["data"]["shares"]
    assert admin_view["totalCount"] == 2
    own_admin = await create_share(client, library.track_id("Two"))
    assert (await post(owner_http, LIST))["data"]["shares"]["totalCount"] == 2
    assert (await post(client, LIST))["data"]["shares"]["totalCount"] == 3
    assert own_admin["__typename"] == "Share"
    # A share whose target went to the trash is left out of the list.
    async with engine.begin() as connection:
        await connection.execute(
            update(TrackRecord)
            .where(TrackRecord.id == library.tracks["One"])
            .values(state="trashed")
        )
    mine = (await post(owner_http, LIST))["data"]["shares"]
    assert [e["node"]["key"] for e in mine["edges"]] == [second["key"]]


async def test_only_the_owner_or_an_admin_revokes(
    owner_http: httpx.AsyncClient,
    library: Library,
    client: httpx.AsyncClient,
    app: object,
    engine: AsyncEngine,
) -> None:
    from tests.support.accounts import make_user

    share = await create_share(owner_http, library.track_id("One"))
    other: SignedInUser = await make_user(engine, "other")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=other.bearer
    ) as other_http:
        refused = await post(other_http, REVOKE, id=share["id"])
        assert refused["data"]["revokeShare"] == {
            "__typename": "ShareNotFound",
            "message": "You have no share with this ID.",
        }
        assert (await post(other_http, LIST))["data"]["shares"]["totalCount"] == 0
    revoked = await post(owner_http, REVOKE, id=share["id"])
    assert revoked["data"]["revokeShare"] == {
        "__typename": "Share",
        "id": share["id"],
        "isRevoked": True,
    }
    again = await post(client, REVOKE, id=share["id"])  # an admin; idempotent
    assert again["data"]["revokeShare"]["isRevoked"] is True
    malformed = await post(owner_http, REVOKE, id="nope")
    assert malformed["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_smart_playlists_cannot_be_shared_and_static_ones_can(
    owner_http: httpx.AsyncClient, library: Library
) -> None:
    created = await post(
        owner_http,
        'mutation { createPlaylist(input: {name: "Mix"}) { ... on Playlist { id } } }',
    )
    playlist_id = created["data"]["createPlaylist"]["id"]
    share = await create_share(owner_http, playlist_id)
    assert share["target"] == {"__typename": "Playlist", "name": "Mix"}
