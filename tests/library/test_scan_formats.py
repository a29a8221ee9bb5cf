"""Scanning a library of every format, and of bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.audio import AUDIO_KINDS, SUFFIXES, Picture, encoded_audio, write_audio
from tonearm.db.models import TrackRecord
from tonearm.library.scanner import scan_library
from tonearm.library.streams import TRUNCATED
from tonearm.library.summary import ScanSummary

# format and stream MIME type, as stored, for each kind
STORED = {
    "mp3": ("mp3", "audio/mpeg", None),
    "flac": ("flac", "audio/flac", 16),
    "flac24": ("flac", "audio/flac", 24),
    "vorbis": ("vorbis", "audio/ogg", None),
    "opus": ("opus", "audio/ogg", None),
    "aac": ("aac", "audio/mp4", None),
    "alac": ("alac", "audio/mp4", 16),
    "wav": ("wav", "audio/wav", 16),
    "wav24": ("wav", "audio/wav", 24),
}


async def rows(engine: AsyncEngine) -> dict[str, TrackRecord]:
    async with engine.connect() as connection:
        result = await connection.execute(select(TrackRecord))
        return {row.path: row for row in result}  # type: ignore[misc]


def skipped(summary: ScanSummary) -> dict[str, str]:
    return {item.path: item.reason for item in summary.skipped}


async def test_a_library_of_every_format_registers_each_with_its_format(
    engine: AsyncEngine, media_root: Path
) -> None:
    for number, kind in enumerate(AUDIO_KINDS):
        write_audio(
            media_root / f"Artist/Album/{number + 1:02d} {kind}{SUFFIXES[kind]}",
            kind,
            key=number,
            tags={
                "title": f"Song in {kind}",
                "artist": ["Artist", "Guest"],
                "album": "Album",
                "tracknumber": str(number + 1),
                "compilation": "1",
                "discsubtitle": "Disc",
            },
            pictures=[Picture(b"\x89PNG\r\n\x1a\n" + bytes(20))],
        )

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.skipped) == (len(AUDIO_KINDS), [])
    registry = await rows(engine)
    for number, kind in enumerate(AUDIO_KINDS):
        row = registry[f"Artist/Album/{number + 1:02d} {kind}{SUFFIXES[kind]}"]
        assert (row.format, row.mime_type, row.bit_depth) == STORED[kind], kind
        assert (row.title, row.artist, row.track_number) == (
            f"Song in {kind}",
            "Artist; Guest",
            number + 1,
        )
        assert (row.artist_names, row.is_compilation, row.disc_subtitle) == (
            ["Artist", "Guest"],
            True,
            "Disc",
        )
        assert row.picture == "front"
        assert row.duration_seconds == pytest.approx(1.0, abs=0.06)


async def test_the_same_album_in_two_formats_keeps_both_files(
    engine: AsyncEngine, media_root: Path
) -> None:
    for kind in ("flac", "mp3"):
        write_audio(
            media_root / f"{kind}/01 Song{SUFFIXES[kind]}",
            kind,
            tags={"title": "Song", "artist": "Band", "album": "Record"},
        )

    await scan_library(engine, media_root)

    registry = await rows(engine)
    assert {path: row.format for path, row in registry.items()} == {
        "flac/01 Song.flac": "flac",
        "mp3/01 Song.mp3": "mp3",
    }


async def test_bad_input_is_skipped_with_reasons_and_the_scan_goes_on(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_audio(media_root / "good.opus", "opus", tags={"title": "Good"})
    (media_root / "notes.flac").write_text("not a FLAC file but plain text\n" * 10)
    flac = encoded_audio("flac", 10.0, 1)
    (media_root / "cut.flac").write_bytes(flac[: len(flac) // 2])
    (media_root / "empty.m4a").write_bytes(b"")
    m4a = encoded_audio("aac", 5.0, 2)
    (media_root / "cut.m4a").write_bytes(m4a[: len(m4a) // 2])
    wav = encoded_audio("wav", 3.0, 3)
    (media_root / "cut.wav").write_bytes(wav[: len(wav) // 2])
    (media_root / "odd.ogg").write_bytes(encoded_audio("vorbis", extra=("-c:a", "flac")))

    summary = await scan_library(engine, media_root)

    assert skipped(summary) == {
        "notes.flac": "unsupported type text/plain",
        "cut.flac": TRUNCATED,
        "empty.m4a": "empty file",
        "cut.m4a": TRUNCATED,
        "cut.wav": TRUNCATED,
        "odd.ogg": "unsupported codec in Ogg",
    }
    assert set(await rows(engine)) == {"good.opus"}


async def test_an_mp3_with_a_50_mb_picture_scans_with_a_front_cover(
    engine: AsyncEngine, media_root: Path
) -> None:
    write_audio(
        media_root / "big cover.mp3",
        "mp3",
        tags={"title": "Big Cover", "artist": "Painter"},
        pictures=[Picture(b"\xff\xd8\xff\xe0" + os.urandom(50 * 2**20), mime="image/jpeg")],
    )
    write_audio(media_root / "next.flac", "flac", tags={"title": "Next"})

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.skipped) == (2, [])
    row = (await rows(engine))["big cover.mp3"]
    assert (row.title, row.artist, row.picture, row.format) == (
        "Big Cover",
        "Painter",
        "front",
        "mp3",
    )


async def test_ten_thousand_artists_on_one_track_are_bounded_and_the_scan_continues(
    engine: AsyncEngine, media_root: Path
) -> None:
    names = [f"Member {number:05d}" for number in range(10_000)]
    write_audio(media_root / "crowd.mp3", "mp3", tags={"title": "Crowd", "artist": names})
    write_audio(media_root / "solo.wav", "wav", tags={"title": "Solo", "artist": "One"})

    summary = await scan_library(engine, media_root)

    assert (summary.added, summary.skipped) == (2, [])
    registry = await rows(engine)
    crowd = registry["crowd.mp3"]
    assert crowd.artist_names == names[:100]
    assert crowd.artist is not None
    assert len(crowd.artist) == 1000
    assert registry["solo.wav"].artist_names == ["One"]


async def test_odd_text_in_every_tag_family_registers(
    engine: AsyncEngine, media_root: Path
) -> None:
    flac = write_audio(media_root / "bytes.flac", "flac", tags={"title": "MARKER"})
    flac.write_bytes(flac.read_bytes().replace(b"MARKER", b"Ab\xff\xfeCd"))
    write_audio(media_root / "codepage.wav", "wav", riff_info={"INAM": "Café".encode("cp1252")})
    write_audio(media_root / "nul.m4a", "aac", tags={"title": "Null\x00Title"})
    write_audio(media_root / "long genre.ogg", "vorbis", tags={"genre": "g" * 400})

    summary = await scan_library(engine, media_root)

    assert summary.skipped == []
    registry = await rows(engine)
    assert registry["bytes.flac"].title == "Ab\ufffd\ufffdCd"
    assert registry["codepage.wav"].title == "Café"
    assert registry["nul.m4a"].title == "Null Title"
    assert registry["long genre.ogg"].genre == "g" * 255
