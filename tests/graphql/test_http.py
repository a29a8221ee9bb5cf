"""GraphQL over HTTP: methods, media types, status codes, CORS."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.graphql.conftest import error_codes
from tests.support.accounts import SignedInUser
from tonearm.app import create_app
from tonearm.schema.router import preferred_media_type
from tonearm.settings import Settings

LIBRARY = "{ library { trackCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_get_query_works(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": LIBRARY}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"library": {"trackCount": 0}}}


async def test_get_mutation_is_method_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { scanLibrary { added } }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"errors": [{"message": "Mutations must be sent with POST."}]}


async def test_json_is_the_default_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": LIBRARY})
    assert response.headers["content-type"] == "application/json"


async def test_graphql_response_json_is_used_when_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": LIBRARY},
        headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"library": {"trackCount": 0}}}


async def test_validation_error_is_400_under_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_validation_error_is_200_under_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200
    assert "data" not in response.json()


async def test_field_error_is_200_under_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    query = "{ tracks(first: 500) { totalCount } }"
    response = await client.post(
        "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.json()["data"] is None


async def test_syntax_error_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ library {"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Unable to parse request body as JSON"}]}


async def test_missing_query_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"variables": {}})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "No GraphQL query found in the request"}]}


async def test_non_string_query_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": 5})
    assert response.status_code == 400


async def test_non_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=LIBRARY, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == {
        "errors": [{"message": "Send the request as application/json (or multipart/form-data)."}]
    }


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
    ],
)
def test_media_type_negotiation(accept: str | None, expected: str) -> None:
    assert preferred_media_type(accept) == expected


@pytest.fixture
def cors_client(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: object,
    admin: SignedInUser,
) -> httpx.AsyncClient:
    settings = make_settings(
        database_url=database_url_for_test,
        media_root=media_root,
        cors_origins=["http://player.example"],
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(
        transport=transport, base_url="http://tonearm.test", headers=admin.bearer
    )


def _preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }


async def test_cors_preflight_from_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    async with cors_client:
        response = await cors_client.options(
            "/graphql", headers=_preflight("http://player.example")
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://player.example"


async def test_cors_preflight_from_foreign_origin(cors_client: httpx.AsyncClient) -> None:
    async with cors_client:
        response = await cors_client.options("/graphql", headers=_preflight("http://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_cors_header_on_actual_request(cors_client: httpx.AsyncClient) -> None:
    async with cors_client:
        response = await cors_client.post(
            "/graphql", json={"query": LIBRARY}, headers={"origin": "http://player.example"}
        )
    assert response.headers["access-control-allow-origin"] == "http://player.example"
    assert json.loads(response.text) == {"data": {"library": {"trackCount": 0}}}
