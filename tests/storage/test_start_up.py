"""``tonearm serve`` and ``tonearm worker`` refuse unusable S3 storage in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.moto import free_port

pytestmark = pytest.mark.skipif(
    "sqlite" not in os.environ.get("TONEARM_TEST_BACKENDS", "sqlite,postgresql"),
    reason="the commands run on their own SQLite registry",
)


def _environment(tmp_path: Path, media_root: Path, **storage: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEARM_")}
    env.update(
        TONEARM_DATA_DIR=str(tmp_path / "data"),
        TONEARM_MEDIA_ROOT=str(media_root),
        TONEARM_SECRET_KEY=TEST_SECRET,
        TONEARM_LOG_LEVEL="warning",
        TONEARM_STORAGE="s3",
        TONEARM_S3_MAX_ATTEMPTS="1",
        TONEARM_S3_CONNECT_TIMEOUT="1",
        **storage,
    )
    return env


def _run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tonearm.cli", *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [["worker"], ["serve", "--port", "0"]])
def test_a_missing_bucket_stops_start_up_in_one_line(
    tmp_path: Path, media_root: Path, s3_endpoint: str, s3_credentials: None, command: list[str]
) -> None:
    env = _environment(
        tmp_path, media_root, TONEARM_S3_ENDPOINT_URL=s3_endpoint, TONEARM_S3_BUCKET="not-made"
    )
    if command[0] == "worker":
        assert _run(["migrate"], env, tmp_path).returncode == 0
    done = _run(command, env, tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"tonearm: error: the S3 bucket 'not-made' does not exist at {s3_endpoint}: create it, "
        "or set TONEARM_S3_BUCKET to one that does\n"
    )


def test_wrong_credentials_stop_serve_in_one_line(  # noqa: PLR0917 - fixtures
    tmp_path: Path,
    media_root: Path,
    s3_endpoint: str,
    s3_bucket: str,
    reader_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "definitely-not-it")
    env = _environment(
        tmp_path, media_root, TONEARM_S3_ENDPOINT_URL=s3_endpoint, TONEARM_S3_BUCKET=s3_bucket
    )
    done = _run(["serve", "--port", "0"], env, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"tonearm: error: the S3 credentials were refused for bucket {s3_bucket!r} at "
        f"{s3_endpoint} ("
    )
    assert "definitely-not-it" not in done.stderr


def test_an_endpoint_that_is_down_stops_the_worker_in_one_line(
    tmp_path: Path, media_root: Path, s3_credentials: None
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    env = _environment(
        tmp_path, media_root, TONEARM_S3_ENDPOINT_URL=endpoint, TONEARM_S3_BUCKET="any"
    )
    assert _run(["migrate"], env, tmp_path).returncode == 0
    done = _run(["worker"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"tonearm: error: cannot reach the S3 endpoint {endpoint}: EndpointConnectionError\n"
    )


def test_s3_without_a_bucket_is_a_settings_error(tmp_path: Path, media_root: Path) -> None:
    env = _environment(tmp_path, media_root)
    done = _run(["serve", "--port", "0"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "tonearm: error: invalid setting: TONEARM_STORAGE=s3 needs TONEARM_S3_BUCKET\n"
    )
