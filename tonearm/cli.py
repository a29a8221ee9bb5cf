"""The ``tonearm`` command: serve, worker, migrate, scan, transcode, demo-library, user, ….

Every expected failure (bad setting, unreachable database, missing media root) ends in one
line on stderr and exit status 2, never a traceback.

``tonearm serve`` stays a small supervisor: this module imports only the standard library at
the top, and the start-up work (settings, migrations, the first admin, the demo library,
the scan) runs in a child ``tonearm`` process before granian forks its workers, so neither
the supervisor nor the workers it forks carry SQLAlchemy, Alembic, argon2, mutagen,
libmagic or lameenc for it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import ipaddress
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tonearm.settings import Settings

logger = logging.getLogger("tonearm")
EXIT_CONFIG = 2
LOG_LEVELS = ("debug", "info", "warning", "error")
EXIT_FAILED = 1
WORKER_STOP_SECONDS = 15


def _settings(args: argparse.Namespace) -> Settings:
    from tonearm.settings import Settings

    overrides: dict[str, Any] = {}
    if getattr(args, "media_root", None):
        overrides["media_root"] = Path(args.media_root)
    return Settings(**overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending database migrations."""
    from tonearm.db.migrations import upgrade_to_head

    settings = _settings(args)
    upgrade_to_head(settings.resolved_database_url)
    print("database is at the latest migration")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Scan the media root into the registry and print a summary."""
    from rich.console import Console

    from tonearm.db.migrations import upgrade_to_head
    from tonearm.library.report import print_summary, rich_progress
    from tonearm.library.scanner import ScanOptions, scan_library

    settings = _settings(args)
    media_root = settings.require_media_root()
    upgrade_to_head(settings.resolved_database_url)
    console = Console(stderr=True)

    async def run() -> int:
        from tonearm.db.engine import engine_for
        from tonearm.pubsub.backends import bus_for
        from tonearm.pubsub.library_events import ScanAnnouncer
        from tonearm.storage.setup import storage_for
        from tonearm.transcoding.jobs import on_scan_hook

        async with engine_for(settings.resolved_database_url) as engine:
            bus = bus_for(settings, engine)  # publish only: no listener starts
            storage = storage_for(settings)  # where covers go
            options = ScanOptions.from_settings(
                artist_split_exceptions=settings.artist_split_exceptions,
                data_dir=settings.data_dir,
                uploads_root=settings.resolved_uploads_dir,
                storage=storage,
            )
            options = dataclasses.replace(
                options,
                tracks_written=on_scan_hook(settings, engine),
                include_purged=getattr(args, "include_purged", False),
                announce=ScanAnnouncer(bus),
            )
            try:
                with rich_progress(console) as progress:
                    summary = await scan_library(
                        engine,
                        media_root,
                        progress=progress,
                        allow_empty=args.allow_empty,
                        confirm_missing=getattr(args, "confirm_missing", False),
                        options=options,
                    )
            finally:
                await bus.close()
                await storage.close()
        print_summary(Console(), summary, verbose=args.verbose)
        return 0

    return asyncio.run(run())


def cmd_demo_library(args: argparse.Namespace) -> int:
    """Write the demo library of synthesized MP3 files."""
    from tonearm.library.demo import write_demo_library

    paths = write_demo_library(Path(args.directory))
    print(f"demo library: {len(paths)} tracks in {Path(args.directory).resolve()}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Make queued variants until SIGTERM or SIGINT (see ``transcoding.queue.run_worker``).

    It does not migrate (``serve`` and ``migrate`` do; Alembic would add seconds to every
    start of a worker): a registry that is not migrated is a one-line error.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from tonearm.transcoding.queue import QueueUnavailable, run_worker

    settings = _settings(args)
    settings.require_media_root()
    try:
        return run_worker(settings, parent_pid=args.stop_with_parent, idle_exit=args.exit_when_idle)
    except QueueUnavailable as exc:
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        return _fail(
            f"cannot use the database: {_first_line(exc)} "
            "(a new database needs `tonearm migrate` first)"
        )


def cmd_transcode(args: argparse.Namespace) -> int:
    """Make variants ahead of time, here and now (see ``transcoding.ahead``)."""
    from tonearm.db.migrations import upgrade_to_head
    from tonearm.transcoding.ahead import TranscodeRefused, transcode_ahead

    settings = _settings(args)
    settings.require_media_root()
    upgrade_to_head(settings.resolved_database_url)
    try:
        failed = transcode_ahead(
            settings,
            remake=args.all,
            audio_format=args.format,
            bitrate_kbps=args.bitrate,
            track_ids=args.track,
        )
    except TranscodeRefused as exc:
        return _fail(str(exc))
    return EXIT_FAILED if failed else 0


def cmd_storage_migrate(args: argparse.Namespace) -> int:
    """Copy uploads, variants and thumbnails to the other storage (``tonearm.relocate``)."""
    from tonearm.db.migrations import upgrade_to_head
    from tonearm.relocate.command import run_migrate
    from tonearm.settings import ConfigurationError

    settings = _settings(args)
    upgrade_to_head(settings.resolved_database_url)
    try:
        return run_migrate(settings, to=args.to, dry_run=args.dry_run)
    except ConfigurationError as exc:
        return _fail(str(exc))


def cmd_nginx_config(args: argparse.Namespace) -> int:
    """Print the nginx configuration of ``TONEARM_ACCEL=nginx`` for the current settings."""
    from tonearm.web.nginx import NginxSite, render_site, render_standalone

    settings = _settings(args)
    site = NginxSite(
        upstreams=tuple(args.upstream or ["127.0.0.1:8000"]),
        listen=args.listen,
        server_name=args.server_name,
    )
    if args.decision_cache:
        site = dataclasses.replace(site, decision_cache=args.decision_cache)
    if args.standalone:
        text = render_standalone(settings, site, Path(args.standalone))
    else:
        text = render_site(settings, site)
    if settings.accel != "nginx":
        print(
            "tonearm: note: TONEARM_ACCEL is not 'nginx': tonearm keeps sending stream bytes "
            "itself and nginx's internal locations stay unused until you set it",
            file=sys.stderr,
        )
    sys.stdout.write(text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Prepare in a child process (see ``prepare_serve``), then run granian's workers.

    This process only supervises the workers, and granian forks them from it, so it imports
    nothing a worker does not need: settings are read, and start-up errors reported, by the
    child, whose one-line errors reach stderr directly and whose exit status is passed on.
    """
    plan = _prepare_in_child(args)
    if isinstance(plan, int):
        return plan
    from tonearm.server import run_server

    os.environ["TONEARM_MEDIA_ROOT"] = plan["media_root"]
    worker = (
        _EmbeddedWorker(plan["worker_wake_file"], idle_seconds=plan["worker_idle_seconds"])
        if plan["embedded_worker"]
        else None
    )
    try:
        run_server(
            host=args.host,
            port=args.port,
            workers=plan["workers"],
            log_level=plan["log_level"],
            on_listening=worker.start if worker else None,
            on_stopped=worker.stop if worker else None,
        )
    except (OSError, RuntimeError) as exc:  # granian reports a busy port as RuntimeError
        return _fail(f"cannot serve on {args.host}:{args.port}: {_first_line(exc)}")
    finally:
        if worker is not None:
            worker.stop()
    return 0


