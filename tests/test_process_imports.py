"""What each long-lived process imports: nothing it does not use.

Memory is measured by ``benchmarks/memory.py``; these tests guard the import graphs that
keep it low. A server worker must not load the scanner's or the demo generator's libraries,
and the ``tonearm serve`` supervisor — which granian forks its workers from, so whatever it
imports every worker carries too — loads only what starting granian needs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET

SCANNING_ONLY = ["mutagen", "magic", "lameenc", "rich"]
# The S3 client (tens of MiB per process) is loaded only with TONEARM_STORAGE=s3.
S3_ONLY = ["aiobotocore", "botocore", "aiohttp"]
START_UP_ONLY = [
    "alembic",
    "tonearm.db.migrations",
    "tonearm.db.registry",
    "tonearm.library.scanner",
    "tonearm.library.demo",
]
APP_ONLY = [
    "sqlalchemy",
    "alembic",
    "strawberry",
    "graphql",
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_settings",
    "argon2",
    "tonearm.settings",
    "tonearm.app",
]

WORKER = """
import json, sys
from tonearm.app import create_app_from_environment
create_app_from_environment()
print(json.dumps(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def clean_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(
        TONEARM_DATA_DIR=str(tmp_path / "data"),
        TONEARM_SECRET_KEY=TEST_SECRET,
        TONEARM_FRONTEND_DIR=str(tmp_path / "no-frontend"),
        TONEARM_LOG_LEVEL="warning",
        **extra,
    )
    return env


def test_a_server_worker_does_not_load_the_scanner_or_the_migrations(
    tmp_path: Path, media_root: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, *SCANNING_ONLY, *START_UP_ONLY, *S3_ONLY],
        env=clean_environment(tmp_path, TONEARM_MEDIA_ROOT=str(media_root)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_serve_supervisor_imports_only_what_starting_granian_needs(
    tmp_path: Path, media_root: Path
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        # -X importtime lists every module this process imports (its start-up child is a
        # process of its own, without the flag); the busy port ends it where granian would
        # fork its workers.
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "tonearm.cli", "serve", "--port", port],
            env=clean_environment(tmp_path, TONEARM_MEDIA_ROOT=str(media_root)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    imported = {
        line.split("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"tonearm: error: cannot serve on 127.0.0.1:{port}: Address already in use (os error 98)\n"
    )
    assert {"tonearm.server", "granian.server"} <= imported
    loaded = {
        name
        for name in [*APP_ONLY, *SCANNING_ONLY]
        if any(module == name or module.startswith(name + ".") for module in imported)
    }
    assert loaded == set()
