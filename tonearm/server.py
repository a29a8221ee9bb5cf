"""Running the ASGI server (granian: it implements ``http.response.pathsend``, so whole-file
responses are sent by the server without passing through Python)."""

from __future__ import annotations

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server


def run_server(*, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve ``create_app_from_environment`` until interrupted."""
    Server(
        target="tonearm.app:create_app_from_environment",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_level=LogLevels(log_level),
        log_access=False,
    ).serve()
