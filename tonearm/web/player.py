"""Serving the built web player (``frontend/build``) at ``/`` with SPA fallback.

A client route is answered with its prerendered page when the build has one (``/admin`` →
``admin.html``), else with ``index.html`` (the SPA fallback); either boots the router there.

The player gets a strict Content-Security-Policy: everything from its own origin, and inline
scripts only where their SHA-256 matches one of the bootstrap scripts in the built HTML.

The first screen without a round trip: the shell (``index.html`` at ``/``) carries the boot
operation the player would POST first, as a JSON data block (``#tonearm-boot-request``, see
``frontend/src/lib/library/boot.ts``). Served to a signed-in browser, the shell also carries
the answer (``#tonearm-boot-answer``): the server runs that very operation through the
GraphQL schema in-process (``FirstScreenSource``, wired in by ``app.py``) and embeds the JSON
a POST would have returned. The head — which names the code and styles — goes out before the
operation runs, so the browser fetches them meanwhile. Such a page is per user: ``private,
no-store``. A data block is never executed, so the CSP is unchanged; its JSON has every
``<`` escaped, so no string in it can close the element. Signed out (or if the operation
fails) the shell is the static file, and its inline script sends the request itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tonearm.db.outages import log_failure
from tonearm.web.first_screen import FirstScreenTemplate

logger = logging.getLogger(__name__)

# Inline classic scripts; data blocks (``type="application/json"``) are never executed.
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>(.*?)</script>", re.DOTALL
)
BOOT_REQUEST_ID = "tonearm-boot-request"
BOOT_ANSWER_ID = "tonearm-boot-answer"
FIRST_ROWS_REQUEST_ID = "tonearm-first-rows-request"
_BOOT_REQUEST = re.compile(
    rf'<script type="application/json" id="{BOOT_REQUEST_ID}">(.*?)</script>', re.DOTALL
)
_FIRST_ROWS_REQUEST = re.compile(
    rf'<script type="application/json" id="{FIRST_ROWS_REQUEST_ID}">(.*?)</script>', re.DOTALL
)
_BODY_OPEN = re.compile(r"<body\b[^>]*>")
# The build's one stylesheet, inlined into the streamed shell (no request to wait for).
_STYLESHEET = re.compile(r'<link href="/(_app/immutable/assets/[^"/]+\.css)" rel="stylesheet">')
PER_USER = "private, no-store"
# Paths that belong to the API; a miss there is a 404, never the player's index.html.
API_PREFIXES = ("api/", "graphql", "healthz")
IMMUTABLE = "public, max-age=31536000, immutable"


def inline_script_hashes(html_files: list[Path]) -> list[str]:
    """CSP source expressions for every inline script in the given HTML files."""
    hashes: set[str] = set()
    for html_file in html_files:
        for script in _INLINE_SCRIPT.findall(html_file.read_text(encoding="utf-8")):
            hashes.add(source_hash(script))
    return sorted(hashes)


@dataclass(frozen=True, slots=True)
class BootOperation:
    """The first GraphQL operation the player's shell sends, as its build wrote it."""

    query: str
    variables: Mapping[str, Any]


