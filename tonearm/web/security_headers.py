"""Headers every response carries, whatever produced it (and, with ``TONEARM_INSTANCE_NAME``,
which replica answered)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Stream tokens travel in URLs; keep them out of Referer headers sent elsewhere.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Names the replica that answered (``TONEARM_INSTANCE_NAME``): for operators and tests
# behind a load balancer.
INSTANCE_HEADER = "X-Tonearm-Instance"


class SecurityHeadersMiddleware:
    """Adds ``SECURITY_HEADERS`` (and ``INSTANCE_HEADER`` when this replica has a name) to
    every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, instance_name: str | None = None) -> None:
        self.app = app
        self.headers: Mapping[str, str] = (
            {**SECURITY_HEADERS, INSTANCE_HEADER: instance_name}
            if instance_name
            else SECURITY_HEADERS
        )
        self._raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw += [pair for pair in self._raw if pair[0] not in present]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_wrapper)