class _EmbeddedWorker:
    """``tonearm worker`` as a child of the supervisor, started once the address is bound.

    On the embedded queue (``wake_file`` set) it runs only while there is work: it stops
    after ``idle_seconds`` idle (``TONEARM_WORKER_IDLE_SECONDS``), and a thread here starts
    it again when a sender touches the wake file (``transcoding.queue``). On Redis, or with
    ``idle_seconds`` 0, it runs all the time. It is stopped with SIGTERM when the server
    stops (running encodes are killed and re-queued by the next start), and stops by itself
    if the supervisor dies.
    """

    def __init__(self, wake_file: str | None, *, idle_seconds: float) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._wake = Path(wake_file) if wake_file and idle_seconds > 0 else None
        self._idle_seconds = idle_seconds
        self._guard = threading.Lock()
        self._stopping = threading.Event()
        self._started_ns = 0

    def start(self) -> None:
        with self._guard:
            self._spawn()
        if self._wake is not None:
            threading.Thread(target=self._watch, name="tonearm-worker-wake", daemon=True).start()

    def _spawn(self) -> None:
        command = [*_this_tonearm(), "worker", "--stop-with-parent", str(os.getpid())]
        if self._wake is not None:
            command += ["--exit-when-idle", str(self._idle_seconds)]
        self._started_ns = time.time_ns()
        self.process = subprocess.Popen(command)

    def _watch(self) -> None:
        exited_ns: int | None = None
        while not self._stopping.wait(1.0):
            with self._guard:
                process = self.process
                if self._stopping.is_set() or (process is not None and process.poll() is None):
                    exited_ns = None
                    continue
                exited_ns = exited_ns or time.time_ns()
                if self._woken_since(exited_ns):
                    self._spawn()
                    exited_ns = None

    def _woken_since(self, exited_ns: int) -> bool:
        # A worker that stopped for idleness saw the queue empty for ``idle_seconds`` before
        # it stopped: wakes before that were its own jobs. Two seconds of margin cover this
        # thread's polling; a wake too many only starts a worker that idles.
        assert self._wake is not None
        covered = exited_ns - int((self._idle_seconds - 2) * 1e9)
        try:
            touched = self._wake.stat().st_mtime_ns
        except OSError:
            return False
        return touched > max(self._started_ns, covered)

    def stop(self) -> None:
        self._stopping.set()
        with self._guard:
            process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_PLAN_KEYS = (
    "media_root",
    "workers",
    "log_level",
    "embedded_worker",
    "worker_wake_file",
    "worker_idle_seconds",
)


