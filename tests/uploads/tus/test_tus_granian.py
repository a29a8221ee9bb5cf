"""tus under the production server: ``tonearm serve`` (granian, two worker processes).

uvicorn (the other tests' server) and granian differ in how they deliver a body and report a
client that goes away; this checks the cut-off-then-resume path, and a finish, where it
will run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.streaming.test_real_server import _free_port, _wait_healthy
from tests.support.accounts import SignedInUser
from tests.uploads.tus.conftest import LiveServer
from tests.uploads.tus.test_tus_clients import upload_in_chunks
from tests.uploads.tus.test_tus_finish import a_song, finish, upload_id_of
from tests.uploads.tus.test_tus_protocol import (
    _cut_off_patch,
    data_file,
    new_upload,
    wait_for_offset,
)
from tonearm.settings import Settings


@pytest.fixture
def granian(
    settings: Settings, database_url_for_test: str, tmp_path: Path, uploader: SignedInUser
) -> Iterator[LiveServer]:
    """``tonearm serve --workers 2`` on this test's database (the uploader already exists)."""
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(settings.data_dir),
        "TONEARM_DATABASE_URL": database_url_for_test,
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(settings.media_root),
        "TONEARM_FRONTEND_DIR": str(tmp_path / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_VARIANTS_ON_UPLOAD": "on-demand",
        "TONEARM_WORKERS_EMBEDDED": "false",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                *["-m", "tonearm.cli", "serve", "--host", "127.0.0.1"],
                *["--port", str(port), "--workers", "2"],
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(process, base_url, log_path)
            yield LiveServer(base_url, settings)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_cut_off_resumed_and_finished_under_granian(
    granian: LiveServer, uploader: SignedInUser, tmp_path: Path
) -> None:
    song = a_song(tmp_path, "Under Granian")
    data = song.read_bytes()
    async with httpx.AsyncClient(base_url=granian.base_url, timeout=30) as http:
        path = await new_upload(http, uploader, len(data))
        _cut_off_patch(granian, uploader, path, len(data), data[: len(data) // 2])
        offset = await wait_for_offset(http, uploader, path)
        assert 0 < offset <= len(data) // 2
        assert data_file(granian, path) == data[:offset]

        url, _ = await asyncio.to_thread(
            upload_in_chunks, granian, uploader, song, granian.base_url + path
        )
        result = await finish(http, uploader, upload_id_of(url))

    assert result["__typename"] == "UploadedTrack"
    assert result["track"]["title"] == "Under Granian"
