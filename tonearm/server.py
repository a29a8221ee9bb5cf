"""Running the ASGI server (granian: it implements ``http.response.pathsend``, so whole-file
responses are sent by the server without passing through Python)."""

from __future__ import annotations

from collections.abc import Callable

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server


def run_server(
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    on_listening: Callable[[], None] | None = None,
    on_stopped: Callable[[], None] | None = None,
) -> None:
    """Serve ``create_app_from_environment`` until interrupted.

    ``on_listening`` runs once the address is bound, before the workers start;
    ``on_stopped`` once they have stopped (``serve`` starts and stops its variant worker).
    """
    server = Server(
        target="tonearm.app:create_app_from_environment",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_level=LogLevels(log_level),
        log_access=False,
    )
    if on_listening is not None:
        server.on_startup(on_listening)
    if on_stopped is not None:
        server.on_shutdown(on_stopped)
    server.serve()
