"""The first screen the server paints into the player's shell for a signed-in browser.

For such a browser ``GET /`` streams the shell's opening (its stylesheet inlined), then the
first rows painted from the build's template (``first-screen.template.json``) with the answer
of the shell's first-rows operation, then the boot answer; everyone else gets the static file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tests.support.audio import write_mp3
from tonearm.accounts.sessions import SESSION_COOKIE
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.settings import Settings
from tonearm.web.first_screen import FirstScreenTemplate, Frame, format_time
from tonearm.web.player import PlayerFiles, answer_block, script_safe_json, source_hash

REPO = Path(__file__).resolve().parents[2]
# The operation as the player's build writes it into the shell: the one in boot.ts.
_SOURCE = (REPO / "frontend/src/lib/library/boot.ts").read_text(encoding="utf-8")
_FOUND = re.search(r"FIRST_ROWS_QUERY = /\* GraphQL \*/ `(.*?)`;", _SOURCE, re.DOTALL)
assert _FOUND is not None
FIRST_ROWS_QUERY = re.sub(r"\s+", " ", _FOUND.group(1)).strip()
FIRST_ROWS_VARIABLES = {"first": 30, "orderBy": "ARTIST"}
BOOT_QUERY = "query Boot { viewer { username } tracks(first: 5) { edges { node { title } } } }"

HOSTILE = "</script><b x=\"1\" y='2'>&amp; TONEARM_SLOT_title_ <!--"
CSS = "body{margin:0}"
OPENING = (
    '<!doctype html><html><head><link href="/_app/immutable/b.js" rel="modulepreload">'
    '<link href="/_app/immutable/assets/app.css" rel="stylesheet"></head>'
    '<body data-x="1">'
)
MIDDLE = (
    '<script type="application/json" id="tonearm-first-rows-request">'
    f"{script_safe_json({'query': FIRST_ROWS_QUERY, 'variables': FIRST_ROWS_VARIABLES})}"
    "</script>"
    f'<script type="application/json" id="tonearm-boot-request">'
    f"{script_safe_json({'query': BOOT_QUERY, 'variables': {}})}</script>"
)
TAIL = '<script>window.early=1</script><div class="app-root"></div></body></html>'
INDEX = OPENING + MIDDLE + TAIL


def row_template(shape: str) -> str:
    album = (
        '<a href="./albums/TONEARM_SLOT_albumid_">TONEARM_SLOT_album_</a>'
        if "/album/" in shape
        else ""
    )
    return (
        f'<li class="{shape}"><span>TONEARM_SLOT_number_</span>'
        '<button aria-label="Play TONEARM_SLOT_title_">TONEARM_SLOT_title_</button>'
        f'<i>TONEARM_SLOT_artist_</i>{album}<p id="TONEARM_SLOT_menu_"></p>'
        "<span>TONEARM_SLOT_time_</span></li>"
    )


SHAPES = [
    f"{edit}/{album}/{liked}"
    for edit in ("view", "edit")
    for album in ("no-album", "album")
    for liked in ("not-liked", "liked")
]
TEMPLATE = {
    "frames": {
        f"{auth}/{role}/{upload}": {
            "before": f'<header data-k="{auth}/{role}/{upload}">TONEARM_SLOT_username_</header>'
            '<ol aria-label="Tracks">',
            "after": "</ol><footer></footer>",
        }
        for auth in ("REQUIRED", "NONE")
        for role in ("ADMIN", "LISTENER")
        for upload in ("upload", "no-upload")
    },
    "rows": {shape: row_template(shape) for shape in SHAPES},
}


def build_dir(root: Path, index: str = INDEX, template: object = TEMPLATE) -> Path:
    build = root / "build"
    (build / "_app/immutable/assets").mkdir(parents=True)
    (build / "_app/immutable/b.js").write_text("console.log(1)")
    (build / "_app/immutable/assets/app.css").write_text(CSS)
    (build / "index.html").write_text(index)
    if template is not None:
        (build / "first-screen.template.json").write_text(json.dumps(template))
    return build


@pytest.fixture
async def library(media_root: Path, engine: AsyncEngine) -> None:
    """Three scanned tracks: one on an album, one with a hostile title, one unpublished."""
    write_mp3(media_root / "A" / "01.mp3", title="One", artist="Ann", album="Harbour", seconds=61)
    write_mp3(media_root / "B" / "02.mp3", title=HOSTILE, artist="Bo & <Co>", seconds=3725, key=4)
    write_mp3(media_root / "C" / "03.mp3", title="Their secret", artist="Cy", seconds=5, key=7)
    await scan_library(engine, media_root)


async def hide_the_secret(engine: AsyncEngine, owner: SignedInUser) -> None:
    """Unpublish "Their secret" and make it ``owner``'s: nobody else may see it."""
    async with create_session_factory(engine).begin() as session:
        track_id = await session.scalar(
            select(TrackRecord.id).where(TrackRecord.title == "Their secret")
        )
        assert track_id is not None
        await session.execute(
            update(TrackRecord).where(TrackRecord.id == track_id).values(is_published=False)
        )
        session.add(
            TrackCollaboratorRecord(track_id=track_id, user_id=owner.record.id, role="owner")
        )


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings],
    database_url_for_test: str,
    media_root: Path,
    tmp_path: Path,
) -> Callable[..., Any]:
    count = 0

    async def make(
        index: str = INDEX, template: object = TEMPLATE
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        nonlocal count
        count += 1
        frontend = build_dir(tmp_path / f"app{count}", index, template)
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
async def served(make_client: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async for _, client in make_client():
        yield client


def cookie(user: SignedInUser) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={user.cookie}"}


def inlined_opening() -> str:
    return OPENING.replace(
        '<link href="/_app/immutable/assets/app.css" rel="stylesheet">', f"<style>{CSS}</style>"
    )


def split_page(page: str) -> tuple[str, dict[str, Any]]:
    """The painted part and the boot answer, checking everything else is the shell's."""
    match = re.fullmatch(
        re.escape(inlined_opening())
        + "(.*)"
        + re.escape(MIDDLE)
        + '<script type="application/json" id="tonearm-boot-answer">([^<]*)</script>'
        + re.escape(TAIL),
        page,
        re.DOTALL,
    )
    assert match is not None, page
    return match.group(1), json.loads(match.group(2))


async def test_the_first_rows_are_painted_before_the_boot_answer(
    served: httpx.AsyncClient, library: None, engine: AsyncEngine
) -> None:
    listener = await make_user(engine, "listener")

    response = await served.get("/", headers=cookie(listener))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    painted, answer = split_page(response.text)
    escaped = (
        "&lt;/script&gt;&lt;b x=&quot;1&quot; y=&#x27;2&#x27;&gt;&amp;amp; "
        "TONEARM_SLOT_title_ &lt;!--"
    )
    album_id = answer_album_id(
        await served.post(
            "/graphql",
            json={"query": FIRST_ROWS_QUERY, "variables": FIRST_ROWS_VARIABLES},
            headers=listener.bearer,
        )
    )
    assert painted == (
        '<div id="tonearm-first-screen" class="app-root">'
        '<header data-k="REQUIRED/LISTENER/no-upload">listener</header><ol aria-label="Tracks">'
        '<li class="view/album/not-liked"><span>1</span><button aria-label="Play One">One</button>'
        f'<i>Ann</i><a href="./albums/{album_id}">Harbour</a>'
        '<p id="tonearm-first-screen-menu-0"></p><span>1:01</span></li>'
        f'<li class="view/no-album/not-liked"><span>2</span><button aria-label="Play {escaped}">'
        f"{escaped}</button><i>Bo &amp; &lt;Co&gt;</i>"
        '<p id="tonearm-first-screen-menu-1"></p><span>1:02:05</span></li>'
        '<li class="view/no-album/not-liked"><span>3</span>'
        '<button aria-label="Play Their secret">Their secret</button><i>Cy</i>'
        '<p id="tonearm-first-screen-menu-2"></p><span>0:05</span></li>'
        "</ol><footer></footer></div>"
    )
    assert answer["data"]["viewer"] == {"username": "listener"}


def answer_album_id(response: httpx.Response) -> str:
    (album,) = [
        edge["node"]["album"]
        for edge in response.json()["data"]["tracks"]["edges"]
        if edge["node"]["album"]
    ]
    album_id: str = album["id"]
    assert re.fullmatch(r"[A-Za-z0-9]+=*", album_id)  # base64: the URL encoding keeps "="
    return album_id.replace("=", "%3D")


@pytest.mark.parametrize("role", [Role.LISTENER, Role.ADMIN])
async def test_the_read_gives_what_the_first_rows_operation_answers(
    make_client: Callable[..., Any], library: None, engine: AsyncEngine, role: Role
) -> None:
    owner = await make_user(engine, "owner")
    viewer = await make_user(engine, "viewer", role)
    await hide_the_secret(engine, owner)
    async for app, client in make_client():
        posted = await client.post(
            "/graphql",
            json={"query": FIRST_ROWS_QUERY, "variables": FIRST_ROWS_VARIABLES},
            headers=viewer.bearer,
        )
        files = next(r.app for r in app.routes if getattr(r, "name", "") == "player")
        assert isinstance(files, PlayerFiles)
        source = files.first_screen
        assert source is not None
        request = httpx.Request("GET", "http://testserver/", headers=cookie(viewer))
        from starlette.requests import Request

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
            "query_string": b"",
        }
        operations = await source.runner_for(Request(scope))
        assert operations is not None
        read = await operations.first_rows(FIRST_ROWS_VARIABLES)

        assert read == posted.json()
        titles = [edge["node"]["title"] for edge in posted.json()["data"]["tracks"]["edges"]]
        assert ("Their secret" in titles) is (role is Role.ADMIN)


async def test_another_users_private_track_is_never_painted(
    served: httpx.AsyncClient, library: None, engine: AsyncEngine
) -> None:
    owner = await make_user(engine, "owner")
    listener = await make_user(engine, "listener")
    await hide_the_secret(engine, owner)

    mine, _ = split_page((await served.get("/", headers=cookie(listener))).text)
    theirs, _ = split_page((await served.get("/", headers=cookie(owner))).text)

    assert "Their secret" not in mine
    assert mine.count("<li") == 2
    assert "Their secret" in theirs
    assert '<li class="edit/no-album/not-liked"><span>3</span>' in theirs  # the owner may edit


async def test_signed_out_gets_the_static_shell(served: httpx.AsyncClient, library: None) -> None:
    response = await served.get("/")

    assert (response.status_code, response.text) == (200, INDEX)
    assert response.headers["cache-control"] == "no-cache"


async def test_an_unknown_cookie_gets_nothing_painted_nor_embedded(
    served: httpx.AsyncClient, library: None
) -> None:
    response = await served.get("/", headers={"Cookie": f"{SESSION_COOKIE}=not-a-session"})

    assert (response.status_code, response.text) == (200, inlined_opening() + MIDDLE + TAIL)
    assert response.headers["cache-control"] == "private, no-store"


async def test_the_inlined_stylesheet_is_allowed_by_its_hash(
    served: httpx.AsyncClient, library: None, engine: AsyncEngine
) -> None:
    listener = await make_user(engine, "listener")

    signed_in = await served.get("/", headers=cookie(listener))
    static = await served.get("/")

    csp = signed_in.headers["content-security-policy"]
    assert csp == static.headers["content-security-policy"]
    assert f"style-src 'self' {source_hash(CSS)};" in csp
    assert signed_in.text.startswith(inlined_opening())


@pytest.mark.parametrize(
    "template",
    [None, {"frames": {}, "rows": {}}, {"rows": "no frames"}, ["not", "a", "template"]],
    ids=["no template", "no frame for the viewer", "broken", "not an object"],
)
async def test_without_a_usable_template_nothing_is_painted(
    make_client: Callable[..., Any], library: None, engine: AsyncEngine, template: object
) -> None:
    listener = await make_user(engine, "listener")
    async for _, client in make_client(template=template):
        response = await client.get("/", headers=cookie(listener))

        assert response.status_code == 200
        if template != {"frames": {}, "rows": {}}:  # none that loads: the shell as before
            assert response.text.startswith(OPENING + MIDDLE)
        else:
            painted, answer = split_page(response.text)
            assert painted == ""
            assert answer["data"]["viewer"] == {"username": "listener"}


@pytest.mark.parametrize(
    ("error", "traceback"),
    [
        (RuntimeError("a bug"), True),
        (
            sa_exc.OperationalError(
                "SELECT", {}, sqlite3.OperationalError("unable to open database file")
            ),
            False,  # an outage: one warning line
        ),
    ],
)
async def test_a_failing_read_leaves_the_plain_shell_with_its_answer(  # noqa: PLR0917
    make_client: Callable[..., Any],
    library: None,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    traceback: bool,
) -> None:
    listener = await make_user(engine, "listener")

    async def failing(self: object, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        raise error

    monkeypatch.setattr("tonearm.schema.first_screen.ViewerOperations.first_rows", failing)
    async for _, client in make_client():
        with caplog.at_level(logging.WARNING):
            response = await client.get("/", headers=cookie(listener))

        painted, answer = split_page(response.text)
        assert painted == ""
        assert answer["data"]["viewer"] == {"username": "listener"}
    records = [r for r in caplog.records if r.name == "tonearm.web.player"]
    assert len(records) == 1
    assert records[0].getMessage().startswith("the player's first rows could not be painted")
    assert (records[0].exc_info is not None) is traceback


async def test_a_viewer_who_must_change_the_password_gets_no_rows(
    served: httpx.AsyncClient, library: None, engine: AsyncEngine
) -> None:
    listener = await make_user(engine, "listener")
    async with create_session_factory(engine).begin() as session:
        from tonearm.db.models import UserRecord

        await session.execute(
            update(UserRecord)
            .where(UserRecord.id == listener.record.id)
            .values(must_change_password=True)
        )

    painted, _ = split_page((await served.get("/", headers=cookie(listener))).text)

    assert painted == ""


def test_paint_refuses_what_the_operation_does_not_answer() -> None:
    template = FirstScreenTemplate(
        {"REQUIRED/LISTENER/no-upload": Frame("<ol>", "</ol>")}, {"view/no-album/not-liked": "x"}
    )
    viewer = {"username": "u", "role": "LISTENER", "mustChangePassword": False, "canUpload": False}
    node = {
        "id": "1",
        "title": "t",
        "artist": None,
        "album": None,
        "durationSeconds": 1,
        "canEdit": False,
        "viewerHasLiked": False,
    }

    def answer(**changes: Any) -> dict[str, Any]:
        data = {"viewer": viewer, "authMode": "REQUIRED", "tracks": {"edges": [{"node": node}]}}
        return {"data": {**data, **changes}}

    assert (
        template.paint(answer())
        == '<div id="tonearm-first-screen" class="app-root"><ol>x</ol></div>'
    )
    assert template.paint({"errors": [{"message": "no"}], "data": None}) is None
    assert template.paint(answer(viewer=None)) is None
    assert template.paint(answer(tracks={"edges": []})) is None  # the app says "No tracks yet"
    assert template.paint(answer(authMode="NONE")) is None  # no frame for it
    assert template.paint(answer(tracks={"edges": [{"node": {**node, "canEdit": True}}]})) is None
    assert template.paint(answer(tracks=None)) is None
    assert template.paint({}) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (5.9, "0:05"),
        (61, "1:01"),
        (3599, "59:59"),
        (3725, "1:02:05"),
        (-1, "0:00"),
        (float("nan"), "0:00"),
        (float("inf"), "--:--"),
    ],
)
def test_format_time_is_the_players(seconds: float, text: str) -> None:
    assert format_time(seconds) == text


