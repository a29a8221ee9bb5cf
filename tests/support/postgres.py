"""A throwaway PostgreSQL cluster for one test run (Debian's ``postgresql`` package).

The cluster lives in a temp folder, listens only on a Unix socket there, and is stopped and
deleted at the end of the run. As root, the server runs as the ``postgres`` system user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live, newest version first; None when not installed."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def temporary_cluster() -> Iterator[str]:
    """Start a cluster; yield the socket directory. Raises RuntimeError if it cannot start."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="tonearm-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(socket_dir, "postgres")
    run = lambda *cmd: subprocess.run(  # noqa: E731
        _as_server_user(list(cmd)), check=True, capture_output=True, cwd=base
    )
    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        start_server(str(socket_dir))
        yield str(socket_dir)
    finally:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            cwd=base,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def start_server(socket_dir: str) -> None:
    """Start (or start again) the server of a cluster made by ``temporary_cluster``."""
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    base = Path(socket_dir).parent
    options = (
        f"-c listen_addresses='' -c unix_socket_directories='{socket_dir}' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200"
    )
    command = [str(bin_dir / "pg_ctl"), "-D", str(base / "data"), "-o", options, "-w"]
    command += ["-t", "60", "-l", str(base / "server.log"), "start"]
    subprocess.run(_as_server_user(command), check=True, capture_output=True, cwd=base)
    _wait_ready(bin_dir, Path(socket_dir))


def stop_server(socket_dir: str) -> None:
    """Stop the server of a cluster made by ``temporary_cluster`` (``-m fast``: its
    connections are cut, as in a restart); ``start_server`` brings it back."""
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None
    base = Path(socket_dir).parent
    command = [str(bin_dir / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "-w", "stop"]
    subprocess.run(_as_server_user(command), check=True, capture_output=True, cwd=base)


def _wait_ready(bin_dir: Path, socket_dir: Path) -> None:
    for _ in range(100):
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", str(socket_dir), "-U", "postgres"],
            capture_output=True,
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not become ready")


def database_url(socket_dir: str, database: str) -> str:
    """An asyncpg URL for ``database`` on the cluster's socket."""
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
