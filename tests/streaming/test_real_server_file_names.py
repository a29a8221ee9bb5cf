"""A file whose name is not UTF-8, streamed by ``tonearm serve`` (granian) over real HTTP.

Only a real server offers ``http.response.pathsend``, whose ``path`` is a ``str`` the server
must encode: granian refuses one holding surrogate escapes ("Unsupported ASGI message").
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.streaming.test_real_server import _free_port, _wait_healthy
from tests.support.audio import write_mp3
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

NAME = b"Alb\xfcm/caf\xe9.mp3"


@dataclass(frozen=True)
class Served:
    """A running server's URL for the Latin-1 named track, and the track's bytes."""

    url: str
    data: bytes


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``tonearm serve --scan`` over a media root holding one Latin-1 named track."""
    workdir = tmp_path_factory.mktemp("real-server-names")
    root = workdir / "media"
    path = Path(os.fsdecode(os.path.join(os.fsencode(root), NAME)))
    write_mp3(path, title="Café", artist="Old Drive", seconds=24.0)
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(root),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_AUTH": "none",
    }
    env.pop("TONEARM_DATABASE_URL", None)
    command = [sys.executable, "-m", "tonearm.cli", "serve", "--scan"]
    with (workdir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(process, base_url, workdir / "server.log")
            with sqlite3.connect(workdir / "data" / "tonearm.db") as db:
                (raw,) = db.execute("SELECT id FROM tracks WHERE path = ?", (NAME,)).fetchone()
            track_id = uuid.UUID(raw)
            token = StreamSigner([TEST_SECRET], 3600).mint(track_id).token
            yield Served(base_url + stream_url(track_id, token), path.read_bytes())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_range_over_http_is_byte_exact(served: Served) -> None:
    response = httpx.get(served.url, headers={"Range": "bytes=1000-1999"})

    assert response.status_code == 206
    assert response.content == served.data[1000:2000]


def test_head_over_http(served: Served) -> None:
    response = httpx.head(served.url)

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(served.data))
    assert response.headers["content-disposition"] == (
        'inline; filename="Old Drive - Cafe.mp3"; '
        "filename*=UTF-8''Old%20Drive%20-%20Caf%C3%A9.mp3"
    )


def test_the_whole_file_over_http_is_byte_exact(served: Served) -> None:
    response = httpx.get(served.url)

    assert response.status_code == 200
    assert response.content == served.data
