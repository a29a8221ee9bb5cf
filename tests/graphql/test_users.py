"""User management over GraphQL: admins manage accounts; everyone manages their own
password, browser sessions and API tokens. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.test_accounts import ORIGIN, login, post
from tests.support.accounts import PASSWORD, SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.app import create_app
from tonearm.db.models import UserRecord
from tonearm.library.scanner import scan_library
from tonearm.schema.ids import SESSION_TYPE_NAME, USER_TYPE_NAME, global_id
from tonearm.settings import Settings

USER_FIELDS = "id username role disabled mustChangePassword lastLoginAt createdAt"
CREATE = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{
  __typename
  ... on CreatedUser {{ oneTimePassword user {{ {USER_FIELDS} }} }}
  ... on UsernameTakenError {{ message username }}
  ... on InvalidUsernameError {{ message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateUserInput!) {{ updateUser(id: $id, input: $input) {{
  __typename
  ... on User {{ {USER_FIELDS} }}
  ... on UserNotFoundError {{ message userId }}
  ... on LastActiveAdminError {{ message }} }} }}"""
RESET = f"""mutation($id: ID!) {{ resetUserPassword(id: $id) {{
  __typename
  ... on PasswordReset {{ oneTimePassword user {{ {USER_FIELDS} }} }}
  ... on UserNotFoundError {{ message userId }} }} }}"""
CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
  __typename
  ... on User { username mustChangePassword }
  ... on WrongPasswordError { message }
  ... on PasswordRejectedError { message }
  ... on LoginRateLimited { message retryAfterSeconds } } }"""
SESSIONS = "{ sessions { id createdAt expiresAt current } }"
END_SESSION = "mutation($id: ID!) { endSession(id: $id) }"
LIBRARY = "{ library { trackCount } }"
NEW_PASSWORD = "my-very-own-password"


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "listener")


def user_id(user: SignedInUser) -> str:
    return global_id(USER_TYPE_NAME, user.record.id)


async def as_user(
    client: httpx.AsyncClient, user: SignedInUser, query: str, **variables: Any
) -> Any:
    """The decoded response to ``query`` sent with the user's bearer token."""
    return (
        await post(client, query, variables or None, authorization=f"Bearer {user.token}")
    ).json()


