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


class RedisServer:
    """A ``redis-server`` on a Unix socket in ``base``; ``stop`` and ``start`` keep its URL."""

    def __init__(self, base: Path) -> None:
        program = shutil.which("redis-server")
        if program is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.program = program
        self.base = base
        self.socket_path = base / "redis.sock"
        self.url = f"unix://{self.socket_path}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        with (self.base / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *[self.program, "--port", "0", "--unixsocket", str(self.socket_path)],
                    *["--unixsocketperm", "700", "--save", "", "--appendonly", "no"],
                    *["--dir", str(self.base)],
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(self.url, self.process)

    def stop(self) -> None:
        """Stop the server (what it held is gone: nothing is saved)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def temporary_redis() -> Iterator[str]:
    """Start a server; yield its ``unix://`` URL. Raises RuntimeError if it cannot start."""
    with running_redis() as server:
        yield server.url


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """Start a server in a temp folder; yield it (to stop and start it again)."""
    base = Path(tempfile.mkdtemp(prefix="tonearm-redis-"))
    try:
        server = RedisServer(base)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
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
