"""``X-Forwarded-For`` and ``X-Forwarded-Proto``, believed only from trusted proxies.

Behind a proxy (nginx terminating TLS, a load balancer) the connection's peer is the proxy
and its scheme is plain HTTP. This middleware rewrites the ASGI scope — ``client`` and
``scheme`` — from the forwarded headers when, and only when, the peer is one of
``TONEARM_TRUSTED_PROXIES``, so everything downstream that reads the scope agrees: the
``Secure`` flag of cookies and the server's own origin (``web.credentials``), the login
limit's client address (``resolvers.accounts.client_address``) and the access log.

The client is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy
(each proxy appends the address it saw; only the ones we trust cannot be forged), as in
uvicorn's and granian's proxy-header helpers. Unlike them, a value that is not an IP
address stops the walk at the proxy that passed it on, and the forwarded scheme is taken
from a trusted peer even without ``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss"}


def is_trusted(address: str | None, trusted: Sequence[Network]) -> bool:
    """Whether ``address`` (an IP address as text) lies in one of the trusted networks."""
    if not address or not trusted:
        return False
    return _is_trusted(address, tuple(trusted))


@lru_cache(maxsize=1024)
def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    # Memoized: every request asks it about its peer, and the peers are few.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in trusted)


def forwarded_client(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is trusted, else read from the hops.

    ``forwarded_for`` are the ``X-Forwarded-For`` header values in order. Walking them from
    the right, each trusted hop passes the walk on; the first untrusted address is the
    client. A malformed entry is not believed: the trusted hop that passed it on is the
    answer. When every hop is trusted, the left-most is.
    """
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    nearest = peer
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return nearest
        if not is_trusted(address, trusted):
            return address
        nearest = address
    return nearest


def forwarded_scheme(values: Iterable[str]) -> str | None:
    """``http`` or ``https`` from ``X-Forwarded-Proto`` (the nearest proxy's, the last
    value), or None when it says neither."""
    names = [name.strip().lower() for value in values for name in value.split(",")]
    names = [name for name in names if name]
    return _SCHEMES.get(names[-1]) if names else None


class ForwardedHeadersMiddleware:
    """Rewrites ``scope["client"]`` and ``scope["scheme"]`` from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            client = scope.get("client")
            if client and is_trusted(client[0], self.trusted):
                scope = self._rewritten(scope, client[0])
        await self.app(scope, receive, send)

    def _rewritten(self, scope: Scope, peer: str) -> Scope:
        forwarded_for: list[str] = []
        proto: list[str] = []
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto.append(value.decode("latin-1"))
        if not forwarded_for and not proto:
            return scope
        scope = dict(scope)
        if forwarded_for:
            scope["client"] = (forwarded_client(peer, forwarded_for, self.trusted), 0)
        scheme = forwarded_scheme(proto)
        if scheme is not None:
            scope["scheme"] = _WEBSOCKET_SCHEMES[scheme] if scope["type"] == "websocket" else scheme
        return scope


__all__ = [
    "ForwardedHeadersMiddleware",
    "Network",
    "forwarded_client",
    "forwarded_scheme",
    "is_trusted",
]
