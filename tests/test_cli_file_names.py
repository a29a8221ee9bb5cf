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
    future = write_mp3(under(media_root, b"future \xe9.mp3"), title="Future", key=2)
    os.utime(future, ns=(2**63 + 10**18, 2**63 + 10**18))

    result = run(["scan", "-v", "--media-root", str(media_root)], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "│ added       │ 1 " in result.stdout
    assert "│ skipped     │ 2 " in result.stdout
    lines = result.stdout.splitlines()
    # The escape sequence in the name is shown, not sent to the terminal.
    assert f"  bad {REPLACEMENT}{REPLACEMENT}[31m.mp3: unsupported type text/plain" in lines
    (refused,) = [line for line in lines if line.startswith(f"  future {REPLACEMENT}.mp3: ")]
    assert refused.startswith(f"  future {REPLACEMENT}.mp3: refused by the database (")
    assert "\x1b[31m" not in result.stdout
    assert "Traceback" not in result.stderr
    assert f"future {REPLACEMENT}.mp3 not registered: refused by the database (" in result.stderr
