"""First plays over real HTTP (``tonearm serve``, granian): streamed while made, stopped when
the client goes away."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.streaming.test_real_server import _free_port, _tree, _wait_healthy
from tests.support.audio import write_audio
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.store import VariantStore

LONG_FLAC = "Long/Album/01 Long.flac"
ADDRESS = ("--host", "127.0.0.1", "--port")
OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
MP3_320 = VariantKey(AudioFormat.MP3, 320)


@dataclass(frozen=True)
class Server:
    """A running ``tonearm serve`` over a library with one long FLAC."""

    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    track_id: uuid.UUID

    def url(self, key: VariantKey) -> str:
        token = StreamSigner([TEST_SECRET], 3600).mint(self.track_id, variant=key).token
        return self.base_url + stream_url(self.track_id, token)

    def variant_row(self, key: VariantKey) -> tuple[str, int] | None:
        with sqlite3.connect(self.data_dir / "tonearm.db") as db:
            row = db.execute(
                "SELECT state, size_bytes FROM track_variants"
                " WHERE format = ? AND bitrate_kbps = ?",
                (key.format.value, key.bitrate_kbps),
            ).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def encoders(self) -> list[str]:
        """Command lines of ffmpeg processes the server started."""
        found = []
        for pid in _all_descendants(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command and command[0].endswith(b"ffmpeg"):
                found.append(b" ".join(command).decode(errors="replace"))
        return found


def _all_descendants(pid: int) -> list[int]:
    try:
        return _tree(pid)
    except OSError:
        return []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``tonearm serve --scan`` over a 90-second FLAC, no embedded queue worker."""
    workdir = tmp_path_factory.mktemp("variants-server")
    media = workdir / "media"
    write_audio(media / LONG_FLAC, "flac", seconds=90.0, tags={"title": "Long"})
    # MP3 encodes read at playback speed: on a quiet machine ffmpeg would otherwise finish
    # the 90 s within the grace second, and a client going away would leave a whole variant.
    slow_mp3 = workdir / "ffmpeg-slow-mp3"
    slow_mp3.write_text(
        '#!/bin/sh\ncase " $* " in\n*" libmp3lame "*) exec ffmpeg -re "$@";;\nesac\n'
        'exec ffmpeg "$@"\n'
    )
    slow_mp3.chmod(0o755)
    port = _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(media),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_AUTH": "none",
        "TONEARM_WORKERS_EMBEDDED": "false",
        "TONEARM_FFMPEG": str(slow_mp3),
    }
    env.pop("TONEARM_DATABASE_URL", None)
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tonearm.cli", "serve", "--scan", *ADDRESS, str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, workdir / "server.log")
        with sqlite3.connect(workdir / "data" / "tonearm.db") as db:
            (raw_id,) = db.execute("SELECT id FROM tracks").fetchone()
        yield Server(process, base_url, workdir / "data", uuid.UUID(raw_id))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _eventually(check: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_client_that_goes_away_mid_first_play_stops_the_encode_and_leaves_nothing(
    server: Server,
) -> None:
    store = VariantStore.in_data_dir(server.data_dir)
    folder = store.path_for(server.track_id, MP3_320).parent
    with httpx.Client(timeout=30) as client, client.stream("GET", server.url(MP3_320)) as response:
        assert response.status_code == 200
        assert response.headers["x-tonearm-variant"] == "encoding"
        first = next(response.iter_bytes(4096))
        assert first
        assert any("libmp3lame" in line for line in server.encoders())
    # Gone: after the grace second, ffmpeg is killed, its .part removed, the row forgotten.
    assert _eventually(lambda: not any("libmp3lame" in line for line in server.encoders()))
    assert _eventually(lambda: not list(folder.glob(".*.part")))
    assert not store.path_for(server.track_id, MP3_320).exists()
    assert server.variant_row(MP3_320) is None


def test_a_whole_first_play_over_http_is_the_stored_variant(server: Server) -> None:
    with httpx.Client(timeout=60) as client:
        response = client.get(server.url(OPUS_96))
        assert response.status_code == 200
        assert response.headers.get("transfer-encoding") == "chunked"
        stored = VariantStore.in_data_dir(server.data_dir).path_for(server.track_id, OPUS_96)
        assert _eventually(stored.exists)
        assert response.content == stored.read_bytes()
        assert server.variant_row(OPUS_96) == ("ready", len(response.content))

        ranged = client.get(server.url(OPUS_96), headers={"Range": "bytes=1000-1999"})
        assert ranged.status_code == 206
        assert ranged.content == response.content[1000:2000]