async def with_cookie(
    client: httpx.AsyncClient, cookie: str, query: str, **variables: Any
) -> dict[str, Any]:
    """The decoded response to ``query`` sent as a browser with this session cookie."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or None},
        headers={"origin": ORIGIN, "cookie": f"tonearm_session={cookie}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def create(gql: Gql, username: str, role: str = "LISTENER") -> dict[str, Any]:
    body = await gql(CREATE, {"input": {"username": username, "role": role}})
    result: dict[str, Any] = body["data"]["createUser"]
    return result


# --- who may ----------------------------------------------------------------------------

ADMIN_ONLY = [
    ("{ users { id } }", None),
    (CREATE, {"input": {"username": "x"}}),
    (UPDATE, {"id": "VXNlcjow", "input": {"disabled": True}}),
    (RESET, {"id": "VXNlcjow"}),
]


@pytest.mark.parametrize(("query", "variables"), ADMIN_ONLY)
async def test_listeners_are_forbidden_admin_fields(
    anonymous: httpx.AsyncClient,
    listener: SignedInUser,
    query: str,
    variables: dict[str, Any] | None,
    engine: AsyncEngine,
) -> None:
    body = (
        await post(anonymous, query, variables, authorization=f"Bearer {listener.token}")
    ).json()

    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == "Only administrators may do this."
    async with engine.connect() as connection:
        assert (await connection.scalars(select(UserRecord.username))).all() == ["listener"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        *ADMIN_ONLY,
        (SESSIONS, None),
        (END_SESSION, {"id": "QnJvd3NlclNlc3Npb246MA=="}),
        (CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}),
    ],
)
async def test_anonymous_requests_are_told_to_sign_in(
    anonymous: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    body = (await post(anonymous, query, variables, origin=ORIGIN)).json()

    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CREATE, {"input": {"username": "mallory"}}),
        (UPDATE, {"id": "VXNlcjow", "input": {"disabled": True}}),
        (RESET, {"id": "VXNlcjow"}),
        (CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}),
        (END_SESSION, {"id": "QnJvd3NlclNlc3Npb246MA=="}),
    ],
)
async def test_every_new_mutation_is_csrf_checked_for_cookies(
    anonymous: httpx.AsyncClient,
    admin: SignedInUser,
    query: str,
    variables: dict[str, Any],
) -> None:
    anonymous.cookies.set("tonearm_session", admin.cookie)

    body = (await post(anonymous, query, variables, origin="http://evil.example")).json()

    assert error_codes(body) == ["CSRF_REJECTED"]
    assert "data" not in body


# --- users and createUser ---------------------------------------------------------------


async def test_admins_list_every_user_by_name(
    gql: Gql, listener: SignedInUser, anonymous: httpx.AsyncClient
) -> None:
    await login(anonymous)

    body = await gql(f"{{ users {{ {USER_FIELDS} }} }}")

    admin_row, listener_row = body["data"]["users"]
    assert (admin_row["username"], admin_row["role"]) == ("admin", "ADMIN")
    assert listener_row == {
        "id": user_id(listener),
        "username": "listener",
        "role": "LISTENER",
        "disabled": False,
        "mustChangePassword": False,
        "lastLoginAt": listener_row["lastLoginAt"],
        "createdAt": listener_row["createdAt"],
    }
    assert listener_row["lastLoginAt"] is not None
    assert admin_row["lastLoginAt"] is None


async def test_a_created_user_signs_in_once_with_the_one_time_password_then_chooses_one(
    gql: Gql, anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = await create(gql, "Carol")
    password = created["oneTimePassword"]

    signed_in = (await login(anonymous, "carol", password)).json()["data"]["login"]
    changed = (
        await post(anonymous, CHANGE, {"current": password, "new": NEW_PASSWORD}, origin=ORIGIN)
    ).json()
    again = (await login(anonymous, "carol", password)).json()["data"]["login"]
    mine = (await login(anonymous, "carol", NEW_PASSWORD)).json()["data"]["login"]

    assert created["__typename"] == "CreatedUser"
    assert created["user"]["username"] == "Carol"
    assert created["user"]["role"] == "LISTENER"
    assert created["user"]["mustChangePassword"] is True
    assert len(password) == 16
    assert signed_in["__typename"] == "User"
    assert changed == {
        "data": {
            "changePassword": {
                "__typename": "User",
                "username": "Carol",
                "mustChangePassword": False,
            }
        }
    }
    assert again["__typename"] == "LoginFailed"
    assert mine["__typename"] == "User"
    async with engine.connect() as connection:
        stored = await connection.scalar(
            select(UserRecord.password_hash).where(UserRecord.username == "Carol")
        )
    assert stored is not None
    assert password not in stored
    assert NEW_PASSWORD not in stored


async def test_the_viewer_says_when_the_password_must_be_changed(
    gql: Gql, anonymous: httpx.AsyncClient
) -> None:
    password = (await create(gql, "carol"))["oneTimePassword"]
    await login(anonymous, "carol", password)

    body = (await post(anonymous, "{ viewer { username mustChangePassword disabled } }")).json()

    assert body == {
        "data": {"viewer": {"username": "carol", "mustChangePassword": True, "disabled": False}}
    }


async def test_admins_can_create_admins(gql: Gql) -> None:
    created = await create(gql, "deputy", "ADMIN")

    assert created["user"]["role"] == "ADMIN"


async def test_duplicate_names_are_a_typed_error_ignoring_case(
    gql: Gql, listener: SignedInUser
) -> None:
    result = await create(gql, "LISTENER")

    assert result == {
        "__typename": "UsernameTakenError",
        "message": "A user named 'LISTENER' already exists.",
        "username": "LISTENER",
    }


@pytest.mark.parametrize("name", ["", "two words", "x" * 65, "semi;colon"])
async def test_invalid_names_are_a_typed_error(gql: Gql, name: str) -> None:
    result = await create(gql, name)

    assert result == {
        "__typename": "InvalidUsernameError",
        "message": "Usernames have 1 to 64 letters, digits or the characters . _ @ + -.",
    }


# --- updateUser -------------------------------------------------------------------------


async def test_only_the_given_fields_change(gql: Gql, listener: SignedInUser) -> None:
    promoted = (await gql(UPDATE, {"id": user_id(listener), "input": {"role": "ADMIN"}}))["data"]
    disabled = (await gql(UPDATE, {"id": user_id(listener), "input": {"disabled": True}}))["data"]
    untouched = (await gql(UPDATE, {"id": user_id(listener), "input": {}}))["data"]
    nulls = (
        await gql(UPDATE, {"id": user_id(listener), "input": {"role": None, "disabled": None}})
    )["data"]

    assert (promoted["updateUser"]["role"], promoted["updateUser"]["disabled"]) == ("ADMIN", False)
    assert (disabled["updateUser"]["role"], disabled["updateUser"]["disabled"]) == ("ADMIN", True)
    assert untouched == nulls == disabled


async def test_disabling_a_user_ends_their_session_and_token_at_once(
    gql: Gql, anonymous: httpx.AsyncClient, listener: SignedInUser, engine: AsyncEngine
) -> None:
    before = await with_cookie(anonymous, listener.cookie, LIBRARY)

    body = await gql(UPDATE, {"id": user_id(listener), "input": {"disabled": True}})

    assert body["data"]["updateUser"]["disabled"] is True
    assert before == {"data": {"library": {"trackCount": 0}}}
    assert error_codes(await with_cookie(anonymous, listener.cookie, LIBRARY)) == [
        "UNAUTHENTICATED"
    ]
    assert error_codes(await as_user(anonymous, listener, LIBRARY)) == ["UNAUTHENTICATED"]
    assert (await login(anonymous)).json()["data"]["login"]["__typename"] == "LoginFailed"

    enabled = await gql(UPDATE, {"id": user_id(listener), "input": {"disabled": False}})

    assert enabled["data"]["updateUser"]["disabled"] is False
    # Enabling lets the user sign in again; the ended session and token stay ended.
    assert error_codes(await as_user(anonymous, listener, LIBRARY)) == ["UNAUTHENTICATED"]
    assert (await login(anonymous)).json()["data"]["login"]["__typename"] == "User"


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "LISTENER"}])
async def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    gql: Gql, admin: SignedInUser, listener: SignedInUser, change: dict[str, Any]
) -> None:
    body = await gql(UPDATE, {"id": user_id(admin), "input": change})
    after = await gql("{ viewer { role } library { trackCount } }")

    assert body == {
        "data": {
            "updateUser": {
                "__typename": "LastActiveAdminError",
                "message": "'admin' is the only active admin; make another user an admin first.",
            }
        }
    }
    assert after == {"data": {"viewer": {"role": "ADMIN"}, "library": {"trackCount": 0}}}


async def test_an_admin_may_step_down_when_another_admin_is_active(
    gql: Gql, admin: SignedInUser, listener: SignedInUser
) -> None:
    await gql(UPDATE, {"id": user_id(listener), "input": {"role": "ADMIN"}})

    body = await gql(UPDATE, {"id": user_id(admin), "input": {"role": "LISTENER"}})
    now = await gql("{ users { id } }")

    assert body["data"]["updateUser"]["role"] == "LISTENER"
    assert error_codes(now) == ["FORBIDDEN"]  # the role counts from the very next request


async def test_unknown_and_malformed_user_ids(gql: Gql) -> None:
    unknown = global_id(USER_TYPE_NAME, uuid.uuid4())
    track_id = global_id("Track", uuid.uuid4())

    missing = await gql(UPDATE, {"id": unknown, "input": {"disabled": True}})
    reset_missing = await gql(RESET, {"id": unknown})
    malformed = await gql(UPDATE, {"id": "nonsense", "input": {"disabled": True}})
    wrong_type = await gql(RESET, {"id": track_id})

    assert missing["data"]["updateUser"] == {
        "__typename": "UserNotFoundError",
        "message": "No user has this ID.",
        "userId": unknown,
    }
    assert reset_missing["data"]["resetUserPassword"]["__typename"] == "UserNotFoundError"
    assert error_codes(malformed) == error_codes(wrong_type) == ["INVALID_ID"]
    assert malformed["errors"][0]["message"] == "Not a valid user ID."


# --- resetUserPassword ------------------------------------------------------------------


async def test_a_reset_gives_a_one_time_password_and_ends_sessions_and_tokens(
    gql: Gql, anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    body = await gql(RESET, {"id": user_id(listener)})
    reset = body["data"]["resetUserPassword"]

    assert reset["__typename"] == "PasswordReset"
    assert reset["user"]["mustChangePassword"] is True
    assert error_codes(await with_cookie(anonymous, listener.cookie, LIBRARY)) == [
        "UNAUTHENTICATED"
    ]
    assert error_codes(await as_user(anonymous, listener, LIBRARY)) == ["UNAUTHENTICATED"]
    assert (await login(anonymous)).json()["data"]["login"]["__typename"] == "LoginFailed"
    signed_in = (await login(anonymous, "listener", reset["oneTimePassword"])).json()
    assert signed_in["data"]["login"]["__typename"] == "User"


# --- changePassword ---------------------------------------------------------------------


async def test_a_wrong_current_password_is_a_typed_error(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    body = await as_user(anonymous, listener, CHANGE, current="not my password", new=NEW_PASSWORD)

    assert body == {
        "data": {
            "changePassword": {
                "__typename": "WrongPasswordError",
                "message": "The current password is not right.",
            }
        }
    }
    assert (await login(anonymous)).json()["data"]["login"]["__typename"] == "User"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "Passwords need at least 8 characters."),
        (PASSWORD, "The new password must differ from the current one."),
        ("x" * 1025, "Passwords may have at most 1024 characters."),
    ],
)
async def test_unacceptable_new_passwords_are_a_typed_error(
    anonymous: httpx.AsyncClient, listener: SignedInUser, new: str, message: str
) -> None:
    body = await as_user(anonymous, listener, CHANGE, current=PASSWORD, new=new)

    assert body == {
        "data": {"changePassword": {"__typename": "PasswordRejectedError", "message": message}}
    }


async def test_wrong_current_passwords_count_toward_the_sign_in_limit(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    for _ in range(10):
        await as_user(anonymous, listener, CHANGE, current="not my password", new=NEW_PASSWORD)

    limited = await as_user(anonymous, listener, CHANGE, current=PASSWORD, new=NEW_PASSWORD)
    sign_in = (await login(anonymous)).json()["data"]["login"]

    assert limited["data"]["changePassword"]["__typename"] == "LoginRateLimited"
    assert sign_in["__typename"] == "LoginRateLimited"


async def test_changing_the_password_keeps_this_browser_and_ends_the_others(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)
    here = anonymous.cookies["tonearm_session"]

    body = await with_cookie(anonymous, here, CHANGE, current=PASSWORD, new=NEW_PASSWORD)

    assert body["data"]["changePassword"]["__typename"] == "User"
    assert await with_cookie(anonymous, here, LIBRARY) == {"data": {"library": {"trackCount": 0}}}
    assert error_codes(await with_cookie(anonymous, listener.cookie, LIBRARY)) == [
        "UNAUTHENTICATED"
    ]
    assert (await as_user(anonymous, listener, LIBRARY))["data"] is not None  # tokens stay


async def test_without_accounts_there_is_no_password_to_change(
    make_settings: Any, database_url_for_test: str, media_root: Path
) -> None:
    app = create_app(
        make_settings(database_url=database_url_for_test, media_root=media_root, auth="none")
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://tonearm.test"
    ) as client:
        change = (
            await post(client, CHANGE, {"current": "x" * 8, "new": NEW_PASSWORD}, origin=ORIGIN)
        ).json()
        listed = (await post(client, SESSIONS)).json()
    await app.state.services.engine.dispose()

    assert error_codes(change) == ["BAD_USER_INPUT"]
    assert change["errors"][0]["message"] == "Passwords need accounts (TONEARM_AUTH)."
    assert listed == {"data": {"sessions": []}}


# --- sessions and endSession ------------------------------------------------------------


async def test_sessions_list_the_viewers_browsers_with_this_one_marked(
    anonymous: httpx.AsyncClient, listener: SignedInUser, admin: SignedInUser
) -> None:
    await login(anonymous)
    here = anonymous.cookies["tonearm_session"]

    response = await anonymous.post(
        "/graphql", json={"query": SESSIONS}, headers={"cookie": f"tonearm_session={here}"}
    )
    by_token = await as_user(anonymous, listener, SESSIONS)

    sessions = response.json()["data"]["sessions"]
    assert len(sessions) == 2  # the fixture's and this login's; never the admin's
    assert [s["current"] for s in sessions] == [True, False]  # newest first
    assert [s["current"] for s in by_token["data"]["sessions"]] == [False, False]
    for secret in (here, listener.cookie, admin.cookie):
        assert secret not in response.text
    assert "secret" not in response.text.lower()


async def test_ending_another_session_signs_that_browser_out(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    await login(anonymous)
    here = anonymous.cookies["tonearm_session"]
    sessions = (await with_cookie(anonymous, here, SESSIONS))["data"]["sessions"]
    other = next(s["id"] for s in sessions if not s["current"])

    ended = await with_cookie(anonymous, here, END_SESSION, id=other)
    again = await with_cookie(anonymous, here, END_SESSION, id=other)

    assert ended == {"data": {"endSession": True}}
    assert again == {"data": {"endSession": False}}
    assert error_codes(await with_cookie(anonymous, listener.cookie, LIBRARY)) == [
        "UNAUTHENTICATED"
    ]
    assert (await with_cookie(anonymous, here, LIBRARY))["data"] is not None


async def test_another_users_session_answers_exactly_like_an_unknown_one(
    anonymous: httpx.AsyncClient, listener: SignedInUser, admin: SignedInUser
) -> None:
    admins = (await as_user(anonymous, admin, SESSIONS))["data"]["sessions"]
    unknown = global_id(SESSION_TYPE_NAME, uuid.uuid4())

    foreign = await post(
        anonymous, END_SESSION, {"id": admins[0]["id"]}, authorization=f"Bearer {listener.token}"
    )
    missing = await post(
        anonymous, END_SESSION, {"id": unknown}, authorization=f"Bearer {listener.token}"
    )

    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    assert foreign.json() == {"data": {"endSession": False}}
    assert (await with_cookie(anonymous, admin.cookie, LIBRARY))["data"] is not None


async def test_a_malformed_session_id_is_invalid(
    anonymous: httpx.AsyncClient, listener: SignedInUser
) -> None:
    body = await as_user(anonymous, listener, END_SESSION, id=user_id(listener))

    assert error_codes(body) == ["INVALID_ID"]
    assert body["errors"][0]["message"] == "Not a valid session ID."


# --- the login limit across workers -----------------------------------------------------


@pytest.fixture
async def two_workers(settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two apps over one database, as two granian workers are."""
    apps: list[FastAPI] = [create_app(settings), create_app(settings)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) for app in apps
    ]
    yield clients
    for client, app in zip(clients, apps, strict=True):
        await client.aclose()
        await app.state.services.engine.dispose()