class ViewerOperations(Protocol):
    """The shell's operations, run as one request's viewer."""

    async def run(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """The GraphQL response body of this query."""
        ...

    async def first_rows(self, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """The response body the shell's first-rows operation gets with these variables."""
        ...


class FirstScreenSource(Protocol):
    """Runs the shell's operations for the browser asking for it (``schema/first_screen.py``)."""

    def may_have_viewer(self, request: Request) -> bool:
        """Whether the request could have a viewer at all (it carries credentials, or
        accounts are off): only then is the shell streamed, its head before any check."""
        ...

    async def runner_for(self, request: Request) -> ViewerOperations | None:
        """None when nobody is signed in (the static shell is served); else the operations
        as the request's viewer."""
        ...


def boot_operation(
    html: str, pattern: re.Pattern[str] = _BOOT_REQUEST
) -> tuple[BootOperation, int] | None:
    """The shell's boot operation (or the one ``pattern`` finds) and the offset just past its
    block, or None without one."""
    match = pattern.search(html)
    if match is None:
        return None
    try:
        body = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    query, variables = body.get("query"), body.get("variables", {})
    if not isinstance(query, str) or not isinstance(variables, dict):
        return None
    return BootOperation(query, variables), match.end()


def script_safe_json(value: object) -> str:
    """JSON for a ``<script type="application/json">`` block: nothing in it can end the
    element or open a comment (``<``, ``>``, ``&`` escaped), nor a line (U+2028/9)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def answer_block(answer: Mapping[str, Any]) -> str:
    """The data block the client's ``boot()`` reads instead of sending the request."""
    block = script_safe_json(answer)
    return f'<script type="application/json" id="{BOOT_ANSWER_ID}">{block}</script>'


def source_hash(text: str) -> str:
    """The CSP source expression allowing this inline script or style."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(
    script_hashes: list[str],
    style_hashes: Sequence[str] = (),
    *,
    connect_origins: Sequence[str] = (),
    media_origins: Sequence[str] = (),
) -> str:
    """The player's CSP: its own origin, plus hashed inline bootstrap scripts and the
    inlined stylesheet, plus the object storage's origins where the player reaches it:
    ``connect_origins`` for direct uploads (PUTs of presigned parts), ``media_origins`` for
    ``<audio>`` and ``<img>`` following a redirect to a presigned GET (CSP checks every hop
    of a redirect)."""
    scripts = " ".join(["'self'", *script_hashes])
    styles = " ".join(["'self'", *style_hashes])
    media = " ".join(["'self'", *media_origins])
    connect = " ".join(["'self'", *connect_origins])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"style-src {styles}",
            f"img-src 'self' data: blob:{''.join(f' {o}' for o in media_origins)}",
            f"media-src {media}",
            f"connect-src {connect}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@dataclass(frozen=True, slots=True)
class StreamedShell:
    """The shell cut where a signed-in viewer's page gets more than the static file: the
    opening (through ``<body …>``, its stylesheet inlined), the painted first screen, the
    part through the boot request, the boot answer, the rest."""

    opening: bytes
    middle: bytes
    tail: bytes
    boot: BootOperation
    first_rows: BootOperation | None


def streamed_shell(
    shell: str, directory: Path, paint: bool
) -> tuple[StreamedShell, str | None] | None:
    """The shell's cuts, and the stylesheet inlined into it (None when none was); None
    without a boot request. Painting needs the first-rows request and ``<body>`` before the
    boot request; without them the first cut is empty and nothing is painted."""
    found = boot_operation(shell)
    if found is None:
        return None
    boot, boot_end = found
    body = _BODY_OPEN.search(shell, 0, boot_end)
    rows = boot_operation(shell, _FIRST_ROWS_REQUEST) if paint and body is not None else None
    if body is None or rows is None:
        return StreamedShell(
            b"", shell[:boot_end].encode(), shell[boot_end:].encode(), boot, None
        ), None
    opening, style = shell[: body.end()], None
    link = _STYLESHEET.search(opening)
    if link is not None:
        style = (directory / link.group(1)).read_text(encoding="utf-8")
        opening = opening[: link.start()] + f"<style>{style}</style>" + opening[link.end() :]
    return (
        StreamedShell(
            opening.encode(),
            shell[body.end() : boot_end].encode(),
            shell[boot_end:].encode(),
            boot,
            rows[0],
        ),
        style,
    )


class PlayerFiles(StaticFiles):
    """Static files with the SPA fallback, cache headers and the player's CSP."""

    def __init__(
        self,
        directory: Path,
        first_screen: FirstScreenSource | None = None,
        *,
        connect_origins: Sequence[str] = (),
        media_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(directory=directory, html=True, check_dir=True)
        self.first_screen = first_screen
        self.template = FirstScreenTemplate.load(directory) if first_screen is not None else None
        shell = (directory / "index.html").read_text(encoding="utf-8")
        cut = streamed_shell(shell, directory, self.template is not None) if first_screen else None
        self._shell = cut[0] if cut is not None else None
        style = cut[1] if cut is not None else None
        # Nested prerendered routes (``admin/missing.html``) bootstrap inline too.
        self.csp = content_security_policy(
            inline_script_hashes(sorted(directory.rglob("*.html"))),
            [source_hash(style)] if style is not None else [],
            connect_origins=connect_origins,
            media_origins=media_origins,
        )

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at ``path``, or the page of a client-side route."""
        if self._shell is not None and path == "." and scope["method"] == "GET":
            page = await self._first_screen_page(Request(scope), self._shell)
            if page is not None:
                return page
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not self._is_client_route(path):
                raise
            response = await self._route_page(path, scope)
        if response.status_code == 404 and self._is_client_route(path):
            response = await self._route_page(path, scope)
        self._decorate(path, response)
        return response

    async def _first_screen_page(self, request: Request, shell: StreamedShell) -> Response | None:
        """The shell streamed to a request with credentials: the first screen painted and
        the boot answer embedded when they name a viewer, else the shell as it is; None
        (the static file) without credentials."""
        source = self.first_screen
        assert source is not None
        if not source.may_have_viewer(request):
            return None

        async def body() -> AsyncIterator[bytes]:
            # The head goes out first, before even the viewer check: the code it names loads,
            # and the styles it inlines are read, while the server works.
            if shell.opening:
                yield shell.opening
            try:
                run = await source.runner_for(request)
            except Exception as error:  # as for a stale cookie: the shell as it is, which asks
                log_failure(logger, error, "the player's first screen could not find the viewer")
                run = None
            if run is None:
                yield shell.middle + shell.tail
                return
            if shell.first_rows is not None and self.template is not None:
                painted = await self._painted(run, shell.first_rows, self.template)
                if painted is not None:
                    yield painted.encode()
            yield shell.middle
            try:
                answer = await run.run(shell.boot.query, shell.boot.variables)
            except Exception as error:  # the shell's own script then sends the request
                log_failure(logger, error, "the player's first screen could not be embedded")
            else:
                yield answer_block(answer).encode()
            yield shell.tail

        return StreamingResponse(
            body(),
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": PER_USER, "Content-Security-Policy": self.csp},
        )

    @staticmethod
    async def _painted(
        run: ViewerOperations, operation: BootOperation, template: FirstScreenTemplate
    ) -> str | None:
        try:
            answer = await run.first_rows(operation.variables)
        except Exception as error:  # the app paints the list itself
            log_failure(logger, error, "the player's first rows could not be painted")
            return None
        return template.paint(answer)

    async def _route_page(self, path: str, scope: Scope) -> Response:
        """``<route>.html`` when the build prerendered one, else the ``index.html`` shell.

        A prerendered page links its assets relative to itself (``./_app/…``), which only
        resolves at the route's own URL; below it, or with a trailing slash, the shell
        (absolute links) is served instead.
        """
        route = path.strip("/")
        if route and route != "." and not str(scope["path"]).endswith("/"):
            try:
                page = await super().get_response(f"{route}.html", scope)
            except HTTPException:
                pass
            else:
                if page.status_code == 200:
                    return page
        return await super().get_response("index.html", scope)

    @staticmethod
    def _is_client_route(path: str) -> bool:
        return not path.startswith(API_PREFIXES) and "." not in path.rsplit("/", 1)[-1]

    def _decorate(self, path: str, response: Response) -> None:
        content_type = response.headers.get("content-type", "")
        if path.startswith("_app/immutable/"):
            response.headers["Cache-Control"] = IMMUTABLE
        elif content_type.startswith("text/html"):
            response.headers["Cache-Control"] = "no-cache"
            response.headers["Content-Security-Policy"] = self.csp
