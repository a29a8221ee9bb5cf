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


@dataclass(slots=True)
class ScanSummary:
    """What a scan did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
