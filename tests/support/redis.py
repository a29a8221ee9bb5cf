"""A throwaway ``redis-server`` for one test run (Debian's ``redis-server`` package).

It listens only on a Unix socket in a temp folder (no TCP port), keeps nothing on disk,
and is shut down and deleted at the end of the run.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


@contextmanager
def temporary_redis() -> Iterator[str]:
    """Start a server; yield its ``unix://`` URL. Raises RuntimeError if it cannot start."""
    program = shutil.which("redis-server")
    if program is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    base = Path(tempfile.mkdtemp(prefix="tonearm-redis-"))
    socket_path = base / "redis.sock"
    log = (base / "server.log").open("wb")
    server = subprocess.Popen(
        [
            program,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(base),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"unix://{socket_path}"
    try:
        _wait_ready(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            if server.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            try:
                if client.ping():
                    return
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError("redis-server did not become ready")


def flush(url: str) -> None:
    """Empty the URL's database (each test starts from an empty queue).

    Only that one: under xdist other workers' queues live in the server's other databases.
    """
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
