"""The scanner against real files, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TIT2, TPE1
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import mp3_bytes, write_mp3
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.library.summary import ScanSummary


async def rows(engine: AsyncEngine) -> dict[str, TrackRecord]:
    async with engine.connect() as connection:
        result = await connection.execute(select(TrackRecord))
        return {row.path: row for row in result}  # type: ignore[misc]


def skipped(summary: ScanSummary) -> dict[str, str]:
    return {item.path: item.reason for item in summary.skipped}


@pytest.fixture
def small_library(media_root: Path) -> Path:
    write_mp3(
        media_root / "A/One/01 First.mp3",
        title="First",
        artist="Ärtist A",
        album="One",
        album_artist="Ärtist A",
        track="1/2",
        disc="1/1",
        year="2001",
        genre="Rock",
    )
    write_mp3(
        media_root / "A/One/02 Second.mp3",
        title="Second",
        artist="Ärtist A",
        album="One",
        track="2/2",
        year="2001-05-02",
        key=3,
    )
    write_mp3(media_root / "B/untagged song.mp3", id3_version=None, key=5)
    write_mp3(
        media_root / "B/numeric genre.mp3", title="Numbered", genre="(17)", key=6, id3_version=3
    )
    return media_root


async def test_fresh_scan_registers_every_track_with_its_tags(
    engine: AsyncEngine, small_library: Path
) -> None:
    summary = await scan_library(engine, small_library)

    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (4, 0, 0, 0)
    assert summary.skipped == []
    registry = await rows(engine)
    first = registry["A/One/01 First.mp3"]
    assert (first.title, first.artist, first.album, first.album_artist) == (
        "First",
        "Ärtist A",
        "One",
        "Ärtist A",
    )
    assert (first.track_number, first.disc_number, first.year, first.genre) == (1, 1, 2001, "Rock")
    assert first.mime_type == "audio/mpeg"
    assert (first.bitrate, first.sample_rate, first.channels) == (128000, 44100, 2)
    assert first.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert first.size_bytes == (small_library / "A/One/01 First.mp3").stat().st_size
    assert registry["A/One/02 Second.mp3"].year == 2001
    assert registry["B/numeric genre.mp3"].genre == "Rock"


async def test_title_falls_back_to_the_file_name(engine: AsyncEngine, small_library: Path) -> None:
    await scan_library(engine, small_library)

    untagged = (await rows(engine))["B/untagged song.mp3"]
    assert (untagged.title, untagged.artist, untagged.album) == ("untagged song", None, None)


async def test_rescan_without_changes_keeps_ids_and_reparses_nothing(
    engine: AsyncEngine, small_library: Path
) -> None:
    await scan_library(engine, small_library)
    before = {path: (r.id, r.updated_at) for path, r in (await rows(engine)).items()}

    summary = await scan_library(engine, small_library)

    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 0, 4, 0)
    assert {path: (r.id, r.updated_at) for path, r in (await rows(engine)).items()} == before


async def test_changed_file_is_updated_under_the_same_id(
    engine: AsyncEngine, small_library: Path
) -> None:
    await scan_library(engine, small_library)
    path = small_library / "A/One/01 First.mp3"
    original = (await rows(engine))["A/One/01 First.mp3"]
    tags = ID3(path)
    tags.add(TIT2(encoding=3, text="First (Remastered)"))
    tags.save(path)
    os.utime(path, ns=(original.mtime_ns + 10**9, original.mtime_ns + 10**9))

    summary = await scan_library(engine, small_library)

    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 3)
    updated = (await rows(engine))["A/One/01 First.mp3"]
    assert (updated.id, updated.title) == (original.id, "First (Remastered)")
    assert updated.created_at == original.created_at


async def test_file_gone_from_disk_is_marked_missing_not_deleted(
    engine: AsyncEngine, small_library: Path
) -> None:
    await scan_library(engine, small_library)
    before = await rows(engine)
    (small_library / "A/One/02 Second.mp3").unlink()

    summary = await scan_library(engine, small_library)

    assert (summary.missing, summary.removed, summary.unchanged) == (1, 1, 3)
    after = await rows(engine)
    assert {path: row.state for path, row in after.items()} == {
        "A/One/01 First.mp3": "available",
        "A/One/02 Second.mp3": "missing",
        "B/untagged song.mp3": "available",
        "B/numeric genre.mp3": "available",
    }
    assert after["A/One/02 Second.mp3"].id == before["A/One/02 Second.mp3"].id
    assert after["A/One/02 Second.mp3"].state_changed_at is not None


async def test_hidden_files_and_folders_are_skipped(engine: AsyncEngine, media_root: Path) -> None:
    write_mp3(media_root / ".hidden.mp3", title="Hidden")
    write_mp3(media_root / ".cache/inside.mp3", title="Inside hidden folder")
    write_mp3(media_root / "visible.mp3", title="Visible")

    summary = await scan_library(engine, media_root)

    assert summary.added == 1
    assert set(await rows(engine)) == {"visible.mp3"}


async def test_bad_files_are_reported_and_skipped(engine: AsyncEngine, media_root: Path) -> None:
    write_mp3(media_root / "good.mp3", title="Good")
    (media_root / "x.mp3").write_text("this is not audio at all\n" * 20)
    (media_root / "empty.mp3").write_bytes(b"")
    (media_root / "truncated.mp3").write_bytes(mp3_bytes(2.0)[:300])
    (media_root / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not scanned: not audio")
    (media_root / "song.mp3").symlink_to("/etc/passwd")

    summary = await scan_library(engine, media_root)

    assert summary.added == 1
    assert skipped(summary) == {
        "x.mp3": "unsupported type text/plain",
        "empty.mp3": "empty file",
        "truncated.mp3": skipped(summary)["truncated.mp3"],
        "song.mp3": "symlink points outside the media root",
    }
    assert skipped(summary)["truncated.mp3"].startswith("corrupt or truncated audio")
    assert set(await rows(engine)) == {"good.mp3"}


async def test_a_file_cut_short_of_what_its_header_promises_is_skipped(
    engine: AsyncEngine, media_root: Path
) -> None:
    audio = mp3_bytes(8.0, vbr=True)
    (media_root / "cut.mp3").write_bytes(audio[: len(audio) // 3])

    summary = await scan_library(engine, media_root)

    assert skipped(summary) == {
        "cut.mp3": "corrupt or truncated audio (file shorter than its header says)"
    }


async def test_symlinks_inside_the_root_are_followed_and_loops_do_not_hang(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "real/track.mp3", title="Real")
    (media_root / "alias.mp3").symlink_to(media_root / "real/track.mp3")
    (media_root / "real/loop").symlink_to(media_root)
    (media_root / "outside").symlink_to("/etc")

    summary = await scan_library(engine, media_root)

    assert set(await rows(engine)) == {"real/track.mp3", "alias.mp3"}
    assert skipped(summary) == {
        "real/loop": "symlink loop",
        "outside": "symlink points outside the media root",
    }


async def test_odd_tag_encodings_do_not_crash_the_scan(
    engine: AsyncEngine, media_root: Path
) -> None:
    latin = write_mp3(media_root / "latin1.mp3", id3_version=None)
    tags = ID3()
    # Windows-1251 bytes stored in a frame that claims Latin-1, as old taggers did.
    tags.add(TIT2(encoding=0, text="Ïåñíÿ"))
    tags.add(TPE1(encoding=1, text="Null\x00Byte Artist"))
    tags.save(latin, v2_version=3)
    write_mp3(media_root / "v1.mp3", id3_version=None)
    with (media_root / "v1.mp3").open("ab") as handle:
        handle.write(
            b"TAG"
            + b"Old Title".ljust(30, b"\0")
            + b"Old Artist".ljust(30, b"\0")
            + b"Old Album".ljust(30, b"\0")
            + b"1999"
            + bytes(28)
            + b"\x00\x07\x11"
        )

    summary = await scan_library(engine, media_root)

    assert summary.skipped == []
    registry = await rows(engine)
    assert registry["latin1.mp3"].title == "Ïåñíÿ"
    artist = registry["latin1.mp3"].artist
    assert artist is not None
    assert "\x00" not in artist
    assert artist.startswith("Null")
    v1 = registry["v1.mp3"]
    assert (v1.title, v1.artist, v1.album, v1.year, v1.track_number) == (
        "Old Title",
        "Old Artist",
        "Old Album",
        1999,
        7,
    )


async def test_a_file_that_turns_corrupt_keeps_its_row(
    engine: AsyncEngine, small_library: Path
) -> None:
    await scan_library(engine, small_library)
    (small_library / "A/One/01 First.mp3").write_bytes(b"\0" * 100)

    summary = await scan_library(engine, small_library)

    assert summary.removed == 0
    assert "A/One/01 First.mp3" in skipped(summary)
    assert (await rows(engine))["A/One/01 First.mp3"].title == "First"


async def test_an_unreadable_folder_keeps_the_rows_below_it(
    engine: AsyncEngine, small_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scan_library(engine, small_library)
    # Permission bits do not bind root (CI runs as root), so deny the folder at the OS call.
    real_scandir = os.scandir
    denied = str(small_library / "A")

    def scandir(path: str) -> object:
        if str(path) == denied:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    summary = await scan_library(engine, small_library)

    assert skipped(summary) == {"A": "permission denied"}
    assert summary.removed == 0
    assert len(await rows(engine)) == 4


async def test_a_file_that_vanishes_mid_scan_is_reported(
    engine: AsyncEngine, small_library: Path
) -> None:
    class DeleteAfterWalk:
        def started(self, total: int) -> None:
            (small_library / "B/untagged song.mp3").unlink()

        def advanced(self, count: int) -> None:
            pass

    summary = await scan_library(engine, small_library, progress=DeleteAfterWalk())

    assert summary.added == 3
    assert skipped(summary) == {"B/untagged song.mp3": "vanished during the scan"}


async def test_an_empty_media_root_does_not_wipe_the_registry(
    engine: AsyncEngine, small_library: Path
) -> None:
    await scan_library(engine, small_library)
    for child in ("A", "B"):
        shutil.rmtree(small_library / child)

    kept = await scan_library(engine, small_library)
    cleared = await scan_library(engine, small_library, allow_empty=True)

    assert (kept.missing, kept.removed, len(kept.warnings)) == (0, 0, 1)
    assert (cleared.missing, cleared.removed) == (4, 4)
    assert {row.state for row in (await rows(engine)).values()} == {"missing"}


async def test_concurrent_scans_are_serialized(engine: AsyncEngine, media_root: Path) -> None:
    for number in range(12):
        write_mp3(media_root / f"t{number:02d}.mp3", title=f"T{number}", key=number)

    first, second = await asyncio.gather(
        scan_library(engine, media_root), scan_library(engine, media_root)
    )

    assert sorted([first.added, second.added]) == [0, 12]
    assert sorted([first.unchanged, second.unchanged]) == [0, 12]
    assert len(await rows(engine)) == 12


async def test_the_demo_library_scans_completely(engine: AsyncEngine, demo_library: Path) -> None:
    summary = await scan_library(engine, demo_library)

    assert (summary.added, summary.skipped) == (18, [])
    registry = await rows(engine)
    long_drive = registry["Aurora Fields/First Light/03 Long Drive.mp3"]
    assert long_drive.duration_seconds == pytest.approx(180.0, abs=0.1)
    assert long_drive.bitrate == 320000
    assert registry["Mirela Ďurková/Lumière/02 夜明けのワルツ.mp3"].duration_seconds == (
        pytest.approx(33.0, abs=0.2)
    )
    wav = registry["Mirela Ďurková/Lumière/03 Étude en blanc.wav"]
    assert (wav.mime_type, wav.title) == ("audio/wav", "Étude en blanc")
    assert wav.duration_seconds == pytest.approx(8.0, abs=0.01)
