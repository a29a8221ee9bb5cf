"""A server worker serves artwork without loading Pillow: only a scan decodes images."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_process_imports import clean_environment

WORKER = """
import json, sys
from tonearm.app import create_app_from_environment
app = create_app_from_environment()
assert any(getattr(route, "name", None) == "artwork" for route in app.routes)
print(json.dumps(sorted(name for name in sys.modules
                        if name == "PIL" or name.startswith(("PIL.", "tonearm.artwork.")))))
"""


def test_a_server_worker_does_not_load_pillow(tmp_path: Path, media_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WORKER],
        env=clean_environment(tmp_path, TONEARM_MEDIA_ROOT=str(media_root)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "tonearm.artwork.bound",  # share- and session-bound cover tokens: itsdangerous only
        "tonearm.artwork.routes",
        "tonearm.artwork.sizes",
        "tonearm.artwork.store",
        "tonearm.artwork.urls",
    ]
