"""Showing a scan to a person: a rich progress bar while it runs, a summary when it ends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tonearm.library.summary import ScanSummary
from tonearm.paths import display_path


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("scanning", total=None)

    def started(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advanced(self, count: int) -> None:
        self._progress.advance(self._task, count)


@contextmanager
def rich_progress(console: Console) -> Iterator[_RichProgress]:
    """A progress bar on a terminal; silent when output is not one."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    with progress:
        yield _RichProgress(progress)


def print_summary(console: Console, summary: ScanSummary, *, verbose: bool = False) -> None:
    """Counts of what the scan did, the reasons files were skipped, and any warnings."""
    table = Table(title="scan summary", show_header=False)
    for label, value in (
        ("added", summary.added),
        ("updated", summary.updated),
        ("unchanged", summary.unchanged),
        ("missing", summary.missing),
        ("re-attached", summary.reattached),
        ("skipped", len(summary.skipped)),
        ("seconds", f"{summary.elapsed_seconds:.2f}"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if summary.ambiguous_matches:
        console.print(
            f"  new files matching several missing tracks (none re-attached): "
            f"{summary.ambiguous_matches}",
            markup=False,
        )
    reasons = Counter(item.reason for item in summary.skipped)
    for reason, count in reasons.most_common():
        console.print(f"  skipped {count}: {reason}")
    if verbose:
        for item in summary.skipped:
            console.print(f"  {display_path(item.path)}: {item.reason}", markup=False)
    _print_playlists(console, summary, verbose=verbose)
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


# Unresolved playlist entries shown without --verbose (the summary keeps up to 20).
BRIEF_EXAMPLES = 5


def _print_playlists(console: Console, summary: ScanSummary, *, verbose: bool) -> None:
    """The server's playlists the scan wrote or removed, and entries naming no track."""
    if summary.playlists_written or summary.playlists_removed:
        console.print(
            f"  playlists: {summary.playlists_written} read, {summary.playlists_removed} removed",
            markup=False,
        )
    if not summary.unresolved_entries:
        return
    console.print(f"  playlist entries naming no track: {summary.unresolved_entries}", markup=False)
    examples = summary.unresolved_examples
    shown = examples if verbose else examples[:BRIEF_EXAMPLES]
    for example in shown:
        console.print(f"    {example.playlist}: {example.entry} ({example.reason})", markup=False)
    if summary.unresolved_entries > len(shown):
        console.print(f"    … and {summary.unresolved_entries - len(shown)} more", markup=False)
