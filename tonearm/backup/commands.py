"""``tonearm backup PATH`` and ``tonearm backup --verify PATH``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register_backup_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tonearm backup`` to the CLI."""
    backup = commands.add_parser(
        "backup",
        help="copy the database, the secret key, uploads and cover art into a new folder "
        "(safe while the server runs)",
    )
    backup.add_argument("path", help="a folder that does not exist yet")
    backup.add_argument(
        "--include-variants",
        action="store_true",
        help="copy transcoded variants too (they can be made again)",
    )
    backup.add_argument(
        "--verify", action="store_true", help="check an existing backup against its manifest"
    )
    backup.set_defaults(handler=cmd_backup)


def cmd_backup(args: argparse.Namespace) -> int:
    """Make (or verify) a backup, with a progress bar."""
    from rich.console import Console
    from rich.progress import Progress

    from tonearm.backup.files import verify
    from tonearm.backup.making import make_backup
    from tonearm.backup.snapshot import BackupRefused
    from tonearm.settings import Settings

    path = Path(args.path)
    if args.verify:
        if not (path / "manifest.json").is_file():
            print(f"tonearm: {path} holds no backup (no manifest.json)", file=sys.stderr)
            return 1
        problems = verify(path)
        for problem in problems:
            print(problem, file=sys.stderr)
        print("backup verified" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        database = progress.add_task("database", total=None)
        files = progress.add_task("files", total=None)
        try:
            report = make_backup(
                Settings(),
                path,
                include_variants=args.include_variants,
                database_progress=lambda done, total: progress.update(
                    database, completed=done, total=total
                ),
                file_progress=lambda _path: progress.advance(files),
            )
        except BackupRefused as exc:
            print(f"tonearm: {exc}", file=sys.stderr)
            return 1
    key = (
        "the secret key"
        if report.secret_key_copied
        else "no secret key (TONEARM_SECRET_KEY is set)"
    )
    print(
        f"backup in {report.path}: the database ({report.database.name}), {key}, "
        f"{report.files} files ({report.bytes} bytes) from {', '.join(report.trees)}"
    )
    if report.bucket is not None:
        print(
            f"not in the backup: the S3 bucket {report.bucket!r} (TONEARM_STORAGE=s3) with the "
            "uploads, variants and cover art stored there; back it up with your provider's "
            "tools (versioning, replication or a copy)"
        )
    return 0
