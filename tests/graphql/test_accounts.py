"""Accounts over GraphQL: sign-in, sessions, CSRF, rate limits, roles, API tokens."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import error_codes
from tests.support.accounts import PASSWORD, SignedInUser, make_user, password_hash
from tonearm.app import create_app
from tonearm.db.models import SessionRecord, UserRecord
from tonearm.logging_setup import LIBRARY_LOG_LEVELS
from tonearm.schema.ids import USER_TYPE_NAME, global_id
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner

ORIGIN = "http://tonearm.test"
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on User { id username role } ... on LoginFailed { message }
  ... on LoginRateLimited { message retryAfterSeconds } } }"""
LIBRARY = "{ library { trackCount } }"
NEW_PASSWORD = "my-very-own-password"


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "Listener")


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def login(
    client: httpx.AsyncClient,
    username: str = "listener",
    password: str = PASSWORD,
    origin: str | None = ORIGIN,
) -> httpx.Response:
    headers = {"origin": origin} if origin else {}
    return await post(client, LOGIN, {"u": username, "p": password}, **headers)


@pytest.mark.parametrize(
    "query",
    [
        LIBRARY,
        "{ tracks(first: 1) { totalCount } }",
        '{ node(id: "VHJhY2s6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw") { id } }',
        "{ apiTokens { id } }",
    ],
)
async def test_anonymous_queries_are_told_to_sign_in(
    anonymous: httpx.AsyncClient, query: str
) -> None:
    body = (await post(anonymous, query)).json()

    assert body["data"] in (None, {"node": None})  # null bubbles up to the nullable field
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Sign in first: this needs a logged-in user."


async def test_anonymous_viewer_is_null_and_auth_mode_is_required(
    anonymous: httpx.AsyncClient,
) -> None:
    body = (await post(anonymous, "{ viewer { id } authMode }")).json()

    assert body == {"data": {"viewer": None, "authMode": "REQUIRED"}}


async def test_login_sets_a_safe_session_cookie_that_then_authenticates(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    response = await login(anonymous, "LISTENER")

    assert response.json()["data"]["login"] == {
        "__typename": "User",
        "id": response.json()["data"]["login"]["id"],
        "username": "Listener",
        "role": "LISTENER",
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tonearm_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=2592000" in cookie
    assert "Secure" not in cookie
    body = (await post(anonymous, "{ viewer { username } library { trackCount } }")).json()
    assert body == {"data": {"viewer": {"username": "Listener"}, "library": {"trackCount": 0}}}


async def test_over_https_the_cookie_is_secure(app: FastAPI, listener: SignedInUser) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://tonearm.test"
    ) as client:
        response = await login(client, origin="https://tonearm.test")

    assert "; Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("username", "password"), [("listener", "wrong password!"), ("nobody", PASSWORD), ("", "")]
)
async def test_failed_logins_say_the_same_thing_and_set_no_cookie(
    anonymous: httpx.AsyncClient, listener: SignedInUser, username: str, password: str
) -> None:
    response = await login(anonymous, username, password)

    assert response.json() == {
        "data": {"login": {"__typename": "LoginFailed", "message": "Wrong username or password."}}
    }
    assert "set-cookie" not in response.headers


async def test_a_disabled_user_cannot_log_in_and_their_session_ends(
    anonymous: httpx.AsyncClient, listener: SignedInUser, engine: AsyncEngine
) -> None:
    await login(anonymous)
    async with engine.begin() as connection:
        await connection.execute(update(UserRecord).values(is_active=False))

    assert error_codes((await post(anonymous, LIBRARY)).json()) == ["UNAUTHENTICATED"]
    assert (await login(anonymous)).json()["data"]["login"]["__typename"] == "LoginFailed"


