"""The demo library has what the player's views need: covers, a compilation, two discs."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.wave import WAVE
from PIL import Image, ImageStat

from tonearm.library.demo import (
    COVER_NAME,
    DEMO_TRACKS,
    VARIOUS_ARTISTS,
    DemoTrack,
    write_demo_library,
)


def tags(path: Path) -> ID3:
    return ID3(path)


def text(frames: Any, frame: str) -> str | None:
    found = frames.get(frame)
    return None if found is None else str(found.text[0])


def album_folders(root: Path) -> list[Path]:
    return sorted({(root / t.file_name).parent for t in DEMO_TRACKS})


def test_every_track_is_a_real_mp3_where_its_name_says(demo_library: Path) -> None:
    for track in (t for t in DEMO_TRACKS if not t.wav):
        info = MP3(demo_library / track.file_name).info
        assert info is not None
        assert info.length == pytest.approx(track.seconds, abs=0.2)
        assert text(tags(demo_library / track.file_name), "TIT2") == track.title


def test_one_track_is_pcm_in_a_wav_file_with_an_id3_chunk(demo_library: Path) -> None:
    (track,) = (t for t in DEMO_TRACKS if t.wav)
    path = demo_library / "Mirela Ďurková" / "Lumière" / "03 Étude en blanc.wav"
    assert demo_library / track.file_name == path
    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (
            2,
            2,
            44100,
        )
        assert reader.getnframes() == 8 * 44100
    frames = WAVE(path).tags
    assert frames is not None
    assert (text(frames, "TIT2"), text(frames, "TPE1"), text(frames, "TALB")) == (
        "Étude en blanc",
        "Mirela Ďurková",
        "Lumière",
    )
    assert text(frames, "TRCK") == "3/3"


def test_every_album_folder_has_a_square_jpeg_cover_of_its_own_colours(
    demo_library: Path,
) -> None:
    folders = album_folders(demo_library)
    assert len(folders) == 6
    means = []
    for folder in folders:
        with Image.open(folder / COVER_NAME) as cover:
            assert (cover.format, cover.size, cover.mode) == ("JPEG", (600, 600), "RGB")
            means.append(tuple(round(c) for c in ImageStat.Stat(cover).mean))
    # Far enough apart to tell the albums apart at a glance (sum of channel differences).
    for i, mean in enumerate(means):
        for other in means[i + 1 :]:
            assert sum(abs(a - b) for a, b in zip(mean, other, strict=True)) > 30, (mean, other)


def test_the_compilation_has_several_artists_no_album_artist_and_the_tcmp_flag(
    demo_library: Path,
) -> None:
    folder = demo_library / VARIOUS_ARTISTS / "Summer Sampler"
    files = sorted(folder.glob("*.mp3"))
    assert [f.name for f in files] == [
        "01 Sunday Static.mp3",
        "02 Tidepool.mp3",
        "03 Lantern Festival.mp3",
    ]
    frames = [tags(f) for f in files]
    assert [text(t, "TCMP") for t in frames] == ["1", "1", "1"]
    assert [text(t, "TPE2") for t in frames] == [None, None, None]
    assert [text(t, "TPE1") for t in frames] == [
        "The Static Hearts",
        "Aurora Fields",
        "Kite Parade",
    ]
    assert {text(t, "TALB") for t in frames} == {"Summer Sampler"}
    # Albums of one artist are not flagged.
    assert text(tags(demo_library / DEMO_TRACKS[0].file_name), "TCMP") is None


def test_the_two_disc_album_numbers_discs_and_tracks_per_disc(demo_library: Path) -> None:
    folder = demo_library / "Basement Tapes" / "Loose Ends"
    found = {
        f.name: (text(t, "TPOS"), text(t, "TRCK"), text(t, "TSST"))
        for f in folder.glob("*.mp3")
        for t in [tags(f)]
    }
    assert found == {
        "01 Copper Wire.mp3": ("1/2", "1/2", "Sides"),
        "02 Static Bloom.mp3": ("1/2", "2/2", "Sides"),
        "2-01 Encore.mp3": ("2/2", "1/1", "Live at the Basement"),
    }
    one_disc = tags(demo_library / DEMO_TRACKS[0].file_name)
    assert (text(one_disc, "TPOS"), text(one_disc, "TRCK")) == ("1/1", "1/4")


def test_a_track_credits_a_featured_artist_under_its_album_artist(demo_library: Path) -> None:
    frames = tags(demo_library / "Kite Parade" / "Paper Planets" / "02 Glass Garden.mp3")
    assert text(frames, "TPE1") == "Kite Parade feat. Mirela Ďurková"
    assert text(frames, "TPE2") == "Kite Parade"


def test_one_album_also_embeds_its_cover_in_each_track(demo_library: Path) -> None:
    mp3s = [t for t in DEMO_TRACKS if not t.wav]
    embedded = [t for t in mp3s if tags(demo_library / t.file_name).getall("APIC")]
    assert {t.album for t in embedded} == {"First Light"}
    assert len(embedded) == 4


def test_writing_again_keeps_what_is_there(tmp_path: Path) -> None:
    tracks = [
        DemoTrack("One", "Somebody", "Tiny", 1, 1, 128),
        DemoTrack("Two", "Somebody", "Tiny", 2, 1, 128),
    ]
    first = write_demo_library(tmp_path, tracks)
    cover = tmp_path / "Somebody" / "Tiny" / COVER_NAME
    before = {p: p.stat().st_mtime_ns for p in [*first, cover]}

    second = write_demo_library(tmp_path, tracks)

    assert (
        second
        == first
        == [tmp_path / "Somebody/Tiny/01 One.mp3", tmp_path / "Somebody/Tiny/02 Two.mp3"]
    )
    assert {p: p.stat().st_mtime_ns for p in [*second, cover]} == before
    assert sorted(p.name for p in cover.parent.iterdir()) == [
        "01 One.mp3",
        "02 Two.mp3",
        COVER_NAME,
    ]
