"""The ``tonearm`` command as a user runs it: exact exit codes and messages.

Anything about processes (``serve`` and its preparing child, ports, workers, a launcher
found first on ``sys.path``, the scan summary) runs a real ``tonearm`` process (``run``);
commands that only read settings and the database run ``tonearm.cli.main`` in this process
(``in_process``), with the same environment rules, folder and piped stdin, since starting
Python and importing the app took over a second per command.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.audio import write_mp3
from tonearm.cli import main

TONEARM = [sys.executable, "-m", "tonearm.cli"]


def run(
    args: list[str], tmp_path: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    clean.update({"TONEARM_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [*TONEARM, *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        input=stdin,
        timeout=120,
        check=False,
    )


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """``run``'s twin that calls ``tonearm.cli.main`` here: same environment, folder, stdin."""

    def run_here(
        args: list[str], tmp_path: Path = tmp_path, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        root = logging.getLogger()
        saved_handlers, saved_level = root.handlers[:], root.level
        capsys.readouterr()
        with monkeypatch.context() as patch:
            for name in os.environ:
                if name.startswith("TONEARM_"):
                    patch.delenv(name)
            patch.setenv("TONEARM_DATA_DIR", str(tmp_path / "data"))
            for name, value in env.items():
                patch.setenv(name, value)
            patch.chdir(tmp_path)
            patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
            try:
                returncode = main(args)
            except SystemExit as exit_:  # argparse's usage errors
                returncode = int(exit_.code or 0)
            finally:  # main() configures logging for a process; give pytest its own back
                root.handlers[:] = saved_handlers
                root.setLevel(saved_level)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, returncode, out, err)

    return run_here


def test_scan_prints_a_summary(tmp_path: Path, media_root: Path) -> None:
    write_mp3(media_root / "one.mp3", title="One")
    (media_root / "x.mp3").write_text("not audio")

    result = run(["scan", "--media-root", str(media_root)], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "│ added       │ 1 " in result.stdout
    assert "│ missing     │ 0 " in result.stdout
    assert "│ re-attached │ 0 " in result.stdout
    assert "│ skipped     │ 1 " in result.stdout
    assert "skipped 1: unsupported type text/plain" in result.stdout


def test_scan_confirm_missing_marks_the_files_of_an_emptied_root(
    tmp_path: Path, media_root: Path
) -> None:
    write_mp3(media_root / "one.mp3", title="One")
    assert run(["scan", "--media-root", str(media_root)], tmp_path).returncode == 0
    (media_root / "one.mp3").unlink()

    kept = run(["scan", "--media-root", str(media_root)], tmp_path)
    confirmed = run(["scan", "--media-root", str(media_root), "--confirm-missing"], tmp_path)

    assert "│ missing     │ 0 " in kept.stdout
    assert "warning:" in kept.stdout
    assert "│ missing     │ 1 " in confirmed.stdout
    assert "warning:" not in confirmed.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"TONEARM_MEDIA_ROOT": "/no/such/folder"},
            "tonearm: error: media root '/no/such/folder' does not exist.\n",
        ),
        ({}, "tonearm: error: TONEARM_MEDIA_ROOT is not set: point it at your music folder.\n"),
        (
            {"TONEARM_MEDIA_ROOT": ".", "TONEARM_DATABASE_URL": "postgress://me@host/db"},
            "tonearm: error: TONEARM_DATABASE_URL uses 'postgress'; "
            "supported: postgresql+asyncpg, sqlite+aiosqlite.\n",
        ),
        (
            {"TONEARM_MEDIA_ROOT": ".", "TONEARM_DATABASE_URL": "not a url"},
            "tonearm: error: TONEARM_DATABASE_URL is not a valid database URL (expected "
            "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB).\n",
        ),
        (
            {"TONEARM_MEDIA_ROOT": ".", "TONEARM_STREAM_URL_TTL": "soon"},
            "tonearm: error: invalid setting: TONEARM_STREAM_URL_TTL: Input should be a valid "
            "integer, unable to parse string as an integer\n",
        ),
    ],
)
@pytest.mark.parametrize("command", ["scan", "serve"])
def test_configuration_mistakes_are_one_line_errors(
    tmp_path: Path, in_process: Run, command: str, env: dict[str, str], message: str
) -> None:
    result = (in_process if command == "scan" else run)([command], tmp_path, **env)

    assert (result.returncode, result.stderr, result.stdout) == (2, message, "")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"TONEARM_WORKERS": "0"},
            "tonearm: error: invalid setting: TONEARM_WORKERS: Input should be greater than or "
            "equal to 1\n",
        ),
        (
            {"TONEARM_LOG_LEVEL": "loud"},
            "tonearm: error: invalid setting: TONEARM_LOG_LEVEL: Input should be 'debug', "
            "'info', 'warning' or 'error'\n",
        ),
    ],
)
def test_serve_settings_mistakes_are_one_line_errors(
    tmp_path: Path, media_root: Path, env: dict[str, str], message: str
) -> None:
    result = run(["serve", "--media-root", str(media_root)], tmp_path, **env)

    assert (result.returncode, result.stderr, result.stdout) == (2, message, "")


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_unreachable_database_is_a_one_line_error(
    tmp_path: Path, in_process: Run, command: str
) -> None:
    result = (in_process if command == "migrate" else run)(
        [command],
        tmp_path,
        TONEARM_MEDIA_ROOT=".",
        TONEARM_DATABASE_URL="postgresql+asyncpg://tonearm:hunter2@127.0.0.1:9/x",
    )

    assert result.returncode == 2
    assert result.stderr.startswith("tonearm: error: cannot use the database: ")
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.stderr


