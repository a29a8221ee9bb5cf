"""The player's shell with the first screen's data embedded for a signed-in browser.

``GET /`` runs the boot operation the built shell names (``#tonearm-boot-request``) through
the GraphQL schema as the request's viewer and embeds the answer (``#tonearm-boot-answer``)
just before the shell's own early-request script; everyone else gets the static file.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.types import Message

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.accounts.sessions import SESSION_COOKIE
from tonearm.app import create_app
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamGrant
from tonearm.web.player import (
    BootOperation,
    PlayerFiles,
    answer_block,
    script_safe_json,
)

QUERY = (
    "query Boot($first: Int!) { viewer { id username } "
    "tracks(first: $first, orderBy: TITLE) { edges { node { id title "
    "streamUrl { url expiresAt } } } } }"
)
EARLY = "if(!document.getElementById('tonearm-boot-answer')){window.__early=1}"
HOSTILE = "</script><script>alert(1)</script><!-- & \u2028 \u2029 >"


def shell(request: Mapping[str, Any] | str) -> tuple[str, str]:
    """A built shell around this boot request block: (up to the block's end, the rest)."""
    block = request if isinstance(request, str) else script_safe_json(request)
    head = (
        '<!doctype html><html><head><link href="/_app/immutable/b.js" rel="modulepreload">'
        f'<script type="application/json" id="tonearm-boot-request">{block}</script>'
    )
    tail = f"<script>{EARLY}</script></head><body><div></div></body></html>"
    return head, tail


HEAD, TAIL = shell({"query": QUERY, "variables": {"first": 10}})
INDEX = HEAD + TAIL


def build_dir(root: Path, index: str) -> Path:
    build = root / "build"
    (build / "_app/immutable").mkdir(parents=True)
    (build / "_app/immutable/b.js").write_text("console.log(1)")
    (build / "index.html").write_text(index)
    return build


@pytest.fixture
async def files(media_root: Path, engine: AsyncEngine) -> dict[str, bytes]:
    """Two real MP3s, scanned (one with a title that tries to break out): title → bytes."""
    write_mp3(media_root / "A" / "01.mp3", title="One", artist="A", seconds=1.0)
    write_mp3(media_root / "A" / "02.mp3", title=HOSTILE, artist="A", seconds=1.0, key=4)
    await scan_library(engine, media_root)
    return {
        "One": (media_root / "A" / "01.mp3").read_bytes(),
        HOSTILE: (media_root / "A" / "02.mp3").read_bytes(),
    }


@pytest.fixture
async def listener(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "listener")


@pytest.fixture
async def other(engine: AsyncEngine) -> SignedInUser:
    return await make_user(engine, "other")


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    tmp_path: Path,
) -> Callable[[str], Any]:
    """An app serving a build whose shell is ``index``, and an HTTP client for it."""
    count = 0

    async def make(index: str = INDEX) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        nonlocal count
        count += 1
        frontend = build_dir(tmp_path / f"app{count}", index)
        settings = make_settings(
            database_url=database_url_for_test, media_root=media_root, frontend_dir=frontend
        )
        app = create_app(settings)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield app, client
        await app.state.services.engine.dispose()

    return make


@pytest.fixture
async def served(
    make_client: Callable[[str], Any],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async for pair in make_client(INDEX):
        yield pair


def embedded(page: str) -> dict[str, Any]:
    """The answer block's JSON, checking the page is the shell with exactly one block added."""
    match = re.fullmatch(
        re.escape(HEAD)
        + r'<script type="application/json" id="tonearm-boot-answer">([^<]*)</script>'
        + re.escape(TAIL),
        page,
    )
    assert match is not None, page
    answer: dict[str, Any] = json.loads(match.group(1))
    return answer


def signed_in(cookie: str) -> dict[str, str]:
    """The request header of a browser holding this session cookie."""
    return {"Cookie": f"{SESSION_COOKIE}={cookie}"}


def grant_of(app: FastAPI, url: str) -> StreamGrant:
    parts = urlsplit(url)
    (token,) = parse_qs(parts.query)["token"]
    track = uuid.UUID(parts.path.split("/")[3])
    grant: StreamGrant = app.state.services.signer.verify(token, track)
    return grant


def without_stream_urls(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with each track's streamUrl set aside (a token carries its minting time)."""
    copied: dict[str, Any] = json.loads(json.dumps(answer))
    for edge in copied["data"]["tracks"]["edges"]:
        edge["node"].pop("streamUrl")
    return copied


async def test_a_signed_in_browser_gets_the_answer_a_post_would_return(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes], listener: SignedInUser
) -> None:
    _, client = served
    response = await client.get("/", headers=signed_in(listener.cookie))
    posted = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"first": 10}},
        headers=listener.bearer,
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    static = await client.get("/")
    assert response.headers["content-security-policy"] == static.headers["content-security-policy"]
    assert "etag" not in response.headers
    assert "last-modified" not in response.headers
    answer = embedded(response.text)
    assert without_stream_urls(answer) == without_stream_urls(posted.json())
    titles = [edge["node"]["title"] for edge in answer["data"]["tracks"]["edges"]]
    assert titles == [HOSTILE, "One"]
    assert answer["data"]["viewer"]["username"] == "listener"


async def test_the_embedded_stream_urls_are_the_viewers_own_and_stream(
    served: tuple[FastAPI, httpx.AsyncClient],
    files: dict[str, bytes],
    listener: SignedInUser,
    other: SignedInUser,
) -> None:
    app, client = served

    mine = embedded((await client.get("/", headers=signed_in(listener.cookie))).text)
    theirs = embedded((await client.get("/", headers=signed_in(other.cookie))).text)

    for answer, user in ((mine, listener), (theirs, other)):
        for edge in answer["data"]["tracks"]["edges"]:
            url = edge["node"]["streamUrl"]["url"]
            assert grant_of(app, url).user_id == user.record.id
            streamed = await client.get(url)  # no credentials: the token is enough
            assert (streamed.status_code, streamed.content) == (200, files[edge["node"]["title"]])


