"""Reading and writing credentials on HTTP requests: bearer tokens, the session cookie, and
the Origin check that guards cookie-authenticated writes against cross-site requests."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import HTTPConnection
from starlette.responses import Response

from tonearm.accounts.sessions import SESSION_COOKIE, SESSION_LIFETIME

NO_CREDENTIALS = ""


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of ``Authorization: Bearer …``; ``NO_CREDENTIALS`` for any other scheme
    (which then authenticates nobody), None when the header is absent."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return NO_CREDENTIALS
    return token.strip()


def session_cookie(connection: HTTPConnection) -> str | None:
    """The session cookie's value, if the request carries one."""
    return connection.cookies.get(SESSION_COOKIE) or None


def set_session_cookie(response: Response, connection: HTTPConnection, secret: str) -> None:
    """Hand the browser its session: httpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=connection.url.scheme == "https",
    )


def clear_session_cookie(response: Response, connection: HTTPConnection) -> None:
    """Tell the browser to forget its session cookie."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=connection.url.scheme == "https",
    )


# A WebSocket handshake is addressed to ws(s)://, but its page's Origin is http(s)://.
_PAGE_SCHEMES = {"ws": "http", "wss": "https"}


def own_origin(connection: HTTPConnection) -> str:
    """The origin this request was addressed to (scheme and Host header); for a WebSocket,
    the origin of a page served by this server."""
    scheme = _PAGE_SCHEMES.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.headers.get('host', '')}".lower()


def origin_allowed(connection: HTTPConnection, allowed: Iterable[str]) -> bool:
    """Whether the request's ``Origin`` is this server or one of the configured origins.

    A missing Origin is refused: browsers send one with every cross-origin request and with
    every same-origin POST, so only non-browser clients omit it, and those should use
    bearer tokens, which need no CSRF protection.
    """
    origin = connection.headers.get("origin")
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    return origin == own_origin(connection) or origin in {o.lower() for o in allowed}