def test_migrate_creates_the_sqlite_registry(tmp_path: Path, in_process: Run) -> None:
    result = in_process(["migrate"], tmp_path)

    assert (result.returncode, result.stdout) == (0, "database is at the latest migration\n")
    assert (tmp_path / "data" / "tonearm.db").is_file()


def test_open_access_is_refused_on_a_public_address(tmp_path: Path, media_root: Path) -> None:
    result = run(
        ["serve", "--host", "0.0.0.0", "--media-root", str(media_root)],  # noqa: S104
        tmp_path,
        TONEARM_AUTH="none",
    )

    assert result.returncode == 2
    assert result.stderr == (
        "tonearm: error: TONEARM_AUTH=none would open the library to anyone who can reach "
        "0.0.0.0; bind to 127.0.0.1, or set TONEARM_AUTH_NONE_ALLOW_REMOTE=true if you mean "
        "it.\n"
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_serve_prepares_with_its_own_code_whatever_the_working_folder_holds(
    tmp_path: Path,
) -> None:
    # Like the installed `tonearm` script: started from a folder holding another checkout.
    launcher = tmp_path / "bin" / "tonearm-launcher.py"
    launcher.parent.mkdir()
    launcher.write_text("import sys\nfrom tonearm.cli import main\nsys.exit(main())\n")
    other = tmp_path / "tonearm"
    other.mkdir()
    (other / "__init__.py").write_text("")
    (other / "cli.py").write_text("raise SystemExit('the other checkout answered')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(TONEARM_DATA_DIR=str(tmp_path / "data"), TONEARM_MEDIA_ROOT="/no/such/folder")

    result = subprocess.run(
        [sys.executable, str(launcher), "serve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )

    assert (result.returncode, result.stderr) == (
        2,
        "tonearm: error: media root '/no/such/folder' does not exist.\n",
    )


def test_a_busy_port_is_a_one_line_error(tmp_path: Path, media_root: Path, busy_port: int) -> None:
    result = run(
        ["serve", "--port", str(busy_port), "--media-root", str(media_root)],
        tmp_path,
        TONEARM_LOG_LEVEL="warning",
        TONEARM_AUTH="none",
    )

    assert (result.returncode, result.stderr) == (
        2,
        f"tonearm: error: cannot serve on 127.0.0.1:{busy_port}: Address already in use "
        "(os error 98)\n",
    )


def test_serve_demo_shows_the_first_admin_password_once_on_the_terminal(
    tmp_path: Path, media_root: Path, busy_port: int, database_url_for_test: str
) -> None:
    # The start-up steps run in a child process; the busy port ends the run right after them.
    serve = ["serve", "--demo", "--port", str(busy_port), "--media-root", str(media_root)]
    env = {"TONEARM_LOG_LEVEL": "warning", "TONEARM_DATABASE_URL": database_url_for_test}

    first = run(serve, tmp_path, **env)
    second = run(serve, tmp_path, **env)
    listed = run(["user", "list"], tmp_path, **env)

    (password,) = re.findall(r"^    password: (\S+)$", first.stdout, flags=re.MULTILINE)
    assert len(password) >= 16
    assert "username: admin" in first.stdout
    assert first.stderr == second.stderr
    assert first.stderr.startswith("tonearm: error: cannot serve on ")
    assert password not in first.stderr
    assert "password" not in second.stdout
    assert listed.stdout.splitlines()[1].split()[:3] == ["admin", "admin", "active"]


def test_serve_sweeps_what_interrupted_uploads_left_before_it_listens(
    tmp_path: Path, media_root: Path, busy_port: int
) -> None:
    staging = tmp_path / "data" / "uploads" / ".staging"
    staging.mkdir(parents=True)
    stale, fresh = staging / "stale.part", staging / "fresh.part"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"being received")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    # The preparing child sweeps; the busy port ends the run right after it.
    served = run(
        ["serve", "--port", str(busy_port), "--media-root", str(media_root)],
        tmp_path,
        TONEARM_AUTH="none",
    )

    swept, refused = served.stderr.splitlines()
    assert swept.endswith(
        "INFO    tonearm.uploads.sweep: upload sweep: 1 stale staging files, 0 expired uploads "
        "removed, 0 multipart uploads aborted"
    )
    assert refused.startswith("tonearm: error: cannot serve on ")
    assert sorted(p.name for p in staging.iterdir()) == ["fresh.part"]


def test_the_workers_setting_sets_how_many_workers_serve(tmp_path: Path, media_root: Path) -> None:
    port = _free_port()
    with _serve_two_workers(tmp_path, media_root, port) as server:
        try:
            workers = _wait_for_workers(server, port)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for pid in _children(server.pid):  # a test never hangs the run
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
                server.kill()
                raise

    assert len(workers) == 2


def test_workers_stop_when_serve_is_killed(tmp_path: Path, media_root: Path) -> None:
    # SIGKILL (the OOM killer) gives the supervisor no chance to stop its workers: each
    # notices its new parent and stops on its own, instead of serving the port forever.
    port = _free_port()
    with _serve_two_workers(tmp_path, media_root, port) as server:
        workers = [int(pid) for pid in _wait_for_workers(server, port)]
        try:
            server.kill()
            server.wait()
            deadline = time.monotonic() + 60  # a loaded 2-core machine, not a figure
            while (alive := [pid for pid in workers if _running(pid)]) and (
                time.monotonic() < deadline
            ):
                time.sleep(0.2)
            assert alive == []
            with pytest.raises(httpx.TransportError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        finally:
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_two_workers(tmp_path: Path, media_root: Path, port: int) -> subprocess.Popen[bytes]:
    """``tonearm serve`` with two granian workers and no embedded variant worker (only
    granian's workers are counted)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(
        TONEARM_DATA_DIR=str(tmp_path / "data"),
        TONEARM_MEDIA_ROOT=str(media_root),
        TONEARM_AUTH="none",
        TONEARM_WORKERS="2",
        TONEARM_WORKERS_EMBEDDED="false",
    )
    return subprocess.Popen(
        [*TONEARM, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie re-parented to init counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[str]:
    found: list[str] = []
    # A thread may end while we look: it has no children to count then.
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += (task / "children").read_text().split()
    return found


def _wait_for_workers(server: subprocess.Popen[bytes], port: int) -> list[str]:
    """The server's worker processes, once it answers and they have all started."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, "tonearm serve exited"
        with contextlib.suppress(httpx.TransportError):
            healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
            if healthy and len(_children(server.pid)) >= 2:
                time.sleep(1)  # would a third appear?
                return _children(server.pid)
        time.sleep(0.2)
    raise AssertionError("tonearm serve did not start its workers")


def test_user_commands_take_passwords_from_stdin(tmp_path: Path, in_process: Run) -> None:
    added = in_process(["user", "add", "Alice", "--admin"], tmp_path, stdin="a fine password\n")
    duplicate = in_process(["user", "add", "alice"], tmp_path, stdin="another password\n")
    weak = in_process(["user", "add", "bob"], tmp_path, stdin="short\n")
    listener = in_process(["user", "add", "Bob"], tmp_path, stdin="bobs own password\n")
    disabled = in_process(["user", "disable", "BOB"], tmp_path)
    listed = in_process(["user", "list"], tmp_path)
    ghost = in_process(["user", "enable", "ghost"], tmp_path)

    assert (added.returncode, added.stdout) == (0, "created admin 'Alice'\n")
    assert (duplicate.returncode, duplicate.stderr) == (
        2,
        "tonearm: error: a user named 'alice' already exists\n",
    )
    assert (weak.returncode, weak.stderr) == (
        2,
        "tonearm: error: passwords need at least 8 characters\n",
    )
    assert (listener.returncode, listener.stdout) == (0, "created listener 'Bob'\n")
    assert (disabled.returncode, disabled.stdout) == (0, "disabled 'Bob'\n")
    assert [line.split() for line in listed.stdout.splitlines()[1:]] == [
        ["Alice", "admin", "active", "yes", "never"],
        ["Bob", "listener", "disabled", "no", "never"],
    ]
    assert (ghost.returncode, ghost.stderr) == (2, "tonearm: error: no user named 'ghost'\n")
    for result in (added, duplicate, weak, disabled, listed):
        assert "a fine password" not in result.stdout + result.stderr


def test_user_commands_grant_and_withdraw_the_upload_permission(
    tmp_path: Path, in_process: Run
) -> None:
    added = in_process(["user", "add", "dana", "--can-upload"], tmp_path, stdin="danas password\n")
    in_process(["user", "add", "eve"], tmp_path, stdin="eves own password\n")
    granted = in_process(["user", "set", "EVE", "--can-upload"], tmp_path)
    withdrawn = in_process(["user", "set", "dana", "--no-can-upload"], tmp_path)
    nothing = in_process(["user", "set", "dana"], tmp_path)
    ghost = in_process(["user", "set", "ghost", "--can-upload"], tmp_path)
    listed = in_process(["user", "list"], tmp_path)

    assert (added.returncode, added.stdout) == (0, "created listener 'dana' who may upload\n")
    assert (granted.returncode, granted.stdout) == (0, "'eve' may upload\n")
    assert (withdrawn.returncode, withdrawn.stdout) == (0, "'dana' may no longer upload\n")
    assert (nothing.returncode, nothing.stderr) == (
        2,
        "tonearm: error: nothing to set: give --can-upload or --no-can-upload\n",
    )
    assert (ghost.returncode, ghost.stderr) == (2, "tonearm: error: no user named 'ghost'\n")
    assert [line.split()[:4] for line in listed.stdout.splitlines()[1:]] == [
        ["dana", "listener", "active", "no"],
        ["eve", "listener", "active", "yes"],
    ]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    tmp_path: Path, in_process: Run
) -> None:
    in_process(["user", "add", "Alice", "--admin"], tmp_path, stdin="a fine password\n")

    disabled = in_process(["user", "disable", "alice"], tmp_path)
    demoted = in_process(["user", "role", "alice", "listener"], tmp_path)
    in_process(["user", "add", "bob"], tmp_path, stdin="bobs own password\n")
    promoted = in_process(["user", "role", "bob", "admin"], tmp_path)
    now_allowed = in_process(["user", "role", "alice", "listener"], tmp_path)

    message = "tonearm: error: 'Alice' is the only active admin; make another user an admin first\n"
    assert (disabled.returncode, disabled.stderr) == (2, message)
    assert (demoted.returncode, demoted.stderr) == (2, message)
    assert (promoted.returncode, promoted.stdout) == (0, "'bob' is now an admin\n")
    assert (now_allowed.returncode, now_allowed.stdout) == (0, "'Alice' is now a listener\n")


def test_reset_prints_a_one_time_password_that_must_be_changed(
    tmp_path: Path, in_process: Run
) -> None:
    in_process(["user", "add", "carol"], tmp_path, stdin="carols password\n")

    reset = in_process(["user", "reset", "Carol"], tmp_path)
    listed = in_process(["user", "list"], tmp_path)

    assert reset.returncode == 0, reset.stderr
    heading, password = reset.stdout.splitlines()
    assert heading == (
        "one-time password for 'carol' (shown once; they choose a new one after signing in):"
    )
    assert len(password) == 16
    assert listed.stdout.splitlines()[1].split() == [
        "carol",
        "listener",
        "active",
        "no",
        "never",
        "(one-time",
        "password)",
    ]