def _prepare_in_child(args: argparse.Namespace) -> dict[str, Any] | int:
    """Run ``prepare_serve`` in a child ``tonearm``: its plan, or the exit status to end with.

    The child shares this terminal, so the first admin's password goes straight to it (never
    through a pipe or a log); the plan comes back on a pipe of its own.
    """
    command = [*_this_tonearm(), "serve", "--host", args.host]
    command += ["--port", str(args.port)]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    if args.media_root:
        command += ["--media-root", args.media_root]
    if args.scan:
        command.append("--scan")
    if args.demo:
        command.append("--demo")
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as report:
        try:
            child = subprocess.Popen(
                [*command, "--prepare-report-fd", str(write_end)], pass_fds=(write_end,)
            )
        finally:
            os.close(write_end)  # the child's copy alone keeps it open: EOF when it is done
        with child:
            raw = report.read()
    if child.returncode > 0:
        return child.returncode  # the child has already said why, in one line
    if child.returncode < 0:
        return _fail(f"start-up was stopped by signal {-child.returncode}")
    try:
        plan: dict[str, Any] = json.loads(raw)
        return {key: plan[key] for key in _PLAN_KEYS}
    except (ValueError, KeyError, TypeError):
        return _fail("start-up ended without reporting what to serve")


def _this_tonearm() -> list[str]:
    """A command running this very ``tonearm`` package with this Python.

    ``python -m`` looks in the working folder first; unless that is where this package came
    from, ``-P`` keeps a ``tonearm`` folder there (another checkout, say) from answering.
    """
    if Path(__file__).resolve().parent.parent == Path.cwd().resolve():
        return [sys.executable, "-m", "tonearm.cli"]
    return [sys.executable, "-P", "-m", "tonearm.cli"]


def prepare_serve(args: argparse.Namespace) -> int:
    """Everything ``serve`` does before listening; writes the plan to the report pipe.

    Checks the settings, writes the demo library (``--demo``), creates the signing key,
    migrates, creates the first admin (printing its password once) and scans (``--scan``).
    """
    from tonearm.db.migrations import upgrade_to_head
    from tonearm.settings import choose_worker_count
    from tonearm.storage.setup import check_storage_blocking
    from tonearm.transcoding.queue import WAKE_FILE

    settings = _settings(args)
    check_auth_binding(settings, args.host)
    if settings.media_root is None and args.demo:
        demo_root = settings.data_dir / "demo-library"
        cmd_demo_library(argparse.Namespace(directory=str(demo_root)))
        settings = settings.model_copy(update={"media_root": demo_root})
    media_root = settings.require_media_root()
    workers = choose_worker_count(requested=args.workers, configured=settings.workers)
    settings.signing_keys()  # create the persisted key before workers race to do it
    upgrade_to_head(settings.resolved_database_url)
    check_storage_blocking(settings)  # a missing bucket or refused credentials: one line
    _sweep_uploads(settings)
    _purge_expired_trash(settings)
    if settings.auth == "required":
        _first_admin(settings, demo=args.demo)
    if settings.scan_on_startup or args.scan:
        cmd_scan(argparse.Namespace(media_root=str(media_root), allow_empty=False, verbose=False))
    plan = {
        "media_root": str(media_root),
        "workers": workers,
        "log_level": settings.log_level,
        "embedded_worker": settings.workers_embedded,
        "worker_wake_file": None if settings.redis_url else str(settings.data_dir / WAKE_FILE),
        "worker_idle_seconds": settings.worker_idle_seconds,
    }
    with os.fdopen(args.prepare_report_fd, "w", encoding="utf-8") as report:
        json.dump(plan, report)
    return 0


