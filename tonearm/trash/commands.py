"""``tonearm trash purge-expired``: the retention sweep on demand (as ``serve`` runs it)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def register_trash_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tonearm trash …`` to the CLI."""
    trash = commands.add_parser("trash", help="the trash of deleted tracks, albums and playlists")
    actions = trash.add_subparsers(dest="trash_command", required=True)
    expired = actions.add_parser(
        "purge-expired",
        help="purge what was deleted (or went missing) before TONEARM_TRASH_RETENTION_DAYS",
    )
    expired.add_argument("--media-root", help="overrides TONEARM_MEDIA_ROOT")
    expired.set_defaults(handler=cmd_purge_expired)


def cmd_purge_expired(args: argparse.Namespace) -> int:
    """Run the retention sweep once and say what it purged."""
    from pathlib import Path

    from tonearm.services import build_services
    from tonearm.settings import Settings
    from tonearm.trash.retention import purge_expired

    overrides: dict[str, Any] = {"media_root": Path(args.media_root)} if args.media_root else {}
    settings = Settings(**overrides)

    async def run() -> str:
        services = build_services(settings)
        try:
            report = await purge_expired(services)
        finally:
            await services.engine.dispose()
        if settings.trash_retention_days <= 0:
            return "TONEARM_TRASH_RETENTION_DAYS is 0: nothing is purged automatically"
        if report.skipped:
            return "another tonearm process is purging the trash now; nothing done"
        return (
            f"purged {report.entries} trash entries and {report.missing_tracks} missing tracks "
            f"older than {settings.trash_retention_days} days"
        )

    print(asyncio.run(run()))
    return 0
