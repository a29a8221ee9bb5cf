"""GraphiQL at GET /graphql works offline: every asset comes from tonearm itself."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from tonearm.schema.graphiql import graphiql_csp


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})


async def test_browser_gets_graphiql_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    response = await _page(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    host = response.request.headers["host"]
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "font-src 'self' data:; img-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert '<div id="graphiql">' in response.text


async def test_page_references_no_external_host(client: httpx.AsyncClient) -> None:
    html = (await _page(client)).text
    assert re.search(r"(https?:)?//", html) is None
    assert "unpkg" not in html
    assert "jsdelivr" not in html


async def test_page_has_no_inline_script(client: httpx.AsyncClient) -> None:
    html = (await _page(client)).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


async def test_every_referenced_asset_is_served_and_matches_its_integrity(
    client: httpx.AsyncClient,
) -> None:
    html = (await _page(client)).text
    references = re.findall(r'(?:src|href)="(/[^"]+)"(?: integrity="([^"]+)")?', html)
    assert len(references) == 7
    for path, integrity in references:
        response = await client.get(path)
        assert response.status_code == 200, path
        if integrity:
            digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert integrity == f"sha384-{digest}", path


async def test_vendored_scripts_fetch_nothing_from_a_cdn(client: httpx.AsyncClient) -> None:
    script = (await client.get("/graphql/assets/graphiql-init.js")).text
    assert re.search(r"https?://", script) is None
    # Subscriptions: a graphql-transport-ws socket to this very page's host and path.
    assert "GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: subscriptionUrl })" in script
    assert (
        'const subscriptionUrl = socketScheme + "//" + window.location.host + endpoint;' in script
    )


def test_the_csp_names_a_plain_host_for_sockets_and_nothing_else() -> None:
    assert "connect-src 'self' ws://[::1]:8000 wss://[::1]:8000;" in graphiql_csp("[::1]:8000")
    for hostile in ("evil; script-src *", "a b", "", None):
        assert "connect-src 'self'; base-uri" in graphiql_csp(hostile)


async def test_the_bundle_carries_the_graphql_ws_client_the_fetcher_loads(
    client: httpx.AsyncClient,
) -> None:
    bundle = (await client.get("/graphql/assets/graphiql.min.js")).text
    assert "node_modules/graphql-ws/lib/client.mjs" in bundle
    assert "createWebsocketsFetcherFromUrl(options.subscriptionUrl" in bundle
