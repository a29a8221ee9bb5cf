"""Settings: defaults, parsing and the persisted secret key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tonearm.settings import ConfigurationError, Settings, check_media_root


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
