"""Replicas of one tonearm behind a real nginx, on one PostgreSQL and one Redis.

``ReplicaStack`` starts a throwaway PostgreSQL cluster (``support/postgres.py``), a
``redis-server`` (``support/redis.py``), two or more ``tonearm serve`` replicas started
together on an empty database (so the migration lock decides who migrates), and nginx
round-robin in front with the configuration ``tonearm nginx-config --standalone`` prints
for them (``TONEARM_ACCEL=nginx``). Each replica has its own port and its own
``TONEARM_INSTANCE_NAME`` (every response says which one answered in
``X-Tonearm-Instance``); they share the database, the secret key, Redis (the job queue and
the pub/sub bus) and the data dir — cover art, variants and uploads are files, so replicas
must see the same ones (docs/DEPLOYMENT.md).

``python -m tests.support.replica_stack --media-root DIR [--frontend-dir DIR] [--user
NAME:PASSWORD[:admin]]…`` runs one for the browser tests (frontend/e2e/replicas.spec.ts):
it prints one JSON line with the URLs once everything answers, and tears everything down
when its stdin closes or it gets SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import asyncpg
import httpx

from tests.support.postgres import database_url, temporary_cluster
from tests.support.redis import RedisServer, running_redis

SECRET = "replica-stack-secret-key-0123456789abcdef"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT = 180.0  # start-up on a loaded 2-core machine, not a figure


class StackError(RuntimeError):
    """A part of the stack did not start; the message says which and where its log is."""


def free_port() -> int:
    """A free loopback port (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One ``tonearm serve`` of the stack."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its own address, bypassing nginx."""
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ReplicaStack:
    """PostgreSQL, Redis, replicas and nginx; use as a context manager."""

    workdir: Path
    media_root: Path
    names: Sequence[str] = ("a", "b")
    frontend_dir: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    replicas: dict[str, Replica] = field(default_factory=dict)
    nginx_port: int = 0
    postgres_socket: str = ""
    redis: RedisServer | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    _nginx: subprocess.Popen[bytes] | None = None

    # -- the whole stack ---------------------------------------------------------------

    def __enter__(self) -> ReplicaStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def nginx_url(self) -> str:
        """nginx in front of every replica (round-robin)."""
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def database_url(self) -> str:
        """The one database every replica uses."""
        return database_url(self.postgres_socket, "tonearm")

    @property
    def data_dir(self) -> Path:
        """The data dir the replicas share."""
        return self.workdir / "data"

    def start(self) -> None:
        """Start everything and wait until nginx answers for every replica."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.postgres_socket = self._stack.enter_context(temporary_cluster())
        self.redis = self._stack.enter_context(running_redis())
        asyncio.run(_admin(self.postgres_socket, 'CREATE DATABASE "tonearm"'))
        for name in self.names:
            self.replicas[name] = Replica(name, free_port(), self.workdir / f"replica-{name}.log")
        self.nginx_port = free_port()
        # Started together on an empty database: the migration lock lets one migrate.
        for replica in self.replicas.values():
            self.start_replica(replica.name, wait=False)
        for replica in self.replicas.values():
            self.wait_healthy(replica)
        self._start_nginx()

    def close(self) -> None:
        """Stop nginx, the replicas, Redis and PostgreSQL; remove what they kept."""
        if self._nginx is not None:
            _stop(self._nginx)
            self._nginx = None
        for replica in self.replicas.values():
            self.stop_replica(replica.name)
        self._stack.close()

    # -- replicas ----------------------------------------------------------------------

    def env(self, name: str | None = None) -> dict[str, str]:
        """The environment of a replica (``name``), or of a ``tonearm`` command beside them."""
        assert self.redis is not None
        env = {
            **os.environ,
            "TONEARM_DATA_DIR": str(self.data_dir),
            "TONEARM_DATABASE_URL": self.database_url,
            "TONEARM_SECRET_KEY": SECRET,
            "TONEARM_MEDIA_ROOT": str(self.media_root),
            "TONEARM_REDIS_URL": self.redis.url,
            "TONEARM_ACCEL": "nginx",
            "TONEARM_WORKERS": "1",
            "TONEARM_LOG_LEVEL": "info",
            "TONEARM_FRONTEND_DIR": str(self.frontend_dir or self.workdir / "no-frontend"),
            **self.extra_env,
        }
        for unset in ("TONEARM_AUTH", "TONEARM_PUBSUB", "TONEARM_UPLOADS_DIR"):
            if unset not in self.extra_env:
                env.pop(unset, None)
        if name is not None:
            env["TONEARM_INSTANCE_NAME"] = name
        return env

    def start_replica(self, name: str, *, wait: bool = True) -> Replica:
        """Start ``tonearm serve`` for replica ``name`` (in a process group of its own)."""
        replica = self.replicas[name]
        with replica.log.open("ab") as log:
            replica.process = subprocess.Popen(
                [*tonearm_command(), "serve", "--host", "127.0.0.1", "--port", str(replica.port)],
                cwd=self.workdir,
                env=self.env(name),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_healthy(replica)
        return replica

    def kill_replica(self, name: str) -> None:
        """SIGKILL replica ``name`` and every process of it (supervisor, workers)."""
        replica = self.replicas[name]
        if replica.process is not None:
            _signal_group(replica.process, signal.SIGKILL)
            replica.process.wait()
            replica.process = None

    def stop_replica(self, name: str) -> None:
        """Stop replica ``name`` as an admin would (SIGTERM, then SIGKILL after 15 s)."""
        replica = self.replicas[name]
        if replica.process is None:
            return
        _signal_group(replica.process, signal.SIGTERM)
        try:
            replica.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(replica.process, signal.SIGKILL)
            replica.process.wait()
        replica.process = None

    def wait_healthy(self, replica: Replica) -> None:
        """Wait until the replica's ``/healthz`` answers 200."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if replica.process is None or replica.process.poll() is not None:
                raise StackError(f"replica {replica.name} exited: {_tail(replica.log)}")
            if _healthy(replica.url):
                return
            time.sleep(0.2)
        raise StackError(f"replica {replica.name} did not become healthy: {_tail(replica.log)}")

    def tonearm(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a ``tonearm`` command against the stack's database and data dir."""
        return subprocess.run(
            [*tonearm_command(), *args],
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            cwd=self.workdir,
        )

    def add_user(self, username: str, password: str, *, admin: bool = False) -> None:
        """``tonearm user add`` (password on stdin); admins may upload."""
        self.tonearm(
            "user", "add", username, *(["--admin"] if admin else []), stdin=password + "\n"
        )

    # -- nginx -------------------------------------------------------------------------

    def _start_nginx(self) -> None:
        folder = self.workdir / "nginx"
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        upstreams = [arg for r in self.replicas.values() for arg in ("--upstream", r.url[7:])]
        config = self.tonearm(
            "nginx-config",
            "--standalone",
            str(folder),
            "--listen",
            f"127.0.0.1:{self.nginx_port}",
            *upstreams,
        )
        # One nginx worker: round-robin then alternates strictly between the replicas.
        text = config.stdout.replace("worker_processes auto;", "worker_processes 1;")
        (folder / "nginx.conf").write_text(text)
        # Started as root, nginx's workers would drop to nobody, who cannot enter the
        # private temp folders the roots are in.
        globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        with (folder / "stdout.log").open("ab") as log:
            self._nginx = subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", globals_],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not _healthy(self.nginx_url):
            if self._nginx.poll() is not None or time.monotonic() > deadline:
                raise StackError(f"nginx did not start: {_tail(folder / 'error.log')}")
            time.sleep(0.1)


def tonearm_command() -> list[str]:
    """How to run ``tonearm`` from this checkout (this interpreter, ``-m tonearm.cli``)."""
    return [sys.executable, "-m", "tonearm.cli"]


async def _admin(socket_dir: str, statement: str) -> None:
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return f"(no log at {path})"


@contextmanager
def _terminated_by_sigterm() -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a stack until stdin closes or SIGTERM; print its URLs as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.replica_stack")
    parser.add_argument("--media-root", required=True, type=Path)
    parser.add_argument("--frontend-dir", type=Path)
    parser.add_argument("--logs", type=Path, help="copy the replicas' and nginx's logs here")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD[:admin]")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tonearm-replicas-"))
    stack = ReplicaStack(workdir, args.media_root.resolve(), frontend_dir=args.frontend_dir)
    try:
        with _terminated_by_sigterm(), stack:
            for spec in args.user:
                name, password, *role = spec.split(":")
                stack.add_user(name, password, admin=role == ["admin"])
            ready = {
                "nginx": stack.nginx_url,
                "replicas": {name: r.url for name, r in stack.replicas.items()},
            }
            print(json.dumps(ready), flush=True)
            sys.stdin.read()  # until the test runner closes it (or SIGTERM)
    except StackError as error:
        print(f"replica stack: {error}", file=sys.stderr)
        return 1
    finally:
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in [*workdir.glob("replica-*.log"), workdir / "nginx" / "error.log"]:
                if log.exists():
                    shutil.copyfile(log, args.logs / f"replicas-{log.name}")
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