async def test_a_hostile_title_cannot_leave_the_data_block(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes], listener: SignedInUser
) -> None:
    _, client = served

    page = (await client.get("/", headers=signed_in(listener.cookie))).text

    start = page.index('id="tonearm-boot-answer">') + len('id="tonearm-boot-answer">')
    block = page[start : page.index("</script>", start)]
    for character in ("<", ">", "&", "\u2028", "\u2029"):
        assert character not in block
    assert page.count("<script") == 3  # the request block, the answer block, the shell's script
    assert HOSTILE in [e["node"]["title"] for e in json.loads(block)["data"]["tracks"]["edges"]]


async def test_signed_out_gets_the_static_shell(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes]
) -> None:
    _, client = served

    response = await client.get("/")

    assert (response.status_code, response.text) == (200, INDEX)
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-length"] == str(len(INDEX))


async def test_an_unknown_cookie_gets_the_shell_as_it_is(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes]
) -> None:
    # Streamed (its head went out before the check), but nothing added: the shell asks.
    _, client = served

    response = await client.get("/", headers={"Cookie": f"{SESSION_COOKIE}=not-a-session"})

    assert (response.status_code, response.text) == (200, INDEX)
    assert response.headers["cache-control"] == "private, no-store"


async def test_only_the_library_page_gets_the_answer(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes], listener: SignedInUser
) -> None:
    # The shell's script asks only on "/": other routes (and HEAD) stay the static file.
    _, client = served
    cookies = signed_in(listener.cookie)

    settings_page = await client.get("/settings", headers=cookies)
    index_html = await client.get("/index.html", headers=cookies)
    head = await client.head("/", headers=cookies)

    assert (settings_page.status_code, settings_page.text) == (200, INDEX)
    assert (index_html.status_code, index_html.text) == (200, INDEX)
    assert (head.status_code, head.headers["cache-control"]) == (200, "no-cache")


async def test_a_bearer_token_counts_like_the_cookie(
    served: tuple[FastAPI, httpx.AsyncClient], files: dict[str, bytes], listener: SignedInUser
) -> None:
    _, client = served

    response = await client.get("/", headers=listener.bearer)

    assert embedded(response.text)["data"]["viewer"]["username"] == "listener"


@pytest.mark.parametrize(
    "request_block",
    [
        {"query": "mutation { logout }", "variables": {}},
        {"query": "query { nothing }", "variables": {}},
    ],
    ids=["a mutation never runs on GET", "an invalid query"],
)
async def test_an_operation_that_cannot_run_leaves_the_request_to_the_shell(
    make_client: Callable[[str], Any],
    files: dict[str, bytes],
    listener: SignedInUser,
    request_block: dict[str, Any],
) -> None:
    head, tail = shell(request_block)
    async for _, client in make_client(head + tail):
        response = await client.get("/", headers=signed_in(listener.cookie))
        who = await client.post(
            "/graphql", json={"query": "{ viewer { username } }"}, headers=listener.bearer
        )

        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"
        if request_block["query"].startswith("mutation"):
            assert response.text == head + tail  # nothing embedded: the script asks
            assert who.json() == {"data": {"viewer": {"username": "listener"}}}  # still signed in
        else:  # embedded as the POST would answer it: the client reports it as it always has
            block = response.text[len(head) : -len(tail)]
            prefix = '<script type="application/json" id="tonearm-boot-answer">'
            assert block.startswith(prefix)
            answer = json.loads(block[len(prefix) : -len("</script>")])
            assert list(answer) == ["errors"]
            assert answer["errors"][0]["message"] == "Cannot query field 'nothing' on type 'Query'."


@pytest.mark.parametrize("block", ["not json", '["a list"]', '{"variables": {}}'])
async def test_a_shell_without_a_usable_boot_request_is_served_as_it_is(
    make_client: Callable[[str], Any], listener: SignedInUser, block: str
) -> None:
    head, tail = shell(block)
    async for _, client in make_client(head + tail):
        response = await client.get("/", headers=signed_in(listener.cookie))

        assert (response.status_code, response.text) == (200, head + tail)
        assert response.headers["cache-control"] == "no-cache"


class HeldAnswer:
    """A first-screen source whose answer waits until the test lets it go."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.operations: list[BootOperation] = []

    def may_have_viewer(self, request: Request) -> bool:
        return True

    async def runner_for(self, request: Request) -> HeldAnswer:
        return self

    async def run(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        self.operations.append(BootOperation(query, variables))
        await self.release.wait()
        return {"data": {"title": HOSTILE}}

    async def first_rows(self, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        raise AssertionError("a shell without a first-rows request paints nothing")


async def test_the_head_goes_out_before_the_operation_runs(tmp_path: Path) -> None:
    source = HeldAnswer()
    files = PlayerFiles(build_dir(tmp_path, INDEX), source)
    sent: list[Message] = []
    first_body = asyncio.Event()

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            first_body.set()

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    serving = asyncio.create_task(files(scope, receive, send))
    await first_body.wait()

    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == HEAD.encode()
    assert source.operations == [BootOperation(QUERY, {"first": 10})]
    source.release.set()
    await serving
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body.decode() == HEAD + answer_block({"data": {"title": HOSTILE}}) + TAIL
    assert sent[-1].get("more_body", False) is False
