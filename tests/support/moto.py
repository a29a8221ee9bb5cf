"""A throwaway S3-compatible server for one test run: moto in server mode (``moto[server]``).

It listens on a free loopback port and keeps everything in memory. Authentication is off
(moto's default) until a test turns IAM enforcement on with ``enforce_iam`` — moto then
checks every request's access key and policy, as S3 does — and back off afterwards.
Tests keep apart by bucket: each makes its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# moto accepts any key while authentication is off; these never leave the machine.
ROOT_ACCESS_KEY = "testing-root"
ROOT_SECRET_KEY = "testing-root-secret"


def free_port() -> int:
    """A TCP port nobody listens on now (bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def temporary_moto() -> Iterator[str]:
    """Start ``moto.server``; yield its endpoint URL. Raises RuntimeError if it cannot start."""
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="tonearm-moto-"))
    log = (log_dir / "server.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("moto.server exited at start")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):  # noqa: S310
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError("moto.server did not become ready")


def set_authentication(url: str, *, enforced: bool) -> None:
    """Turn moto's IAM authentication and authorization on (every request from now on) or
    off (``reset-auth`` with infinity, its default)."""
    body = b"0" if enforced else b"inf"
    request = urllib.request.Request(  # noqa: S310 - our own http:// endpoint
        f"{url}/moto-api/reset-auth",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form body would reach moto empty
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
        pass
