"""Who may upload: User.canUpload, updateUser(canUpload), and whose quota shows."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import mp3_bytes
from tests.uploads.conftest import ORIGIN, results, upload
from tonearm.accounts.users import Role
from tonearm.accounts.viewer import AuthMethod, Viewer
from tonearm.resolvers.uploads import resolve_upload_quota
from tonearm.schema.context import Context
from tonearm.schema.ids import USER_TYPE_NAME, global_id

USERS = "{ users { username canUpload uploadQuota { usedBytes limitBytes } } }"
GRANT = """mutation($id: ID!, $allowed: Boolean!) {
  updateUser(id: $id, input: {canUpload: $allowed}) { __typename ... on User { canUpload } }
}"""


async def as_user(app: FastAPI, user: SignedInUser) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers=user.bearer
    )


async def test_admins_see_every_users_permission_and_quota(
    app: FastAPI, engine: AsyncEngine, uploader: SignedInUser
) -> None:
    admin = await make_user(engine, "boss", Role.ADMIN)
    await make_user(engine, "plain", Role.LISTENER)
    async with await as_user(app, uploader) as client:
        [done] = results(await upload(client, [("a.mp3", data := mp3_bytes(1.0, key=90))]))
    assert done["__typename"] == "UploadedTrack"

    async with await as_user(app, admin) as client:
        users = (await client.post("/graphql", json={"query": USERS})).json()["data"]["users"]

    limit = 21474836480
    assert users == [
        {
            "username": "boss",
            "canUpload": True,
            "uploadQuota": {"usedBytes": 0, "limitBytes": None},
        },
        {
            "username": "plain",
            "canUpload": False,
            "uploadQuota": {"usedBytes": 0, "limitBytes": limit},
        },
        {
            "username": "uploader",
            "canUpload": True,
            "uploadQuota": {"usedBytes": len(data), "limitBytes": limit},
        },
    ]


async def test_an_admin_grants_and_withdraws_the_permission(
    app: FastAPI, engine: AsyncEngine
) -> None:
    admin = await make_user(engine, "boss", Role.ADMIN)
    plain = await make_user(engine, "plain", Role.LISTENER)
    plain_id = global_id(USER_TYPE_NAME, plain.record.id)
    file = [("x.mp3", mp3_bytes(1.0, key=91))]

    async with await as_user(app, plain) as client:
        before = (await upload(client, file)).json()["data"]["uploadTracks"]["__typename"]
        refused = (
            await client.post(
                "/graphql", json={"query": GRANT, "variables": {"id": plain_id, "allowed": True}}
            )
        ).json()
    async with await as_user(app, admin) as client:
        granted = (
            await client.post(
                "/graphql", json={"query": GRANT, "variables": {"id": plain_id, "allowed": True}}
            )
        ).json()["data"]["updateUser"]
    async with await as_user(app, plain) as client:
        after = results(await upload(client, file))[0]["__typename"]
        me = (await client.post("/graphql", json={"query": "{ viewer { canUpload } }"})).json()
    async with await as_user(app, admin) as client:
        withdrawn = (
            await client.post(
                "/graphql", json={"query": GRANT, "variables": {"id": plain_id, "allowed": False}}
            )
        ).json()["data"]["updateUser"]
    async with await as_user(app, plain) as client:
        again = (await upload(client, file)).json()["data"]["uploadTracks"]["__typename"]

    assert before == "UploadNotAllowedError"
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert granted == {"__typename": "User", "canUpload": True}
    assert after == "UploadedTrack"
    assert me == {"data": {"viewer": {"canUpload": True}}}
    assert withdrawn == {"__typename": "User", "canUpload": False}
    assert again == "UploadNotAllowedError"


async def test_a_quota_is_only_shown_to_its_user_and_admins(
    app: FastAPI, engine: AsyncEngine, uploader: SignedInUser
) -> None:
    query = "{ viewer { uploadQuota { usedBytes } } }"
    async with await as_user(app, uploader) as client:
        mine = (await client.post("/graphql", json={"query": query})).json()
    assert mine == {"data": {"viewer": {"uploadQuota": {"usedBytes": 0}}}}

    # Another user's quota is never reachable by a listener: ``users`` is admins only, and
    # the resolver answers null for anyone but the user themselves and admins.
    other = await make_user(engine, "other", Role.LISTENER)
    services = app.state.services
    async with services.sessions() as session:
        context = Context(
            services=services, session=session, viewer=Viewer.of(other.record, AuthMethod.TOKEN)
        )
        info = SimpleNamespace(context=context)
        assert await resolve_upload_quota(info, uploader.record.id, Role.LISTENER) is None  # type: ignore[arg-type]
        assert await resolve_upload_quota(info, other.record.id, Role.LISTENER) is not None  # type: ignore[arg-type]
