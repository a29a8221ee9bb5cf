"""``tonearm scan`` over files whose names are not UTF-8, as a user runs it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.audio import write_mp3
from tests.test_cli import run

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def under(root: Path, name: bytes) -> Path:
    """A path below ``root`` whose name is exactly these bytes."""
    return Path(os.fsdecode(os.path.join(os.fsencode(root), name)))


def test_scan_registers_latin1_names_and_shows_skipped_ones_readably(
    tmp_path: Path, media_root: Path
) -> None:
    write_mp3(under(media_root, b"caf\xe9.mp3"), title="Café")
    under(media_root, b"bad \xe9\x1b[31m.mp3").write_text("not audio")

    result = run(["scan", "-v", "--media-root", str(media_root)], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "│ added     │ 1 " in result.stdout
    assert "│ skipped   │ 1 " in result.stdout
    lines = result.stdout.splitlines()
    # The escape sequence in the name is shown, not sent to the terminal.
    assert f"  bad {REPLACEMENT}{REPLACEMENT}[31m.mp3: unsupported type text/plain" in lines
    assert "\x1b[31m" not in result.stdout
    assert "Traceback" not in result.stderr
