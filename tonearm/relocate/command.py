"""The ``tonearm storage migrate`` command: settings → both backends → ``migrate``, with a
progress bar on a terminal (rich) and plain lines otherwise, then a summary."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from tonearm.db.engine import create_session_factory, engine_for
from tonearm.relocate.migrate import (
    Backend,
    MigrationRunning,
    Progress,
    Status,
    Summary,
    backend,
    migrate,
)
from tonearm.settings import Settings

# A plain progress line every this many objects (and the last).
PLAIN_EVERY = 25


def _plain(out: TextIO) -> Progress:
    def report(done: int, total: int, key: str, status: Status) -> None:
        if status in {"failed", "missing"}:
            print(f"[{done}/{total}] {status}: {key}", file=out, flush=True)
        elif done % PLAIN_EVERY == 0 or done == total:
            print(f"[{done}/{total}] objects checked", file=out, flush=True)

    return report


def summary_line(summary: Summary, *, to: Backend, dry_run: bool) -> str:
    """The last line: counts by status, and what to do next."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    line = f"{summary.total} objects: {counts or 'nothing to do'}"
    if dry_run:
        return f"{line} (dry run: nothing copied)"
    if summary.ok:
        return f"{line}. Sources kept. Now set TONEARM_STORAGE={to} and restart tonearm."
    return f"{line}. Run it again to retry the failed ones; sources kept."


def run_migrate(settings: Settings, *, to: Backend, dry_run: bool, out: TextIO = sys.stdout) -> int:
    """Run the migration; 0 when every object is in place and verified, 1 when some failed
    or were missing, 2 when it cannot start (``--to`` the storage in use, another run)."""
    if to == settings.storage:
        print(f"tonearm: TONEARM_STORAGE is {to} already: migrate --to the other one", file=out)
        return 2
    source = backend(settings, settings.storage)
    target = backend(settings, to)

    async def run(progress: Progress) -> Summary:
        try:
            async with engine_for(settings.resolved_database_url) as engine:
                return await migrate(
                    create_session_factory(engine),
                    source=source,
                    target=target,
                    scratch_dir=settings.data_dir,
                    dry_run=dry_run,
                    progress=progress,
                )
        finally:
            await source.close()
            await target.close()

    try:
        if out.isatty():
            from rich.progress import Progress as Bar

            with Bar(transient=False) as bar:
                task = bar.add_task(f"migrating to {to}", total=None)

                def report(done: int, total: int, key: str, status: Status) -> None:
                    bar.update(task, completed=done, total=total)
                    if status in {"failed", "missing"}:
                        bar.console.print(f"{status}: {key}")

                summary = asyncio.run(run(report))
        else:
            summary = asyncio.run(run(_plain(out)))
    except MigrationRunning as refused:
        print(f"tonearm: {refused}", file=out)
        return 2
    for failure in summary.failures[:20]:
        print(f"  {failure}", file=out)
    print(summary_line(summary, to=to, dry_run=dry_run), file=out)
    return 0 if summary.ok else 1