async def test_workers_share_the_failed_sign_in_limit(
    two_workers: list[httpx.AsyncClient], listener: SignedInUser
) -> None:
    first, second = two_workers
    started = time.monotonic()
    for number in range(10):
        worker = first if number % 2 else second
        result = (await login(worker, password="wrong password!")).json()["data"]["login"]
        assert result["__typename"] == "LoginFailed"

    on_first = (await login(first)).json()["data"]["login"]
    on_second = (await login(second)).json()["data"]["login"]

    elapsed = time.monotonic() - started
    assert on_first["__typename"] == on_second["__typename"] == "LoginRateLimited"
    assert 60 - elapsed - 1 <= on_second["retryAfterSeconds"] <= 60


async def test_concurrent_guesses_across_workers_stay_within_the_limit(
    two_workers: list[httpx.AsyncClient], listener: SignedInUser
) -> None:
    answers = await asyncio.gather(
        *(login(two_workers[number % 2], password=f"guess number {number}") for number in range(16))
    )

    kinds = [answer.json()["data"]["login"]["__typename"] for answer in answers]
    assert kinds.count("LoginFailed") <= 10
    assert set(kinds) <= {"LoginFailed", "LoginRateLimited"}


async def test_a_success_on_one_worker_is_not_counted_on_the_other(
    two_workers: list[httpx.AsyncClient], listener: SignedInUser
) -> None:
    first, second = two_workers
    for _ in range(6):
        await login(first)
    for _ in range(9):
        await login(second, password="wrong password!")

    result = (await login(first)).json()["data"]["login"]

    assert result["__typename"] == "User"