def _sweep_uploads(settings: Settings) -> None:
    """Remove what interrupted uploads left (``uploads.sweep``), before workers start."""
    from tonearm.db.engine import create_session_factory, engine_for
    from tonearm.storage.setup import storage_for
    from tonearm.uploads.sweep import sweep_uploads

    async def run() -> None:
        storage = storage_for(settings)
        try:
            async with engine_for(settings.resolved_database_url) as engine:
                await sweep_uploads(
                    create_session_factory(engine),
                    uploads_root=settings.resolved_uploads_dir,
                    storage=storage,
                    expiry_hours=settings.upload_expiry_hours,
                )
        finally:
            await storage.close()

    asyncio.run(run())


def _purge_expired_trash(settings: Settings) -> None:
    """The trash's retention sweep (``trash.retention``), once before workers start; they
    then sweep hourly."""
    from tonearm.services import build_services
    from tonearm.trash.retention import purge_expired

    async def run() -> None:
        services = build_services(settings)
        try:
            await purge_expired(services)
        finally:
            await services.engine.dispose()

    asyncio.run(run())


def check_auth_binding(settings: Settings, host: str) -> None:
    """Refuse TONEARM_AUTH=none on an address other machines can reach, unless forced."""
    if settings.auth != "none" or settings.auth_none_allow_remote:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        from tonearm.settings import ConfigurationError

        raise ConfigurationError(
            f"TONEARM_AUTH=none would open the library to anyone who can reach {host}; "
            "bind to 127.0.0.1, or set TONEARM_AUTH_NONE_ALLOW_REMOTE=true if you mean it."
        )


def _first_admin(settings: Settings, *, demo: bool) -> None:
    from tonearm.accounts.bootstrap import DEMO_ADMIN, ensure_first_admin
    from tonearm.db.engine import engine_for

    async def run() -> str | None:
        async with engine_for(settings.resolved_database_url) as engine:
            return await ensure_first_admin(engine, create_demo_admin=demo)

    password = asyncio.run(run())
    if password:
        # Shown once, on the terminal only; it is never logged or stored in clear.
        print(
            "\n  tonearm created the first account for the demo:\n"
            f"    username: {DEMO_ADMIN}\n    password: {password}\n"
            "  Change it with `tonearm user passwd admin`. It will not be shown again.\n",
            flush=True,
        )


