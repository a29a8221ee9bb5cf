"""The scan's playlist phase on both databases, with real MP3 files and real M3U files."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import write_mp3
from tonearm.db.models import PlaylistItemRecord, PlaylistRecord, TrackRecord
from tonearm.library.report import print_summary
from tonearm.library.scanner import scan_library
from tonearm.library.summary import ScanSummary, UnresolvedEntry

GAP = 1 << 32


@dataclass(frozen=True)
class Listed:
    id: uuid.UUID
    name: str
    kind: str
    owner_id: uuid.UUID | None
    source_stamp: str | None
    updated_at: datetime
    items: list[tuple[uuid.UUID, int, str, uuid.UUID | None]]  # item id, position, path, by

    @property
    def paths(self) -> list[str]:
        return [path for _, _, path, _ in self.items]


async def playlists(engine: AsyncEngine) -> dict[str, Listed]:
    """Source path → the playlist and its items (id, position, track path, added_by)."""
    async with AsyncSession(engine) as session:
        records = (await session.scalars(select(PlaylistRecord))).all()
        found: dict[str, Listed] = {}
        for record in records:
            rows = await session.execute(
                select(
                    PlaylistItemRecord.id,
                    PlaylistItemRecord.position,
                    TrackRecord.path,
                    PlaylistItemRecord.added_by,
                )
                .join(TrackRecord, TrackRecord.id == PlaylistItemRecord.track_id)
                .where(PlaylistItemRecord.playlist_id == record.id)
                .order_by(PlaylistItemRecord.position)
            )
            found[str(record.source_path)] = Listed(
                record.id,
                record.name,
                record.kind,
                record.owner_id,
                record.source_stamp,
                record.updated_at,
                [(i, p, str(path), by) for i, p, path, by in rows],
            )
        return found


def library(root: Path) -> None:
    for folder, names in {"A": ["1", "2"], "B": ["1"], "Lists/C": ["1"]}.items():
        for name in names:
            write_mp3(root / folder / f"{name}.mp3", title=f"{folder} {name}", album=folder)


def bump(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))


def copy_to_bytes_name(source: Path, folder: bytes) -> None:
    """A copy of ``source`` named ``caf\\xe9.mp3`` in Latin-1: not UTF-8 on disk."""
    os.makedirs(folder)
    with open(folder + b"/caf\xe9.mp3", "wb") as handle:
        handle.write(source.read_bytes())


def unmount(root: Path, elsewhere: Path) -> None:
    """Leave an empty folder where the media root was, as an unmounted drive does."""
    root.rename(elsewhere)
    root.mkdir()


async def scan(engine: AsyncEngine, root: Path) -> ScanSummary:
    return await asyncio.wait_for(scan_library(engine, root), timeout=60)


async def test_relative_absolute_file_url_and_windows_entries_resolve_in_order(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    (media_root / "Lists/road.m3u8").write_text(
        "#EXTM3U\r\n#PLAYLIST:Road trip\r\n#EXTINF:1,A 2\r\n../A/2.mp3\r\n"
        f"{media_root}/B/1.mp3\r\nfile://{media_root}/A/1.mp3\r\nC\\1.mp3\r\n../A/2.mp3\r\n"
        "D:\\Old PC\\Music\\B\\1.mp3\r\n",
        encoding="utf-8",
    )

    summary = await scan(engine, media_root)

    listed = await playlists(engine)
    road = listed["Lists/road.m3u8"]
    assert (road.name, road.kind, road.owner_id) == ("Road trip", "file", None)
    assert road.paths == ["A/2.mp3", "B/1.mp3", "A/1.mp3", "Lists/C/1.mp3", "A/2.mp3", "B/1.mp3"]
    assert [position for _, position, _, _ in road.items] == [n * GAP for n in range(1, 7)]
    assert {by for *_, by in road.items} == {None}
    size = (media_root / "Lists/road.m3u8").stat()
    assert road.source_stamp == f"{size.st_size}:{size.st_mtime_ns}"
    assert (summary.playlists_written, summary.unresolved_entries) == (1, 0)
    assert summary.added == 4  # the playlist is not a track


async def test_a_playlist_without_a_name_is_named_after_its_file(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    (media_root / "Morning Mix.m3u").write_bytes(b"A/1.mp3\n")

    await scan(engine, media_root)

    assert (await playlists(engine))["Morning Mix.m3u"].name == "Morning Mix"


async def test_a_latin1_m3u_resolves_utf8_names_and_names_that_are_not_utf8(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "Caf\xe9/na\xefve.mp3", title="utf8 name")
    copy_to_bytes_name(media_root / "Caf\xe9/na\xefve.mp3", os.fsencode(media_root) + b"/Old")
    (media_root / "old.m3u").write_bytes(
        "#PLAYLIST:Caf\xe9 \u2013 old\nCaf\xe9\\na\xefve.mp3\nOld/caf\xe9.mp3\n".encode("cp1252")
    )

    summary = await scan(engine, media_root)

    old = (await playlists(engine))["old.m3u"]
    assert old.name == "Caf\xe9 \u2013 old"
    assert old.paths == ["Caf\xe9/na\xefve.mp3", "Old/caf\udce9.mp3"]
    assert summary.unresolved_entries == 0


async def test_entries_that_name_no_track_are_reported(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    (media_root / "Lists/mix.m3u").write_text(
        f"A/1.mp3\nnope.mp3\nhttp://radio.example/live\n{media_root}/B/missing.mp3\n"
        "../../A/1.mp3\n",
        encoding="utf-8",
    )

    summary = await scan(engine, media_root)

    assert (await playlists(engine))["Lists/mix.m3u"].paths == []  # A/1 is Lists/A/1 here
    assert summary.unresolved_entries == 5
    assert summary.unresolved_examples == [
        UnresolvedEntry("Lists/mix.m3u", "A/1.mp3", "not in the library"),
        UnresolvedEntry("Lists/mix.m3u", "nope.mp3", "not in the library"),
        UnresolvedEntry(
            "Lists/mix.m3u", "http://radio.example/live", "not a local file (http URL)"
        ),
        UnresolvedEntry("Lists/mix.m3u", "B/missing.mp3", "not in the library"),
        UnresolvedEntry("Lists/mix.m3u", "../../A/1.mp3", "outside the media root"),
    ]
    console = Console(record=True, width=200)
    print_summary(console, summary)
    text = console.export_text()
    assert "playlist entries naming no track: 5" in text
    assert "    Lists/mix.m3u: nope.mp3 (not in the library)" in text
    assert str(media_root) not in text


async def test_at_most_twenty_examples_are_kept_but_all_are_counted(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    (media_root / "many.m3u").write_text(
        "".join(f"missing-{n}.mp3\n" for n in range(30)), encoding="utf-8"
    )

    summary = await scan(engine, media_root)

    assert summary.unresolved_entries == 30
    assert [e.entry for e in summary.unresolved_examples] == [f"missing-{n}.mp3" for n in range(20)]


async def test_a_rescan_with_no_change_reads_and_writes_nothing(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    playlist = media_root / "mix.m3u"
    playlist.write_text("A/1.mp3\nB/1.mp3\n", encoding="utf-8")
    await scan(engine, media_root)
    before = await playlists(engine)
    # Same size and mtime, other bytes: a scan that read the file would see B/2 → A/2.
    info = playlist.stat()
    playlist.write_text("A/2.mp3\nB/1.mp3\n", encoding="utf-8")
    os.utime(playlist, ns=(info.st_atime_ns, info.st_mtime_ns))

    summary = await scan(engine, media_root)

    assert await playlists(engine) == before
    assert (summary.playlists_written, summary.playlists_removed) == (0, 0)
    assert summary.unresolved_entries == 0


async def test_a_changed_file_replaces_the_items(engine: AsyncEngine, media_root: Path) -> None:
    library(media_root)
    playlist = media_root / "mix.m3u"
    playlist.write_text("A/1.mp3\nB/1.mp3\n", encoding="utf-8")
    await scan(engine, media_root)
    before = (await playlists(engine))["mix.m3u"]

    playlist.write_text("#PLAYLIST:Renamed\nB/1.mp3\nA/2.mp3\nA/1.mp3\n", encoding="utf-8")
    bump(playlist)
    summary = await scan(engine, media_root)

    after = (await playlists(engine))["mix.m3u"]
    assert after.id == before.id
    assert after.name == "Renamed"
    assert after.paths == ["B/1.mp3", "A/2.mp3", "A/1.mp3"]
    assert not {i for i, *_ in after.items} & {i for i, *_ in before.items}
    assert after.updated_at > before.updated_at
    assert summary.playlists_written == 1


async def test_a_changed_file_naming_the_same_tracks_keeps_its_items(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    playlist = media_root / "mix.m3u"
    playlist.write_text("A/1.mp3\nB/1.mp3\n", encoding="utf-8")
    await scan(engine, media_root)
    before = (await playlists(engine))["mix.m3u"]

    playlist.write_text("#EXTM3U\n#PLAYLIST:New name\n# edited\n./A/1.mp3\nB/1.mp3\n")
    bump(playlist)
    await scan(engine, media_root)

    after = (await playlists(engine))["mix.m3u"]
    assert after.items == before.items
    assert after.name == "New name"
    assert after.source_stamp != before.source_stamp


async def test_a_deleted_file_removes_its_playlist(engine: AsyncEngine, media_root: Path) -> None:
    library(media_root)
    (media_root / "one.m3u").write_text("A/1.mp3\n", encoding="utf-8")
    (media_root / "two.m3u").write_text("A/2.mp3\n", encoding="utf-8")
    await scan(engine, media_root)

    (media_root / "one.m3u").unlink()
    summary = await scan(engine, media_root)

    assert set(await playlists(engine)) == {"two.m3u"}
    assert summary.playlists_removed == 1
    async with AsyncSession(engine) as session:
        items = (await session.scalars(select(PlaylistItemRecord.track_id))).all()
    assert len(items) == 1


async def test_an_unmounted_media_root_keeps_the_playlists(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    library(media_root)
    (media_root / "one.m3u").write_text("A/1.mp3\n", encoding="utf-8")
    await scan(engine, media_root)
    unmount(media_root, tmp_path / "elsewhere")

    summary = await scan(engine, media_root)

    assert summary.warnings  # the tracks were kept too
    assert (await playlists(engine))["one.m3u"].paths == ["A/1.mp3"]


async def test_an_entry_whose_track_arrives_later_resolves_on_that_scan(
    engine: AsyncEngine, media_root: Path
) -> None:
    library(media_root)
    (media_root / "mix.m3u").write_text("A/1.mp3\nD/1.mp3\n", encoding="utf-8")
    first = await scan(engine, media_root)
    assert first.unresolved_entries == 1

    write_mp3(media_root / "D/1.mp3", title="D 1", album="D")
    await scan(engine, media_root)

    assert (await playlists(engine))["mix.m3u"].paths == ["A/1.mp3", "D/1.mp3"]


async def test_entries_outside_the_media_root_are_unresolved_and_never_opened(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    library(media_root)
    outside = tmp_path / "outside"
    outside.mkdir()
    # Opening a FIFO for reading blocks until a writer comes: a scan that opened one of
    # these entries would hang (and the scan's timeout would fail the test).
    os.mkfifo(outside / "trap.mp3")
    (media_root / "Lists").mkdir(exist_ok=True)
    (media_root / "Lists/escape.m3u").write_text(
        "../../etc/passwd\n../../outside/trap.mp3\n"
        f"{outside}/trap.mp3\nfile://{outside}/trap.mp3\n..\\..\\outside\\trap.mp3\nA/../../../x\n",
        encoding="utf-8",
    )

    summary = await scan(engine, media_root)

    assert (await playlists(engine))["Lists/escape.m3u"].paths == []
    assert [(e.entry, e.reason) for e in summary.unresolved_examples] == [
        ("../../etc/passwd", "outside the media root"),
        ("../../outside/trap.mp3", "outside the media root"),
        ("\u2026/trap.mp3", "outside the media root"),
        ("\u2026/trap.mp3", "outside the media root"),
        ("..\\..\\outside\\trap.mp3", "outside the media root"),
        ("A/../../../x", "outside the media root"),
    ]
    async with AsyncSession(engine) as session:
        paths = set((await session.scalars(select(TrackRecord.path))).all())
    assert paths == {"A/1.mp3", "A/2.mp3", "B/1.mp3", "Lists/C/1.mp3"}


async def test_a_playlist_symlinked_from_outside_the_root_is_not_read(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    library(media_root)
    (tmp_path / "secret.m3u").write_text("A/1.mp3\n", encoding="utf-8")
    (media_root / "link.m3u").symlink_to(tmp_path / "secret.m3u")

    summary = await scan(engine, media_root)

    assert await playlists(engine) == {}
    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("link.m3u", "symlink points outside the media root")
    ]
