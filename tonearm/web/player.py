"""Serving the built web player (``frontend/build``) at ``/`` with SPA fallback.

A client route is answered with its prerendered page when the build has one (``/admin`` →
``admin.html``), else with ``index.html`` (the SPA fallback); either boots the router there.

The player gets a strict Content-Security-Policy: everything from its own origin, and inline
scripts only where their SHA-256 matches one of the bootstrap scripts in the built HTML.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)
# Paths that belong to the API; a miss there is a 404, never the player's index.html.
API_PREFIXES = ("api/", "graphql", "healthz")
IMMUTABLE = "public, max-age=31536000, immutable"


def inline_script_hashes(html_files: list[Path]) -> list[str]:
    """CSP source expressions for every inline script in the given HTML files."""
    hashes: set[str] = set()
    for html_file in html_files:
        for script in _INLINE_SCRIPT.findall(html_file.read_text(encoding="utf-8")):
            digest = hashlib.sha256(script.encode("utf-8")).digest()
            hashes.add(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return sorted(hashes)


def content_security_policy(script_hashes: list[str]) -> str:
    """The player's CSP: its own origin only, plus hashed inline bootstrap scripts."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class PlayerFiles(StaticFiles):
    """Static files with the SPA fallback, cache headers and the player's CSP."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=True)
        # Nested prerendered routes (``admin/missing.html``) bootstrap inline too.
        self.csp = content_security_policy(inline_script_hashes(sorted(directory.rglob("*.html"))))

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at ``path``, or the page of a client-side route."""
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