# --- streams of a disabled user ---------------------------------------------------------


async def test_a_disabled_users_stream_url_is_refused(
    gql: Gql,
    anonymous: httpx.AsyncClient,
    listener: SignedInUser,
    media_root: Path,
    engine: AsyncEngine,
) -> None:
    write_mp3(media_root / "a.mp3", title="A", seconds=1.0)
    await scan_library(engine, media_root)
    tracks = await as_user(anonymous, listener, "{ tracks(first: 1) { edges { node { id } } } }")
    track_id = tracks["data"]["tracks"]["edges"][0]["node"]["id"]
    minted = await as_user(
        anonymous,
        listener,
        "mutation($id: ID!) { createStreamUrl(trackId: $id) { ... on StreamUrl { url } } }",
        id=track_id,
    )
    url = minted["data"]["createStreamUrl"]["url"]
    assert (await anonymous.get(url)).status_code == 200  # the user is now memoized as active

    await gql(UPDATE, {"id": user_id(listener), "input": {"disabled": True}})
    disabled_at = time.monotonic()
    while (response := await anonymous.get(url)).status_code == 200:
        assert time.monotonic() - disabled_at < 6, "still streaming after the 5 s re-check bound"
        await asyncio.sleep(0.25)

    assert (response.status_code, response.json()) == (403, {"error": "invalid_token"})
