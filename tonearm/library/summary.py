"""What a scan did: the one definition of a scan's result.

The scanner fills it, ``tonearm scan`` prints it and the ``scanLibrary`` mutation serves it
as is (``schema/types.py`` declares how GraphQL sees it). This module imports nothing but
the standard library, so the API can name a scan's result without loading the scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file the scan did not register, and why.

    ``path`` is relative to the media root, exactly as the OS named it (it may hold
    surrogate escapes); show it with ``tonearm.paths.display_path``.
    """

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class UnresolvedEntry:
    """An entry of a playlist file that names no track of the library, for people.

    Both texts are display text already (``tonearm.paths.display_path``): ``playlist`` is
    the file's path relative to the media root, ``entry`` what it says (an absolute path
    shown relative to the media root, or by its last name when outside it).
    """

    playlist: str
    entry: str
    reason: str


# At most this many unresolved entries are kept as examples; the count covers them all.
MAX_UNRESOLVED_EXAMPLES = 20


@dataclass(slots=True)
class ScanSummary:
    """What a scan did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # Tracks whose file is gone: marked missing, never deleted (``removed`` is the same
    # number, kept for readers of the summary from before tracks could go missing).
    removed: int = 0
    missing: int = 0
    # Missing (or just gone) tracks found again: at the same path, or a new file with the
    # same content or MusicBrainz track id; and new files that matched several of them
    # (none was re-attached: registered as new tracks).
    reattached: int = 0
    ambiguous_matches: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    # The server's playlists (M3U files): read and written, removed, and their entries
    # that name no track (counted; the first ``MAX_UNRESOLVED_EXAMPLES`` kept).
    playlists_written: int = 0
    playlists_removed: int = 0
    unresolved_entries: int = 0
    unresolved_examples: list[UnresolvedEntry] = field(default_factory=list)

    def add_unresolved(self, example: UnresolvedEntry) -> None:
        """Count an unresolved playlist entry; keep it as an example while there is room."""
        self.unresolved_entries += 1
        if len(self.unresolved_examples) < MAX_UNRESOLVED_EXAMPLES:
            self.unresolved_examples.append(example)
