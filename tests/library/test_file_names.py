"""File names as the disk holds them (bytes that need not be UTF-8), and one odd file never
stopping a scan; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TIT2
from sqlalchemy import event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import write_mp3
from tonearm.catalog.access import ADMIN
from tonearm.catalog.queries import count_tracks
from tonearm.db.engine import create_engine
from tonearm.db.models import TrackRecord
from tonearm.library import facts, tags
from tonearm.library.scanner import ScanSummary, scan_library
from tonearm.paths import display_path

LATIN1_NAME = b"caf\xe9.mp3"  # "café.mp3" as an old Windows or FAT drive wrote it
LATIN1 = os.fsdecode(LATIN1_NAME)
# Past what a signed 64-bit count of nanoseconds holds (year 2262), as a broken clock leaves.
FAR_FUTURE_NS = 2**63 + 10**18
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def under(root: Path, *parts: bytes) -> Path:
    """A path below ``root`` whose name is exactly these bytes."""
    return Path(os.fsdecode(os.path.join(os.fsencode(root), *parts)))


def is_file(path: bytes) -> bool:
    """Whether a regular file has exactly this name."""
    return os.path.isfile(path)


async def registry(engine: AsyncEngine) -> dict[str, TrackRecord]:
    async with engine.connect() as connection:
        result = await connection.execute(select(TrackRecord))
        return {row.path: row for row in result}  # type: ignore[misc]


async def stored_paths(engine: AsyncEngine) -> set[bytes]:
    async with engine.connect() as connection:
        return {bytes(raw) for raw in await connection.scalars(text("SELECT path FROM tracks"))}


async def stored_states(engine: AsyncEngine) -> dict[bytes, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT path, state FROM tracks"))
        return {bytes(raw): state for raw, state in rows}


async def found(engine: AsyncEngine, search: str) -> int:
    async with AsyncSession(engine) as session:
        return await count_tracks(session, reader=ADMIN, search=search)


def skipped(summary: ScanSummary) -> dict[str, str]:
    return {item.path: item.reason for item in summary.skipped}


def counts(summary: ScanSummary) -> tuple[int, int, int, int]:
    return (summary.added, summary.updated, summary.unchanged, summary.removed)


async def test_a_latin1_file_name_is_registered_and_the_scan_goes_on(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(under(media_root, LATIN1_NAME), title="Café Society", artist="Old Drive")
    write_mp3(media_root / "plain.mp3", title="Plain", key=2)

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.skipped) == (2, [])
    rows = await registry(engine)
    assert set(rows) == {LATIN1, "plain.mp3"}
    assert rows[LATIN1].title == "Café Society"


async def test_the_stored_path_is_the_exact_bytes_on_disk(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(under(media_root, b"Alb\xfcm", LATIN1_NAME), title="Café")
    write_mp3(media_root / "Ärtist/Ünïcode.mp3", title="Unicode", key=1)

    await scan_library(engine, media_root)

    paths = await stored_paths(engine)
    assert paths == {b"Alb\xfcm/" + LATIN1_NAME, "Ärtist/Ünïcode.mp3".encode()}
    assert all(is_file(os.path.join(os.fsencode(media_root), raw)) for raw in paths)


async def test_an_untagged_latin1_file_is_titled_and_found_by_its_readable_name(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(under(media_root, b"caf\xe9 au lait.mp3"), id3_version=None)

    await scan_library(engine, media_root)

    (record,) = (await registry(engine)).values()
    assert record.title == f"caf{REPLACEMENT} au lait"
    assert record.search_text == "caf au lait"
    assert await found(engine, "caf lait") == 1


async def test_an_unchanged_latin1_file_is_not_opened_again_and_keeps_its_id(
    engine: AsyncEngine, media_root: Path
) -> None:
    path = write_mp3(under(media_root, b"Alb\xfcm", LATIN1_NAME), title="Caf\xe9 A")
    await scan_library(engine, media_root)
    before = (await registry(engine))[os.fsdecode(b"Alb\xfcm/" + LATIN1_NAME)]
    # Same size, same mtime, other tags: only a scan that opened the file could see them.
    tags = ID3(path)
    tags.add(TIT2(encoding=3, text="Caf\xe9 B"))
    tags.save(path)
    os.utime(path, ns=(before.mtime_ns, before.mtime_ns))
    assert path.stat().st_size == before.size_bytes

    summary = await scan_library(engine, media_root)

    assert counts(summary) == (0, 0, 1, 0)
    after = (await registry(engine))[os.fsdecode(b"Alb\xfcm/" + LATIN1_NAME)]
    assert (after.id, after.title, after.updated_at) == (before.id, "Caf\xe9 A", before.updated_at)


async def test_a_changed_latin1_file_is_updated_under_the_same_id(
    engine: AsyncEngine, media_root: Path
) -> None:
    path = write_mp3(under(media_root, LATIN1_NAME), title="First take")
    await scan_library(engine, media_root)
    before = (await registry(engine))[LATIN1]
    write_mp3(path, title="Second take, longer", seconds=2.0)

    summary = await scan_library(engine, media_root)

    assert counts(summary) == (0, 1, 0, 0)
    after = (await registry(engine))[LATIN1]
    assert (after.id, after.title, after.created_at) == (
        before.id,
        "Second take, longer",
        before.created_at,
    )


async def test_a_latin1_file_gone_from_disk_is_marked_missing_by_its_exact_bytes(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(under(media_root, LATIN1_NAME), title="Café")
    write_mp3(media_root / "stays.mp3", title="Stays", key=1)
    await scan_library(engine, media_root)
    under(media_root, LATIN1_NAME).unlink()

    summary = await scan_library(engine, media_root)

    assert counts(summary) == (0, 0, 1, 1)
    assert await stored_states(engine) == {b"stays.mp3": "available", b"caf\xe9.mp3": "missing"}


async def test_nfc_and_nfd_names_are_two_files(engine: AsyncEngine, media_root: Path) -> None:
    nfc = unicodedata.normalize("NFC", "Café.mp3")
    nfd = unicodedata.normalize("NFD", "Café.mp3")
    assert nfc.encode() != nfd.encode()
    write_mp3(media_root / nfc, title="Composed")
    write_mp3(media_root / nfd, title="Decomposed", key=4)

    first = await scan_library(engine, media_root)
    second = await scan_library(engine, media_root)

    assert (first.added, second.unchanged) == (2, 2)
    rows = await registry(engine)
    assert {path: row.title for path, row in rows.items()} == {
        nfc: "Composed",
        nfd: "Decomposed",
    }
    assert rows[nfc].id != rows[nfd].id
    assert await stored_paths(engine) == {nfc.encode(), nfd.encode()}


async def test_a_name_with_a_newline_is_registered_and_shown_on_one_line(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(media_root / "line\nbreak.mp3", id3_version=None)
    (media_root / "bad\nname.mp3").write_text("not audio")

    summary = await scan_library(engine, media_root)

    assert summary.added == 1
    assert skipped(summary) == {"bad\nname.mp3": "unsupported type text/plain"}
    assert (await registry(engine))["line\nbreak.mp3"].title == f"line{REPLACEMENT}break"
    assert display_path("bad\nname.mp3") == f"bad{REPLACEMENT}name.mp3"
    assert counts(await scan_library(engine, media_root)) == (0, 0, 1, 0)


async def test_names_of_the_longest_length_are_registered(
    engine: AsyncEngine, media_root: Path
) -> None:
    utf8 = "é" * 125 + "x.mp3"
    latin1 = b"\xe9" * 251 + b".mp3"
    assert len(utf8.encode()) == len(latin1) == 255
    write_mp3(media_root / utf8, id3_version=None)
    write_mp3(under(media_root, latin1), id3_version=None, key=2)

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.skipped) == (2, [])
    assert await stored_paths(engine) == {utf8.encode(), latin1}
    rows = await registry(engine)
    assert rows[utf8].title == "é" * 125 + "x"
    assert rows[os.fsdecode(latin1)].title == REPLACEMENT * 251
    assert counts(await scan_library(engine, media_root)) == (0, 0, 2, 0)


async def test_a_latin1_file_that_vanishes_between_walk_and_probe_is_reported(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_mp3(under(media_root, LATIN1_NAME), title="Café")
    write_mp3(media_root / "stays.mp3", title="Stays", key=1)

    class DeleteAfterWalk:
        def started(self, total: int) -> None:
            under(media_root, LATIN1_NAME).unlink()

        def advanced(self, count: int) -> None:
            pass

    summary = await scan_library(engine, media_root, progress=DeleteAfterWalk())

    assert summary.added == 1
    assert skipped(summary) == {LATIN1: "vanished during the scan"}


async def test_a_value_the_database_refuses_costs_only_its_own_file(
    engine: AsyncEngine, media_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(3):
        write_mp3(media_root / f"good {number}.mp3", title=f"Good {number}", key=number)
    odd = write_mp3(under(media_root, LATIN1_NAME), title="From the future")
    os.utime(odd, ns=(FAR_FUTURE_NS, FAR_FUTURE_NS))
    assert odd.stat().st_mtime_ns == FAR_FUTURE_NS

    with caplog.at_level(logging.INFO, logger="tonearm"):
        summary = await scan_library(engine, media_root)

    assert summary.added == 3
    reasons = skipped(summary)
    assert list(reasons) == [LATIN1]
    assert reasons[LATIN1].startswith("refused by the database (")
    assert "\n" not in reasons[LATIN1]
    assert set(await registry(engine)) == {"good 0.mp3", "good 1.mp3", "good 2.mp3"}
    (record,) = [r for r in caplog.records if r.name == "tonearm.library.scanner"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"caf{REPLACEMENT}.mp3 not registered: {reasons[LATIN1]}"
    assert record.exc_info is None  # the traceback is for debugging only

    again = await scan_library(engine, media_root)

    assert (counts(again), list(skipped(again))) == ((0, 0, 3, 0), [LATIN1])


async def test_a_failure_of_the_database_itself_stops_the_scan(
    backend: str, database_url_for_test: str, media_root: Path
) -> None:
    write_mp3(media_root / "one.mp3", title="One")
    write_mp3(media_root / "two.mp3", title="Two", key=1)
    # Reads work, every write fails: no file is to blame, so none is reported as skipped.
    if backend == "sqlite":
        engine = create_engine(database_url_for_test)
        event.listen(
            engine.sync_engine,
            "connect",
            lambda connection, _: connection.execute("PRAGMA query_only = ON"),
        )
    else:
        engine = create_engine(
            database_url_for_test,
            connect_args={"server_settings": {"default_transaction_read_only": "on"}},
        )

    try:
        with pytest.raises(SQLAlchemyError, match=r"read-?only"):
            await scan_library(engine, media_root)
    finally:
        await engine.dispose()


async def test_an_unexpected_error_in_the_tags_is_that_files_reason(
    engine: AsyncEngine, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mp3(media_root / "odd.mp3", title="Odd", genre="Rock")
    write_mp3(media_root / "fine.mp3", title="Fine", key=1)
    real_genres = tags._genres

    def genres(frame: object) -> tuple[str, ...]:
        # Stands in for a tag reader bug met on one file, of a type nobody anticipated.
        if frame is not None:
            raise KeyError("TCON")
        return real_genres(frame)

    monkeypatch.setattr(tags, "_genres", genres)

    summary = await scan_library(engine, media_root)

    assert summary.added == 1
    assert skipped(summary) == {"odd.mp3": "unreadable tags (KeyError)"}


async def test_an_unexpected_error_while_probing_is_that_files_reason(
    engine: AsyncEngine, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tonearm.library import scanner

    write_mp3(under(media_root, LATIN1_NAME), title="Odd")
    write_mp3(media_root / "fine.mp3", title="Fine", key=1)
    real_probe = scanner.probe_file

    def probe_file(path: Path, rel_path: str) -> facts.TrackFacts:
        if rel_path == LATIN1:
            raise RuntimeError("a bug")
        return real_probe(path, rel_path)

    monkeypatch.setattr(scanner, "probe_file", probe_file)

    summary = await scan_library(engine, media_root)

    assert summary.added == 1
    assert skipped(summary) == {LATIN1: "unreadable (RuntimeError)"}
