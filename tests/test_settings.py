"""Settings: defaults, parsing and the persisted secret key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from tonearm.settings import (
    MAX_DEFAULT_WORKERS,
    ConfigurationError,
    Settings,
    check_media_root,
    choose_worker_count,
    default_worker_count,
)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.data_dir == Path("data")
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/data/tonearm.db"
    assert settings.stream_url_ttl == 6 * 3600
    assert (settings.cors_origins, settings.scan_on_startup) == ([], False)


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONEARM_CORS_ORIGINS", "https://a.example, https://b.example/")
    monkeypatch.setenv("TONEARM_STREAM_URL_TTL", "60")
    monkeypatch.setenv("TONEARM_SCAN_ON_STARTUP", "true")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert (settings.stream_url_ttl, settings.scan_on_startup) == (60, True)


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]

    first = settings.signing_keys()
    second = Settings(_env_file=None, data_dir=tmp_path / "data").signing_keys()  # type: ignore[call-arg]

    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first == second
    assert len(first[0]) >= 64


def test_configured_keys_come_before_previous_ones(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, secret_key="new", previous_secret_keys="old1,old2"
    )

    assert settings.signing_keys() == ["new", "old1", "old2"]
    assert not (tmp_path / "secret_key").exists()
    assert "new" not in repr(settings)


def test_missing_media_root_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"does not exist\.$"):
        check_media_root(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigurationError, match=r"is not a folder\.$"):
        check_media_root(tmp_path / "file")
    with pytest.raises(ConfigurationError, match=r"TONEARM_MEDIA_ROOT is not set"):
        check_media_root(None)


@pytest.mark.parametrize(
    ("usable_cpus", "workers"), [(0, 1), (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (64, 4)]
)
def test_default_workers_follow_the_usable_cpus_up_to_a_cap(usable_cpus: int, workers: int) -> None:
    assert MAX_DEFAULT_WORKERS == 4
    assert default_worker_count(usable_cpus) == workers


def test_workers_flag_beats_the_setting_which_beats_the_default() -> None:
    assert choose_worker_count(requested=3, configured=2, usable_cpus=8) == 3
    assert choose_worker_count(requested=None, configured=2, usable_cpus=8) == 2
    assert choose_worker_count(requested=None, configured=None, usable_cpus=8) == 4
    assert choose_worker_count(requested=None, configured=8, usable_cpus=1) == 8


def test_workers_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONEARM_WORKERS", "3")
    assert Settings(_env_file=None).workers == 3  # type: ignore[call-arg]
    monkeypatch.setenv("TONEARM_WORKERS", "0")
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("TONEARM_WORKERS")
    assert Settings(_env_file=None).workers is None  # type: ignore[call-arg]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_usable_cpus_are_the_ones_this_process_may_run_on() -> None:
    (cpu, *_) = sorted(os.sched_getaffinity(0))
    code = (
        f"import os; os.sched_setaffinity(0, {{{cpu}}}); "
        "from tonearm.settings import usable_cpu_count; print(usable_cpu_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout == "1\n"
