"""Missing files: the scanner marks gone files missing and re-attaches them, on both databases.

Real files in a real media root, real scans; the rows are read back from the registry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import write_audio, write_mp3
from tonearm.db.models import (
    AlbumRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    PurgedPathRecord,
    TrackRecord,
)
from tonearm.library import scanner
from tonearm.library.probe import FINGERPRINT_EDGE_BYTES, file_fingerprint
from tonearm.library.scanner import PURGED, ScanOptions, scan_library

MBID = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"


async def tracks(engine: AsyncEngine) -> dict[str, TrackRecord]:
    async with AsyncSession(engine) as session:
        return {t.path: t for t in (await session.scalars(select(TrackRecord))).all()}


async def albums(engine: AsyncEngine) -> dict[str, AlbumRecord]:
    async with AsyncSession(engine) as session:
        return {a.title: a for a in (await session.scalars(select(AlbumRecord))).all()}


def states(registry: dict[str, TrackRecord]) -> dict[str, str]:
    return {path: row.state for path, row in registry.items()}


def album(root: Path, folder: str, name: str, count: int, *, first_key: int = 0) -> list[Path]:
    return [
        write_mp3(
            root / folder / f"{number:02d}.mp3",
            title=f"{name} {number}",
            artist="Band",
            album=name,
            track=str(number),
            key=first_key + number,
        )
        for number in range(1, count + 1)
    ]


# --- gone and back -----------------------------------------------------------------------


async def test_a_gone_file_is_missing_with_its_row_and_album_kept(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 3)
    await scan_library(engine, media_root)
    before = await tracks(engine)
    (media_root / "Band/Record/02.mp3").unlink()

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.removed, summary.added, summary.reattached) == (1, 1, 0, 0)
    after = await tracks(engine)
    gone = after["Band/Record/02.mp3"]
    assert (gone.id, gone.state, gone.album_id) == (
        before["Band/Record/02.mp3"].id,
        "missing",
        before["Band/Record/02.mp3"].album_id,
    )
    assert gone.state_changed_at is not None
    record = (await albums(engine))["Record"]
    assert (record.track_count, record.is_available) == (2, True)


async def test_an_already_missing_track_keeps_when_it_went_missing(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    (media_root / "Band/Record/02.mp3").unlink()
    await scan_library(engine, media_root)
    first = (await tracks(engine))["Band/Record/02.mp3"].state_changed_at

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.unchanged) == (0, 1)
    assert (await tracks(engine))["Band/Record/02.mp3"].state_changed_at == first


async def test_the_same_path_back_is_available_again_under_the_same_id(
    engine: AsyncEngine, media_root: Path
) -> None:
    paths = album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    original = (await tracks(engine))["Band/Record/02.mp3"]
    saved = paths[1].read_bytes()
    stat = paths[1].stat()
    paths[1].unlink()
    await scan_library(engine, media_root)
    assert (await albums(engine))["Record"].track_count == 1
    paths[1].write_bytes(saved)
    os.utime(paths[1], ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the very same file

    summary = await scan_library(engine, media_root)

    assert (summary.reattached, summary.added, summary.missing, summary.unchanged) == (1, 0, 0, 1)
    back = (await tracks(engine))["Band/Record/02.mp3"]
    assert (back.id, back.state, back.album_id) == (original.id, "available", original.album_id)
    assert back.created_at == original.created_at
    assert (await albums(engine))["Record"].track_count == 2


async def test_an_album_whose_files_all_went_comes_back_as_the_same_album(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    album(media_root, "Band/Other", "Other", 2, first_key=10)
    await scan_library(engine, media_root)
    record = (await albums(engine))["Record"]
    shutil.move(media_root / "Band/Record", media_root.parent / "aside")

    gone = await scan_library(engine, media_root)
    hidden = (await albums(engine))["Record"]
    shutil.move(media_root.parent / "aside", media_root / "Band/Record")
    back = await scan_library(engine, media_root)

    assert (gone.missing, back.reattached) == (2, 2)
    assert (hidden.id, hidden.track_count, hidden.is_available) == (record.id, 0, False)
    again = (await albums(engine))["Record"]
    assert (again.id, again.track_count, again.is_available) == (record.id, 2, True)


# --- re-attached elsewhere ----------------------------------------------------------------


async def test_a_moved_file_is_reattached_with_its_id(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    original = (await tracks(engine))["Band/Record/01.mp3"]
    (media_root / "Renamed").mkdir()
    shutil.move(media_root / "Band/Record/01.mp3", media_root / "Renamed/first.mp3")

    summary = await scan_library(engine, media_root)

    assert (summary.reattached, summary.added, summary.missing) == (1, 0, 0)
    after = await tracks(engine)
    assert set(after) == {"Band/Record/02.mp3", "Renamed/first.mp3"}
    moved = after["Renamed/first.mp3"]
    assert (moved.id, moved.state, moved.created_at) == (
        original.id,
        "available",
        original.created_at,
    )
    assert moved.fingerprint == original.fingerprint


async def test_a_moved_track_keeps_its_edits(engine: AsyncEngine, media_root: Path) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(TrackRecord)
            .where(TrackRecord.path == "Band/Record/01.mp3")
            .values(title="Edited title", overrides={"title": "Edited title"})
        )
    shutil.move(media_root / "Band/Record/01.mp3", media_root / "Band/moved.mp3")

    summary = await scan_library(engine, media_root)

    assert summary.reattached == 1
    moved = (await tracks(engine))["Band/moved.mp3"]
    assert (moved.title, moved.overrides) == ("Edited title", {"title": "Edited title"})


async def test_a_file_moved_after_it_went_missing_is_reattached(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    original = (await tracks(engine))["Band/Record/01.mp3"]
    shutil.move(media_root / "Band/Record/01.mp3", media_root.parent / "aside.mp3")
    await scan_library(engine, media_root)
    shutil.move(media_root.parent / "aside.mp3", media_root / "Band/elsewhere.mp3")

    summary = await scan_library(engine, media_root)

    assert (summary.reattached, summary.added, summary.missing) == (1, 0, 0)
    moved = (await tracks(engine))["Band/elsewhere.mp3"]
    assert (moved.id, moved.state, moved.state_changed_at is not None) == (
        original.id,
        "available",
        True,
    )


async def test_a_retagged_and_moved_file_is_reattached_by_its_musicbrainz_id(
    engine: AsyncEngine, media_root: Path
) -> None:
    tags = {"title": "Song", "artist": "Band", "album": "Record", "musicbrainz_trackid": MBID}
    write_audio(media_root / "Band/Record/01.mp3", "mp3", tags=tags)
    write_mp3(media_root / "Band/Record/02.mp3", title="Stays", album="Record", key=4)
    await scan_library(engine, media_root)
    original = (await tracks(engine))["Band/Record/01.mp3"]
    (media_root / "Band/Record/01.mp3").unlink()
    retagged = {**tags, "title": "Song (Remastered)", "date": "2020"}
    write_audio(media_root / "Band/Remaster/01.mp3", "mp3", tags=retagged, seconds=1.5)

    summary = await scan_library(engine, media_root)

    assert (summary.reattached, summary.added, summary.missing) == (1, 0, 0)
    moved = (await tracks(engine))["Band/Remaster/01.mp3"]
    assert moved.fingerprint != original.fingerprint
    assert (moved.id, moved.title, moved.year, moved.state) == (
        original.id,
        "Song (Remastered)",
        2020,
        "available",
    )


async def test_a_file_matching_two_missing_tracks_reattaches_neither(
    engine: AsyncEngine, media_root: Path
) -> None:
    for number in (1, 2):
        tags = {"title": f"Take {number}", "album": "Record", "musicbrainz_trackid": MBID}
        write_audio(media_root / f"Band/{number}.mp3", "mp3", key=number, tags=tags)
    write_mp3(media_root / "Band/stays.mp3", title="Stays", key=9)
    await scan_library(engine, media_root)
    before = await tracks(engine)
    for number in (1, 2):
        (media_root / f"Band/{number}.mp3").unlink()
    tags = {"title": "Which?", "musicbrainz_trackid": MBID}
    write_audio(media_root / "New/3.mp3", "mp3", key=7, tags=tags)

    summary = await scan_library(engine, media_root)

    assert (summary.ambiguous_matches, summary.reattached, summary.added) == (1, 0, 1)
    assert summary.missing == 2
    after = await tracks(engine)
    assert after["New/3.mp3"].id not in {row.id for row in before.values()}
    assert states(after) == {
        "Band/1.mp3": "missing",
        "Band/2.mp3": "missing",
        "Band/stays.mp3": "available",
        "New/3.mp3": "available",
    }


async def test_a_copy_whose_original_is_still_there_is_a_new_track(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 1)
    await scan_library(engine, media_root)
    shutil.copy2(media_root / "Band/Record/01.mp3", media_root / "Band/copy.mp3")

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.reattached) == (1, 0)
    assert states(await tracks(engine)) == {
        "Band/Record/01.mp3": "available",
        "Band/copy.mp3": "available",
    }


# --- fingerprints ------------------------------------------------------------------------


def expected_fingerprint(path: Path) -> str:
    data = path.read_bytes()
    head = data[:FINGERPRINT_EDGE_BYTES]
    tail = data[max(FINGERPRINT_EDGE_BYTES, len(data) - FINGERPRINT_EDGE_BYTES) :]
    return hashlib.sha256(len(data).to_bytes(8, "big") + head + tail).hexdigest()


def test_the_fingerprint_hashes_the_size_and_both_ends(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"abc")
    large.write_bytes(os.urandom(300_000))
    changed_middle = tmp_path / "middle"
    data = bytearray(large.read_bytes())
    data[150_000] ^= 0xFF
    changed_middle.write_bytes(bytes(data))

    assert file_fingerprint(small) == hashlib.sha256(b"\0" * 7 + b"\3" + b"abc").hexdigest()
    assert file_fingerprint(large) == expected_fingerprint(large)
    # Only the ends are read: a change in the middle keeps the fingerprint.
    assert file_fingerprint(changed_middle) == file_fingerprint(large)


async def test_every_probed_file_gets_its_fingerprint(
    engine: AsyncEngine, media_root: Path
) -> None:
    paths = album(media_root, "Band/Record", "Record", 2)
    write_audio(media_root / "Band/long.flac", "flac", seconds=3.0)

    await scan_library(engine, media_root)

    registry = await tracks(engine)
    for path in [*paths, media_root / "Band/long.flac"]:
        rel = path.relative_to(media_root).as_posix()
        assert registry[rel].fingerprint == expected_fingerprint(path)


async def test_known_rows_without_a_fingerprint_get_one_without_being_probed(
    engine: AsyncEngine, media_root: Path
) -> None:
    paths = album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(update(TrackRecord).values(fingerprint=None))
    before = await tracks(engine)

    summary = await scan_library(engine, media_root)

    assert (summary.unchanged, summary.updated) == (2, 0)
    after = await tracks(engine)
    for path in paths:
        rel = path.relative_to(media_root).as_posix()
        assert after[rel].fingerprint == expected_fingerprint(path)
        assert after[rel].updated_at == before[rel].updated_at


# --- the unmounted-drive guard -----------------------------------------------------------


async def test_an_empty_root_marks_nothing_without_confirmation(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 3)
    await scan_library(engine, media_root)
    shutil.rmtree(media_root / "Band")

    kept = await scan_library(engine, media_root)
    assert set(states(await tracks(engine)).values()) == {"available"}
    confirmed = await scan_library(engine, media_root, confirm_missing=True)

    assert (kept.missing, len(kept.warnings)) == (0, 1)
    assert "unmounted" in kept.warnings[0]
    assert confirmed.missing == 3
    assert set(states(await tracks(engine)).values()) == {"missing"}


async def test_more_than_half_of_the_library_gone_marks_nothing_without_confirmation(
    engine: AsyncEngine, media_root: Path
) -> None:
    gone = album(media_root, "Drive", "Big", scanner.MISSING_GUARD_MIN)
    album(media_root, "Local", "Small", 10, first_key=100)
    await scan_library(engine, media_root)
    shutil.rmtree(media_root / "Drive")

    kept = await scan_library(engine, media_root)

    assert (kept.missing, kept.removed) == (0, 0)
    assert kept.warnings == [
        f"{len(gone)} of the {len(gone) + 10} available tracks are gone at once; none was "
        "marked missing in case a drive is unmounted (scan with --confirm-missing to mark them)"
    ]
    assert set(states(await tracks(engine)).values()) == {"available"}
    assert (await albums(engine))["Big"].is_available

    confirmed = await scan_library(engine, media_root, confirm_missing=True)

    assert (confirmed.missing, confirmed.warnings) == (len(gone), [])
    registry = await tracks(engine)
    assert sum(row.state == "missing" for row in registry.values()) == len(gone)
    assert not (await albums(engine))["Big"].is_available


async def test_allow_empty_still_confirms(engine: AsyncEngine, media_root: Path) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    shutil.rmtree(media_root / "Band")

    summary = await scan_library(engine, media_root, allow_empty=True)

    assert summary.missing == 2


async def test_a_few_gone_files_are_marked_whatever_their_share(
    engine: AsyncEngine, media_root: Path
) -> None:
    # Under MISSING_GUARD_MIN files, the guard stays out of the way: a small library's
    # removed folder is removed.
    album(media_root, "Band/Record", "Record", 4)
    album(media_root, "Band/Stays", "Stays", 1, first_key=50)
    await scan_library(engine, media_root)
    shutil.rmtree(media_root / "Band/Record")

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.warnings) == (4, [])


async def test_a_moved_half_of_the_library_is_reattached_without_tripping_the_guard(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Old", "Big", scanner.MISSING_GUARD_MIN)
    await scan_library(engine, media_root)
    ids = {row.title: row.id for row in (await tracks(engine)).values()}
    shutil.move(media_root / "Old", media_root / "New")

    summary = await scan_library(engine, media_root)

    assert (summary.reattached, summary.added, summary.missing) == (len(ids), 0, 0)
    assert summary.warnings == []
    after = await tracks(engine)
    assert {row.title: row.id for row in after.values()} == ids
    assert all(path.startswith("New/") for path in after)


# --- the trash and purged paths ------------------------------------------------------------


async def test_a_trashed_track_stays_trashed_whether_its_file_goes_or_changes(
    engine: AsyncEngine, media_root: Path
) -> None:
    paths = album(media_root, "Band/Record", "Record", 3)
    await scan_library(engine, media_root)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(TrackRecord)
            .where(TrackRecord.path.in_(["Band/Record/01.mp3", "Band/Record/02.mp3"]))
            .values(state="trashed", trash_id=uuid.uuid4())
        )
    paths[0].unlink()
    write_mp3(paths[1], title="Retagged", album="Record", key=77)

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.updated) == (0, 1)
    registry = await tracks(engine)
    assert states(registry) == {
        "Band/Record/01.mp3": "trashed",
        "Band/Record/02.mp3": "trashed",
        "Band/Record/03.mp3": "available",
    }
    assert registry["Band/Record/02.mp3"].title == "Retagged"
    assert registry["Band/Record/02.mp3"].trash_id is not None


async def test_purged_paths_are_skipped_unless_included(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(insert(PurgedPathRecord).values(path="Band/Record/02.mp3"))

    skipping = await scan_library(engine, media_root)
    assert set(await tracks(engine)) == {"Band/Record/01.mp3"}
    including = await scan_library(engine, media_root, options=ScanOptions(include_purged=True))

    assert skipping.added == 1
    assert [(item.path, item.reason) for item in skipping.skipped] == [
        ("Band/Record/02.mp3", PURGED)
    ]
    assert (including.added, including.unchanged, including.skipped) == (1, 1, [])
    assert set(await tracks(engine)) == {"Band/Record/01.mp3", "Band/Record/02.mp3"}
    async with AsyncSession(engine) as session:
        assert (await session.scalars(select(PurgedPathRecord))).all() == []


# --- playlist files ------------------------------------------------------------------------


async def test_a_playlist_file_keeps_its_entry_of_a_missing_track(
    engine: AsyncEngine, media_root: Path
) -> None:
    album(media_root, "Band/Record", "Record", 3)
    (media_root / "mix.m3u").write_text(
        "Band/Record/01.mp3\nBand/Record/02.mp3\nBand/Record/03.mp3\n", encoding="utf-8"
    )
    await scan_library(engine, media_root)
    ids = {path: row.id for path, row in (await tracks(engine)).items()}
    (media_root / "Band/Record/02.mp3").unlink()

    summary = await scan_library(engine, media_root)

    assert (summary.missing, summary.unresolved_entries) == (1, 0)
    async with AsyncSession(engine) as session:
        (playlist,) = (await session.scalars(select(PlaylistRecord))).all()
        items = (
            await session.scalars(
                select(PlaylistItemRecord.track_id)
                .where(PlaylistItemRecord.playlist_id == playlist.id)
                .order_by(PlaylistItemRecord.position)
            )
        ).all()
    assert items == [ids[f"Band/Record/0{n}.mp3"] for n in (1, 2, 3)]


@pytest.mark.parametrize("confirm", [False, True])
async def test_nothing_is_ever_deleted_by_a_scan(
    engine: AsyncEngine, media_root: Path, confirm: bool
) -> None:
    album(media_root, "Band/Record", "Record", 2)
    await scan_library(engine, media_root)
    shutil.rmtree(media_root / "Band")

    await scan_library(engine, media_root, confirm_missing=confirm)

    assert set(await tracks(engine)) == {"Band/Record/01.mp3", "Band/Record/02.mp3"}