async def test_successful_logins_are_not_counted(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    for _ in range(12):
        result = (await login(anonymous)).json()["data"]["login"]

    assert result["__typename"] == "User"


async def test_logins_are_rate_limited_per_username(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    started = time.monotonic()
    for _ in range(10):
        await login(anonymous, password="wrong password!")

    result = (await login(anonymous)).json()["data"]["login"]

    # The first failure leaves the window a minute after it happened (argon2 makes the ten
    # failures take seconds on a busy machine).
    elapsed = time.monotonic() - started
    assert result["__typename"] == "LoginRateLimited"
    assert 60 - elapsed - 1 <= result["retryAfterSeconds"] <= 60
    assert result["message"] == (
        f"Too many sign-in attempts. Try again in {result['retryAfterSeconds']} seconds."
    )


async def test_logins_are_rate_limited_per_client_address(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    for number in range(10):
        await login(anonymous, f"user{number}", "wrong password!")

    result = (await login(anonymous)).json()["data"]["login"]

    assert result["__typename"] == "LoginRateLimited"


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null"])
async def test_login_from_another_origin_is_refused(
    anonymous: httpx.AsyncClient, listener: SignedInUser, origin: str | None
) -> None:
    response = await login(anonymous, origin=origin)

    # Refused before execution, like a request error: no "data" key at all.
    assert response.json() == {
        "errors": [
            {
                "message": "Cross-site request refused: send mutations as JSON POST from an "
                "allowed origin.",
                "extensions": {"code": "CSRF_REJECTED"},
            }
        ],
    }
    assert "set-cookie" not in response.headers


async def test_cookie_mutations_need_a_matching_origin(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)
    mutation = 'mutation { createApiToken(name: "x") { apiToken { name } } }'

    refused = (await post(anonymous, mutation, origin="http://evil.example")).json()
    missing = (await post(anonymous, mutation)).json()
    allowed = (await post(anonymous, mutation, origin=ORIGIN)).json()

    assert error_codes(refused) == error_codes(missing) == ["CSRF_REJECTED"]
    assert allowed == {"data": {"createApiToken": {"apiToken": {"name": "x"}}}}


async def test_cookie_mutations_as_a_form_post_are_refused(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)

    response = await anonymous.post(
        "/graphql",
        content="query=mutation{logout}",
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "origin": "http://evil.example",
        },
    )

    assert response.status_code == 415


async def test_cookie_queries_need_no_origin(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)

    assert (await post(anonymous, LIBRARY)).json() == {"data": {"library": {"trackCount": 0}}}


async def test_bearer_mutations_need_no_origin(
    anonymous: httpx.AsyncClient, listener: SignedInUser, media_root: Path
) -> None:
    body = (
        await post(
            anonymous,
            'mutation { createApiToken(name: "ci") { token } }',
            authorization=f"Bearer {listener.token}",
        )
    ).json()

    assert body["data"]["createApiToken"]["token"].startswith("tnrm_")


async def test_logout_ends_the_session_and_clears_the_cookie(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)
    cookie = anonymous.cookies["tonearm_session"]

    response = await post(anonymous, "mutation { logout }", origin=ORIGIN)

    assert response.json() == {"data": {"logout": True}}
    assert 'tonearm_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    anonymous.cookies.set("tonearm_session", cookie)
    assert error_codes((await post(anonymous, LIBRARY)).json()) == ["UNAUTHENTICATED"]


async def test_listeners_may_not_scan(anonymous: httpx.AsyncClient, listener: SignedInUser) -> None:
    body = (
        await post(
            anonymous,
            "mutation { scanLibrary { added } }",
            authorization=f"Bearer {listener.token}",
        )
    ).json()

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == "Only administrators may do this."


async def test_anonymous_scan_is_told_to_sign_in(anonymous: httpx.AsyncClient) -> None:
    body = (await post(anonymous, "mutation { scanLibrary { added } }", origin=ORIGIN)).json()

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_api_tokens_are_listed_without_secrets_and_can_be_revoked(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    auth = {"authorization": f"Bearer {listener.token}"}
    created = (
        await post(
            anonymous,
            'mutation { createApiToken(name: "phone") { token apiToken { id name lastUsedAt } } }',
            **auth,
        )
    ).json()
    secret = created["data"]["createApiToken"]["token"]
    token_id = created["data"]["createApiToken"]["apiToken"]["id"]

    listed = (await post(anonymous, "{ apiTokens { id name } }", **auth)).json()
    revoked = (
        await post(
            anonymous, "mutation($id: ID!) { revokeApiToken(id: $id) }", {"id": token_id}, **auth
        )
    ).json()
    again = (
        await post(
            anonymous, "mutation($id: ID!) { revokeApiToken(id: $id) }", {"id": token_id}, **auth
        )
    ).json()
    with_revoked = (await post(anonymous, LIBRARY, authorization=f"Bearer {secret}")).json()

    assert {"id": token_id, "name": "phone"} in listed["data"]["apiTokens"]
    assert secret not in str(listed)
    assert revoked == {"data": {"revokeApiToken": True}}
    assert again == {"data": {"revokeApiToken": False}}
    assert error_codes(with_revoked) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "header", ["Bearer tnrm_not-a-real-token", "Bearer", "Basic dXNlcjpwYXNz", "tnrm_no-scheme"]
)
async def test_malformed_or_unknown_bearer_tokens_authenticate_nobody(
    anonymous: httpx.AsyncClient, listener: SignedInUser, header: str
) -> None:
    anonymous.cookies.set("tonearm_session", listener.cookie)  # ignored: the header wins

    body = (await post(anonymous, LIBRARY, authorization=header)).json()

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_stream_urls_are_bound_to_the_viewer(
    anonymous: httpx.AsyncClient,
    listener: SignedInUser,
    settings: Settings,
    engine: AsyncEngine,
) -> None:
    from tests.graphql.seed import insert_rows, library_rows

    await insert_rows(engine, library_rows(1))
    track = (
        await post(
            anonymous,
            "{ tracks(first: 1) { edges { node { id } } } }",
            authorization=f"Bearer {listener.token}",
        )
    ).json()
    track_id = track["data"]["tracks"]["edges"][0]["node"]["id"]
    minted = (
        await post(
            anonymous,
            "mutation($id: ID!) { createStreamUrl(trackId: $id) { ... on StreamUrl { url } } }",
            {"id": track_id},
            authorization=f"Bearer {listener.token}",
        )
    ).json()

    url = minted["data"]["createStreamUrl"]["url"]
    raw_id = uuid.UUID(url.split("/")[3])
    token = url.split("token=")[1]
    grant = StreamSigner(settings.signing_keys(), 60).verify(token, raw_id)
    assert grant.user_id == listener.record.id


async def test_secrets_never_reach_logs_or_responses(
    anonymous: httpx.AsyncClient,
    listener: SignedInUser,
    admin: SignedInUser,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, level in LIBRARY_LOG_LEVELS.items():  # as ``tonearm serve`` configures them
        caplog.set_level(level, logger=name)
    as_admin = {"authorization": f"Bearer {admin.token}"}
    created = (
        await post(
            anonymous,
            'mutation { createUser(input: {username: "carol"}) '
            "{ ... on CreatedUser { oneTimePassword } } }",
            **as_admin,
        )
    ).json()["data"]["createUser"]["oneTimePassword"]
    reset = (
        await post(
            anonymous,
            "mutation($id: ID!) { resetUserPassword(id: $id) "
            "{ ... on PasswordReset { oneTimePassword } } }",
            {"id": global_id(USER_TYPE_NAME, listener.record.id)},
            **as_admin,
        )
    ).json()["data"]["resetUserPassword"]["oneTimePassword"]
    change = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c,
      newPassword: $n) { __typename } }"""
    bodies = [
        (await login(anonymous, password="wrong password!")).text,
        (await login(anonymous, "listener", reset)).text,
        (await post(anonymous, "{ viewer { id username role createdAt lastLoginAt } }")).text,
        (await post(anonymous, change, {"c": "guessing!", "n": "x" * 9}, origin=ORIGIN)).text,
        (await post(anonymous, change, {"c": reset, "n": NEW_PASSWORD}, origin=ORIGIN)).text,
        (await login(anonymous, "carol", created)).text,
        (await post(anonymous, change, {"c": created, "n": "carols-own-pw"}, origin=ORIGIN)).text,
        (
            await post(
                anonymous, "{ apiTokens { id name } }", authorization=f"Bearer {listener.token}"
            )
        ).text,
        (await post(anonymous, "{ users { id username } sessions { id } }", **as_admin)).text,
    ]
    async with engine.connect() as connection:
        stored_hashes = (await connection.scalars(select(UserRecord.password_hash))).all()
        session_hashes = (await connection.scalars(select(SessionRecord.secret_hash))).all()
    cookie = anonymous.cookies["tonearm_session"]

    assert '"__typename":"User"' in bodies[4]  # the listener chose a password
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (
        PASSWORD,
        "wrong password!",
        "guessing!",
        NEW_PASSWORD,
        "carols-own-pw",
        *stored_hashes,
        *session_hashes,
        password_hash(),
        cookie,
        listener.token,
        listener.cookie,
        admin.token,
    ):
        assert secret
        assert secret not in logged
        assert all(secret not in body for body in bodies)
    for one_time in (created, reset):  # in the one response that hands it out, nowhere else
        assert one_time not in logged
        assert all(one_time not in body for body in bodies)


@pytest.fixture
async def open_client(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        make_settings(database_url=database_url_for_test, media_root=media_root, auth="none")
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://tonearm.test"
    ) as client:
        yield client
    await app.state.services.engine.dispose()


async def test_without_accounts_everyone_is_the_local_admin(
    open_client: httpx.AsyncClient,
) -> None:
    body = (
        await post(open_client, "{ authMode viewer { id username role } library { trackCount } }")
    ).json()

    assert body == {
        "data": {
            "authMode": "NONE",
            "viewer": {"id": "local", "username": "local", "role": "ADMIN"},
            "library": {"trackCount": 0},
        }
    }


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_an_ended_session_is_a_coded_field_error_with_status_200(
    anonymous: httpx.AsyncClient, listener: SignedInUser, accept: str
) -> None:
    """What the player's ``isUnauthenticated`` relies on: a code, never a 401."""
    anonymous.cookies.set("tonearm_session", "ended-or-never-issued")

    response = await anonymous.post("/graphql", json={"query": LIBRARY}, headers={"accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"] == accept
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Sign in first: this needs a logged-in user.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["library"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
