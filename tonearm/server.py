"""Running the ASGI server (granian: it implements ``http.response.pathsend``, so whole-file
responses are sent by the server without passing through Python)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

if TYPE_CHECKING:
    from starlette.types import ASGIApp

WORKERS_KILL_TIMEOUT = 20  # seconds a worker gets to stop (open streams end) before it is killed
# The supervisor's pid, set before granian forks the workers (who inherit it).
_supervisor_pid: int | None = None


def served_app() -> ASGIApp:
    """The app as a granian worker serves it (granian calls this in each worker): one that
    also stops when the supervisor is gone (``lifeline``), so a killed ``tonearm serve``
    never leaves workers serving its port."""
    from tonearm.app import create_app_from_environment
    from tonearm.lifeline import stop_when_orphaned

    if _supervisor_pid is not None:
        stop_when_orphaned(_supervisor_pid, hard_exit_after=WORKERS_KILL_TIMEOUT)
    return create_app_from_environment()


def run_server(
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    on_listening: Callable[[], None] | None = None,
    on_stopped: Callable[[], None] | None = None,
) -> None:
    """Serve ``create_app_from_environment`` (through ``served_app``) until interrupted.

    ``on_listening`` runs once the address is bound, before the workers start;
    ``on_stopped`` once they have stopped (``serve`` starts and stops its variant worker).
    """
    global _supervisor_pid  # noqa: PLW0603 - read by the forked workers
    _supervisor_pid = os.getpid()
    server = Server(
        target="tonearm.server:served_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_level=LogLevels(log_level),
        log_access=False,
        # A worker that dies is started again; its WebSockets drop and clients reconnect.
        respawn_failed_workers=True,
        # A worker still starting when SIGTERM comes may miss it (granian installs its own
        # handler only once it serves): stop waiting for it after a while and kill it, so
        # `tonearm serve` always stops.
        workers_kill_timeout=WORKERS_KILL_TIMEOUT,
    )
    if on_listening is not None:
        server.on_startup(on_listening)
    if on_stopped is not None:
        server.on_shutdown(on_stopped)
    server.serve()