async def test_the_rows_go_out_before_the_boot_operation_runs(tmp_path: Path) -> None:
    release = asyncio.Event()
    ran: list[str] = []

    class Held:
        async def run(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
            ran.append(query)
            await release.wait()
            return {"data": {"x": 1}}

        async def first_rows(self, variables: Mapping[str, Any]) -> Mapping[str, Any]:
            node = {
                "id": "T",
                "title": "t",
                "artist": "a",
                "album": None,
                "durationSeconds": 1,
                "canEdit": False,
                "viewerHasLiked": True,
            }
            viewer = {"username": "u", "role": "ADMIN", "mustChangePassword": False}
            return {
                "data": {
                    "viewer": {**viewer, "canUpload": True},
                    "authMode": "NONE",
                    "tracks": {"edges": [{"node": node}]},
                }
            }

    class Source:
        def may_have_viewer(self, request: object) -> bool:
            return True

        async def runner_for(self, request: object) -> Held:
            return Held()

    files = PlayerFiles(build_dir(tmp_path), Source())
    chunks: list[bytes] = []
    painted = asyncio.Event()

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message["body"])
            if b"tonearm-first-screen" in message["body"]:
                painted.set()

    async def receive() -> Any:
        await asyncio.Event().wait()

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
    await painted.wait()
    await asyncio.sleep(0)

    assert chunks[0] == inlined_opening().encode()
    assert chunks[1].startswith(
        b'<div id="tonearm-first-screen" class="app-root">'
        b'<header data-k="NONE/ADMIN/upload">u</header>'
    )
    assert b'<li class="view/no-album/liked">' in chunks[1]
    assert ran == [BOOT_QUERY]
    release.set()
    await serving
    assert b"".join(chunks[2:]) == (MIDDLE + answer_block({"data": {"x": 1}}) + TAIL).encode()
