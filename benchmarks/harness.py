"""What every server benchmark needs: a free port, a process group to start and stop, a
readiness wait and the memory of a process tree.

Benchmarks run as scripts (``python benchmarks/x.py``), so this module is imported as
``harness`` from the benchmarks folder; it uses only the standard library and httpx.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(
    command: list[str], *, env: dict[str, str], cwd: Path, log: Path, stop_timeout: float = 20
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group, output to ``log``; stop the group after."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            # Only this process group: the server we started and its workers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_http(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    timeout: float = 120,
    method: str = "GET",
    log: Path | None = None,
) -> None:
    """Poll ``url`` until it answers below 500; fail at once if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = f":\n{log.read_text()[-4000:]}" if log is not None else ""
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}{tail}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.request(method, url, timeout=2).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, parents before children."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found.extend(descendants(int(child)))
    return found


def tree_rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants, in MiB."""
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024
