"""GraphQL over WebSocket on a real ``tonearm serve`` (granian, two workers): the
``graphql-transport-ws`` protocol only, authentication like HTTP, ``serverTime``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.realtime import ws
from tests.realtime.conftest import RealServer
from tests.realtime.guests import make_guest

VIEWER = "{ viewer { username role } }"
SERVER_TIME = (
    "query($t: Float!) { serverTime(clientSentAt: $t) "
    "{ clientSentAt serverReceivedAt serverSentAt } }"
)
LIBRARY_EVENTS = "subscription { libraryEvents { kind } }"
TRACKS = "{ tracks(first: 3) { edges { node { title album { title } } } } }"


def run(coroutine: Any) -> Any:
    """Run one test's client side."""
    return asyncio.run(coroutine)


def test_server_time_over_http_is_public_and_ordered(real_server: RealServer) -> None:
    response = httpx.post(
        real_server.base_url + "/graphql",
        json={"query": SERVER_TIME, "variables": {"t": 1234.5}},
        timeout=20,
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    clock = body["data"]["serverTime"]
    assert clock["clientSentAt"] == 1234.5
    assert 1e12 < clock["serverReceivedAt"] <= clock["serverSentAt"]


def test_server_time_refuses_a_clock_hours_off_never(real_server: RealServer) -> None:
    # A badly wrong client clock is the point of the offset: any finite number is echoed.
    response = httpx.post(
        real_server.base_url + "/graphql",
        json={"query": SERVER_TIME, "variables": {"t": -3.6e7}},
        timeout=20,
    )
    assert response.json()["data"]["serverTime"]["clientSentAt"] == -3.6e7


def test_an_anonymous_socket_is_acknowledged_and_may_ask_the_time(
    real_server: RealServer,
) -> None:
    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url) as socket:
            return await ws.operation(socket, SERVER_TIME, {"t": 42.0})

    answer = run(client())
    assert "errors" not in answer, answer
    assert answer["data"]["serverTime"]["clientSentAt"] == 42.0
    clock = answer["data"]["serverTime"]
    assert clock["serverReceivedAt"] <= clock["serverSentAt"]


def test_an_anonymous_socket_cannot_subscribe_to_library_events(
    real_server: RealServer,
) -> None:
    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url) as socket:
            await ws.subscribe(socket, "1", LIBRARY_EVENTS)
            return await ws.receive(socket)

    message = run(client())
    assert message["id"] == "1"
    assert message["type"] in {"next", "error"}
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert errors[0]["message"] == "Sign in first: this needs a logged-in user."


def test_a_bearer_token_in_connection_init_signs_the_socket_in(real_server: RealServer) -> None:
    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as socket:
            return await ws.operation(socket, VIEWER)

    assert run(client()) == {"data": {"viewer": {"username": "listener", "role": "LISTENER"}}}


def test_each_operation_of_a_socket_reads_afresh(real_server: RealServer) -> None:
    # The same socket runs several operations, each with its own loaders and sessions.
    async def client() -> list[dict[str, Any]]:
        async with ws.session(real_server.ws_url, token=real_server.admin.token) as socket:
            return [await ws.operation(socket, TRACKS) for _ in range(3)]

    answers = run(client())
    assert all("errors" not in a for a in answers), answers
    assert answers[0] == answers[1] == answers[2]
    assert len(answers[0]["data"]["tracks"]["edges"]) == 3


def test_mutations_work_over_a_socket(real_server: RealServer) -> None:
    query = 'mutation { createApiToken(name: "from ws") { apiToken { name } } }'

    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as socket:
            return await ws.operation(socket, query)

    answer = run(client())
    assert answer == {"data": {"createApiToken": {"apiToken": {"name": "from ws"}}}}, answer


def test_fields_that_set_cookies_say_they_need_http(real_server: RealServer) -> None:
    query = 'mutation { login(username: "boss", password: "x") { __typename } }'
    # From the server's own origin, so the CSRF rule of ``login`` lets it through.
    headers = {"Origin": real_server.base_url}

    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url, headers=headers) as socket:
            return await ws.operation(socket, query)

    answer = run(client())
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"]
    assert answer["errors"][0]["message"] == (
        "This field works over HTTP only: send it as a POST to /graphql."
    )


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer tgs_unknown", "Basic Ym9zczp4", "Bearer ", 17],
)
def test_a_bad_token_closes_the_socket_with_4403(
    real_server: RealServer, authorization: object
) -> None:
    async def client() -> tuple[int, str]:
        async with ws.raw_socket(real_server.ws_url) as socket:
            await ws.send(
                socket, {"type": "connection_init", "payload": {"authorization": authorization}}
            )
            return await ws.closed_with(socket)

    assert run(client()) == (4403, "Forbidden")


def test_the_cookie_counts_from_an_allowed_origin(real_server: RealServer) -> None:
    headers = {
        "Cookie": f"tonearm_session={real_server.listener.cookie}",
        "Origin": real_server.base_url,
    }

    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url, headers=headers) as socket:
            return await ws.operation(socket, VIEWER)

    assert run(client()) == {"data": {"viewer": {"username": "listener", "role": "LISTENER"}}}


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_the_cookie_does_not_count_from_another_or_no_origin(
    real_server: RealServer, origin: str | None
) -> None:
    headers = {"Cookie": f"tonearm_session={real_server.listener.cookie}"}
    if origin is not None:
        headers["Origin"] = origin

    async def client() -> dict[str, Any]:
        async with ws.session(real_server.ws_url, headers=headers) as socket:
            return await ws.operation(socket, VIEWER)

    assert run(client()) == {"data": {"viewer": None}}


def test_the_payload_token_wins_over_the_cookie(real_server: RealServer) -> None:
    headers = {
        "Cookie": f"tonearm_session={real_server.listener.cookie}",
        "Origin": real_server.base_url,
    }

    async def client() -> dict[str, Any]:
        async with ws.session(
            real_server.ws_url, headers=headers, token=real_server.admin.token
        ) as socket:
            return await ws.operation(socket, VIEWER)

    assert run(client()) == {"data": {"viewer": {"username": "boss", "role": "ADMIN"}}}


def test_a_guest_token_is_a_guest_without_a_viewer(real_server: RealServer) -> None:
    token, _ = run(make_guest(real_server.database_url, real_server.admin))

    async def client() -> tuple[dict[str, Any], dict[str, Any]]:
        async with ws.session(real_server.ws_url, token=token) as socket:
            viewer = await ws.operation(socket, VIEWER)
            tracks = await ws.operation(socket, TRACKS)
            return viewer, tracks

    viewer, tracks = run(client())
    assert viewer == {"data": {"viewer": None}}
    assert [e["extensions"]["code"] for e in tracks["errors"]] == ["UNAUTHENTICATED"]


def test_the_legacy_graphql_ws_protocol_is_refused(real_server: RealServer) -> None:
    async def client() -> tuple[int, str]:
        async with ws.raw_socket(real_server.ws_url, subprotocols=["graphql-ws"]) as socket:
            return await ws.closed_with(socket)

    assert run(client()) == (4406, "Subprotocol not acceptable")


def test_a_plain_http_get_of_the_socket_path_is_not_an_upgrade(real_server: RealServer) -> None:
    async def client() -> None:
        async with ws.raw_socket(real_server.base_url.replace("http", "ws") + "/nowhere"):
            pass

    with pytest.raises(InvalidStatus):
        run(client())