def _add_storage_commands(commands: Any) -> None:
    """``tonearm storage migrate``."""
    storage = commands.add_parser("storage", help="manage where uploads and variants are kept")
    storage_commands = storage.add_subparsers(dest="storage_command", required=True)
    storage_migrate = storage_commands.add_parser(
        "migrate",
        help="copy uploads, variants and thumbnails to the other storage, verified by "
        "SHA-256 and resumable (the source is never deleted)",
    )
    storage_migrate.add_argument("--to", choices=["s3", "local"], required=True)
    storage_migrate.add_argument(
        "--dry-run", action="store_true", help="only say what would be copied"
    )
    storage_migrate.set_defaults(handler=cmd_storage_migrate)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="tonearm", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API, streams and web player")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive_int,
        help="worker processes (default: TONEARM_WORKERS, else one per usable CPU, at most 4)",
    )
    serve.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    serve.add_argument("--scan", action="store_true", help="scan before serving")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="without a media root, generate and serve the demo library",
    )
    # Internal: the child process that prepares a serve writes its plan to this descriptor.
    serve.add_argument("--prepare-report-fd", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    scan = commands.add_parser("scan", help="scan the media root into the registry")
    scan.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    scan.add_argument(
        "--allow-empty",
        action="store_true",
        help="let an empty media root mark every registered track missing",
    )
    scan.add_argument(
        "--confirm-missing",
        action="store_true",
        help=(
            "mark gone files missing even when more than half of the library is gone at "
            "once (otherwise kept, in case a drive is unmounted)"
        ),
    )
    scan.add_argument(
        "--include-purged",
        action="store_true",
        help="register purged files that are still on disk again, as new tracks",
    )
    scan.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")
    scan.set_defaults(handler=cmd_scan)

    worker = commands.add_parser("worker", help="make queued variants (no server)")
    worker.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    # Internal: the embedded worker of ``serve`` stops when that process is gone.
    worker.add_argument("--stop-with-parent", type=int, help=argparse.SUPPRESS)
    # Internal: the embedded worker of ``serve`` stops after this many idle seconds.
    worker.add_argument("--exit-when-idle", type=float, help=argparse.SUPPRESS)
    worker.set_defaults(handler=cmd_worker)

    transcode = commands.add_parser(
        "transcode", help="make variants ahead of time (default: --missing)"
    )
    transcode.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    which = transcode.add_mutually_exclusive_group()
    which.add_argument(
        "--missing", action="store_true", help="make the variants not made yet (the default)"
    )
    which.add_argument("--all", action="store_true", help="make every offered variant again")
    transcode.add_argument("--format", choices=("mp3", "opus"), help="only variants of this format")
    transcode.add_argument(
        "--bitrate", type=_positive_int, help="only variants at this bitrate (with --format)"
    )
    transcode.add_argument(
        "--track", action="append", metavar="ID", help="only this track (repeatable)"
    )
    transcode.set_defaults(handler=cmd_transcode)

    _add_storage_commands(commands)

    nginx = commands.add_parser(
        "nginx-config", help="print an nginx configuration for TONEARM_ACCEL=nginx"
    )
    nginx.add_argument(
        "--upstream",
        action="append",
        metavar="HOST:PORT",
        help="where `tonearm serve` listens (default 127.0.0.1:8000); repeat it for replicas, "
        "which nginx takes in turn",
    )
    nginx.add_argument("--listen", default="80", help="nginx's listen address or port")
    nginx.add_argument("--server-name", default="_", help="nginx's server_name")
    nginx.add_argument(
        "--decision-cache",
        help="the folder where nginx keeps tonearm's stream decisions for a few seconds "
        "(private; tmpfs is fine; default /var/cache/nginx/tonearm-decisions); --standalone "
        "puts it in DIR",
    )
    nginx.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    nginx.add_argument(
        "--standalone",
        metavar="DIR",
        help="a whole nginx.conf with its logs, pid and temp files in DIR "
        "(nginx -p DIR -c DIR/nginx.conf); default: a site for nginx's http block",
    )
    nginx.set_defaults(handler=cmd_nginx_config)

    demo = commands.add_parser("demo-library", help="write the demo library of MP3 files")
    demo.add_argument("directory")
    demo.set_defaults(handler=cmd_demo_library)

    for register in _extra_commands():
        register(commands)
    return parser


def _extra_commands() -> list[
    Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
]:
    from tonearm.accounts.commands import register_user_commands
    from tonearm.backup.commands import register_backup_commands
    from tonearm.schema.export import register_export_command
    from tonearm.trash.commands import register_trash_commands

    return [
        register_export_command,
        register_user_commands,
        register_trash_commands,
        register_backup_commands,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tonearm`` command."""
    from tonearm.logging_setup import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(_log_level_from_environment())
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        if handler is cmd_serve:
            if args.prepare_report_fd is None:
                return cmd_serve(args)  # the light supervisor; its child reports the errors
            handler = prepare_serve
        return _run_reporting_errors(handler, args)
    except KeyboardInterrupt:
        return 130


def _run_reporting_errors(
    handler: Callable[[argparse.Namespace], int], args: argparse.Namespace
) -> int:
    """Run a command; every expected failure becomes one line on stderr and exit status 2."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from tonearm.settings import ConfigurationError

    try:
        return handler(args)
    except ConfigurationError as exc:
        return _fail(str(exc))
    except ValidationError as exc:
        return _fail("invalid setting: " + "; ".join(_describe(e) for e in exc.errors()))
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"cannot use the database: {_first_line(exc)}")


def _log_level_from_environment() -> str:
    """``TONEARM_LOG_LEVEL`` if it names a level; settings validation reports it otherwise."""
    level = os.environ.get("TONEARM_LOG_LEVEL", "info").lower()
    return level if level in LOG_LEVELS else "info"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _describe(error: object) -> str:
    if isinstance(error, dict):
        location = ".".join(str(part) for part in error.get("loc", ()))
        if not location:  # a check over several settings names them in its message
            return str(error.get("msg")).removeprefix("Value error, ")
        return f"TONEARM_{location.upper()}: {error.get('msg')}"
    return str(error)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig) or type(orig).__name__).strip().splitlines()[0][:200]


def _fail(message: str) -> int:
    print(f"tonearm: error: {message}", file=sys.stderr)
    return EXIT_CONFIG


if __name__ == "__main__":
    raise SystemExit(main())
