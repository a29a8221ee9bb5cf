"""Only regular files inside the media root are ever served, checked at stream time."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.streaming.conftest import LONG, SHORT, Library, set_stored_path
from tonearm.streaming.errors import TrackFileMissing, TrackNotFound
from tonearm.streaming.files import TrackFile, locate_track_file, open_track_file

SECRET_BYTES = b"ID3-not-yours " * 100


@pytest.fixture
def outside_file(tmp_path: Path) -> Path:
    """A file next to the media root, which must never be served."""
    path = tmp_path / "outside.mp3"
    path.write_bytes(SECRET_BYTES)
    return path


def assert_not_found(response: httpx.Response, library: Library) -> None:
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert str(library.root.parent) not in response.text


@pytest.mark.parametrize("stored", ["../outside.mp3", "Artist One/../../outside.mp3", "{outside}"])
async def test_stored_path_escaping_the_root_is_refused(  # noqa: PLR0917 - fixtures
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
    outside_file: Path,
    stored: str,
) -> None:
    await set_stored_path(engine, library.ids[SHORT], stored.format(outside=outside_file))

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)


async def test_symlink_swapped_in_after_the_scan_pointing_outside_is_refused(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    outside_file: Path,
) -> None:
    target = library.path(SHORT)
    target.unlink()
    target.symlink_to(outside_file)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=0-9"})

    assert_not_found(response, library)


async def test_symlinked_folder_pointing_outside_is_refused(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (library.root / "Artist One").rename(elsewhere)
    (library.root / "Artist One").symlink_to(elsewhere)

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)


async def test_symlink_to_a_file_inside_the_root_is_served(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
) -> None:
    data = library.data(LONG)
    target = library.path(SHORT)
    target.unlink()
    target.symlink_to(library.path(LONG))

    response = await client.get(url_for(SHORT))

    assert response.status_code == 200
    assert response.content == data


async def test_vanished_file_is_404_and_logged_with_the_track_id(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    caplog: pytest.LogCaptureFixture,
) -> None:
    library.path(SHORT).unlink()

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)
    assert any(
        str(library.ids[SHORT]) in r.getMessage() and r.levelname == "WARNING"
        for r in caplog.records
    )


async def test_directory_in_place_of_the_file_is_refused(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
) -> None:
    library.path(SHORT).unlink()
    library.path(SHORT).mkdir()

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)


async def test_fifo_in_place_of_the_file_is_refused_without_blocking(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
) -> None:
    library.path(SHORT).unlink()
    os.mkfifo(library.path(SHORT))

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)


async def test_device_stored_as_an_absolute_path_is_refused(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    engine: AsyncEngine,
) -> None:
    await set_stored_path(engine, library.ids[SHORT], "/dev/zero")

    response = await client.get(url_for(SHORT))

    assert_not_found(response, library)


def test_the_media_root_itself_is_refused(media_root: Path) -> None:
    with pytest.raises(TrackNotFound):
        locate_track_file(str(media_root), ".")


def test_a_file_replaced_after_the_check_is_not_read(media_root: Path) -> None:
    path = media_root / "a.mp3"
    path.write_bytes(b"first")
    checked = locate_track_file(str(media_root), "a.mp3")
    replacement = media_root / f"{uuid.uuid4()}.tmp"
    replacement.write_bytes(b"other")
    replacement.replace(path)

    with pytest.raises(TrackFileMissing):
        open_track_file(checked)


def test_a_symlink_swapped_in_after_the_check_is_not_followed(
    media_root: Path, tmp_path: Path
) -> None:
    path = media_root / "a.mp3"
    path.write_bytes(b"first")
    checked = locate_track_file(str(media_root), "a.mp3")
    (tmp_path / "outside.mp3").write_bytes(b"first")
    path.unlink()
    path.symlink_to(tmp_path / "outside.mp3")

    with pytest.raises(TrackFileMissing):
        open_track_file(TrackFile(checked.path, checked.stat))


async def test_file_changed_between_check_and_read_is_404_not_wrong_bytes(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tonearm.streaming import files

    real_locate = files.locate_track_file

    def locate_then_rewrite(root: str, stored: str) -> TrackFile:
        located = real_locate(root, stored)
        library.path(SHORT).write_bytes(b"rewritten")
        return located

    monkeypatch.setattr(files, "locate_track_file", locate_then_rewrite)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=0-3"})

    assert_not_found(response, library)
