"""GraphiQL at GET /graphql works offline: every asset comes from tonearm itself."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from tonearm.schema.graphiql import GRAPHIQL_CSP


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})


async def test_browser_gets_graphiql_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    response = await _page(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == GRAPHIQL_CSP
    assert "script-src 'self';" in GRAPHIQL_CSP
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
    assert "http" not in script
    assert "GraphiQL.createFetcher({ url: endpoint })" in script
