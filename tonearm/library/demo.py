"""A demo library of real MP3 files, synthesized in code (``tonearm demo-library DIR``).

Each track is a short piece of music — a chord progression, a bass line and a melody on a
pentatonic scale — rendered to 16-bit PCM and encoded with LAME (lameenc). Notes are rendered
once and reused, so a three-minute track takes well under a second to synthesize. Tags are
written with mutagen; one track carries cover art and one a non-ASCII title.
"""

from __future__ import annotations

import math
import os
import random
import struct
import tempfile
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import lameenc
from mutagen.id3 import APIC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK

SAMPLE_RATE = 44100
BEAT_SECONDS = 0.5
_SCALE = (0, 2, 4, 7, 9, 12, 14, 16)  # major pentatonic over two octaves
_PROGRESSION = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))  # I V vi IV


@dataclass(frozen=True, slots=True)
class DemoTrack:
    """One demo track: its tags and how it is encoded."""

    title: str
    artist: str
    album: str
    track_number: int
    seconds: int
    kbps: int
    key: int = 0
    vbr: bool = False
    cover: bool = False
    year: int = 2024
    genre: str = "Electronic"
    album_artist: str | None = None
    disc_number: int = 1
    id3_version: int = 4

    @property
    def file_name(self) -> str:
        """Where the track lands: ``Artist/Album/NN Title.mp3``."""
        prefix = f"{self.disc_number}-" if self.disc_number > 1 else ""
        return f"{self.artist}/{self.album}/{prefix}{self.track_number:02d} {self.title}.mp3"


DEMO_TRACKS: tuple[DemoTrack, ...] = (
    DemoTrack("Morning Light", "Aurora Fields", "First Light", 1, 42, 192, key=0, cover=True),
    DemoTrack("Paper Boats", "Aurora Fields", "First Light", 2, 35, 192, key=2, cover=True),
    DemoTrack("Long Drive", "Aurora Fields", "First Light", 3, 180, 320, key=5, cover=True),
    DemoTrack("Quiet Harbour", "Aurora Fields", "First Light", 4, 28, 128, key=7, cover=True),
    DemoTrack(
        "Neon Rain",
        "The Static Hearts",
        "Night Signals",
        1,
        64,
        256,
        key=3,
        vbr=True,
        genre="Synthpop",
        year=2021,
    ),
    DemoTrack(
        "Late Train",
        "The Static Hearts",
        "Night Signals",
        2,
        50,
        160,
        key=8,
        genre="Synthpop",
        year=2021,
        id3_version=3,
    ),
    DemoTrack(
        "Radio Ghosts",
        "The Static Hearts",
        "Night Signals",
        3,
        37,
        128,
        key=10,
        genre="Synthpop",
        year=2021,
    ),
    DemoTrack(
        "Nocturne für Élise",
        "Mirela Ďurková",
        "Lumière",
        1,
        47,
        224,
        key=1,
        genre="Classical",
        year=2019,
    ),
    DemoTrack(
        "夜明けのワルツ",
        "Mirela Ďurková",
        "Lumière",
        2,
        33,
        192,
        key=6,
        genre="Classical",
        year=2019,
        vbr=True,
    ),
    DemoTrack(
        "Copper Wire", "Basement Tapes", "Loose Ends", 1, 20, 128, key=4, genre="Lo-fi", year=2023
    ),
    DemoTrack(
        "Static Bloom",
        "Basement Tapes",
        "Loose Ends",
        2,
        26,
        320,
        key=9,
        genre="Lo-fi",
        year=2023,
        disc_number=1,
    ),
    DemoTrack(
        "Encore",
        "Basement Tapes",
        "Loose Ends",
        1,
        22,
        128,
        key=11,
        genre="Lo-fi",
        year=2023,
        disc_number=2,
    ),
)


def _frequency(semitone: int) -> float:
    return 220.0 * 2 ** (semitone / 12)


@lru_cache(maxsize=512)
def _tone(semitones: tuple[int, ...], beats: float, level: float) -> bytes:
    """A plucked, decaying tone (one note or a chord) as 16-bit stereo PCM."""
    count = int(SAMPLE_RATE * BEAT_SECONDS * beats)
    steps = [2 * math.pi * _frequency(s) / SAMPLE_RATE for s in semitones]
    scale = level * 32767 / len(steps)
    decay = 3.0 / count
    samples = array("h", bytes(4 * count))
    for i in range(count):
        envelope = math.exp(-i * decay) * min(1.0, i / 200)
        value = sum(math.sin(step * i) for step in steps) * envelope * scale
        samples[2 * i] = samples[2 * i + 1] = int(value)
    return samples.tobytes()


def _mix(a: bytes, b: bytes) -> bytes:
    left, right = array("h", a), array("h", b)
    return array(
        "h", [max(-32768, min(32767, x + y)) for x, y in zip(left, right, strict=True)]
    ).tobytes()


@lru_cache(maxsize=64)
def _bar(key: int, chord_index: int, melody: tuple[int, ...]) -> bytes:
    """Four beats: a chord with its root in the bass, and a melody of four notes."""
    chord = tuple(key + n for n in _PROGRESSION[chord_index])
    harmony = _tone(chord, 4, 0.35) + b""
    bass = _tone((key - 12,), 4, 0.3)
    tune = b"".join(_tone((key + 12 + n,), 1, 0.3) for n in melody)
    return _mix(_mix(harmony, bass), tune)


def synthesize(seconds: float, key: int, seed: int) -> bytes:
    """PCM for a piece of ``seconds`` length: repeating phrases of four bars."""
    rng = random.Random(seed)  # noqa: S311 - music, not cryptography
    phrase = [tuple(rng.choice(_SCALE) for _ in range(4)) for _ in range(4)]
    bar_seconds = 4 * BEAT_SECONDS
    bars = max(1, math.ceil(seconds / bar_seconds))
    pcm = b"".join(_bar(key, i % 4, phrase[i % 4]) for i in range(bars))
    return pcm[: int(seconds * SAMPLE_RATE) * 4]


def encode_mp3(pcm: bytes, *, kbps: int, vbr: bool = False, quality: int = 7) -> bytes:
    """Encode 16-bit stereo PCM at 44.1 kHz to MP3 with LAME."""
    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(2)
    encoder.set_quality(quality)
    if vbr:
        encoder.set_vbr(4)
        encoder.set_vbr_quality(2)
    else:
        encoder.set_bit_rate(kbps)
    mp3 = bytes(encoder.encode(pcm) + encoder.flush())
    return add_xing_header(mp3) if vbr else mp3


_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def _frame_length(header: bytes) -> int:
    """Length of an MPEG-1 Layer III frame at 44.1 kHz from its 4-byte header."""
    bitrate = _BITRATES_KBPS[header[2] >> 4] * 1000
    padding = (header[2] >> 1) & 1
    return 144 * bitrate // SAMPLE_RATE + padding


def add_xing_header(mp3: bytes) -> bytes:
    """Prepend a Xing frame (frame count, byte count, seek table) to LAME's VBR output.

    lameenc does not write LAME's own info frame, and without one players guess a VBR
    file's duration from its first frame and seek inaccurately.
    """
    offsets = []
    position = 0
    while position + 4 <= len(mp3) and mp3[position] == 0xFF and mp3[position + 1] & 0xE0:
        offsets.append(position)
        position += _frame_length(mp3[position : position + 4])
    # A 128 kbps frame is large enough to hold the Xing fields after the side information.
    header = bytes([0xFF, 0xFB, 0x90, mp3[3]])
    size = _frame_length(header)
    total = size + len(mp3)
    toc = bytes(
        min(255, (size + offsets[len(offsets) * i // 100]) * 256 // total) for i in range(100)
    )
    body = b"Xing" + struct.pack(">III", 0x7, len(offsets) + 1, total) + toc
    frame = header + bytes(32) + body
    return frame + bytes(size - len(frame)) + mp3


def cover_png(rgb: tuple[int, int, int], size: int = 64) -> bytes:
    """A small PNG: a diagonal gradient from ``rgb`` to black."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            shade = 1 - (x + y) / (2 * size)
            row += bytes(int(c * shade) for c in rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def write_tags(path: Path, track: DemoTrack, total: int) -> None:
    """Write the track's ID3 tags (v2.4, or v2.3 when the track asks for it)."""
    tags = ID3()
    tags.add(TIT2(encoding=3, text=track.title))
    tags.add(TPE1(encoding=3, text=track.artist))
    tags.add(TALB(encoding=3, text=track.album))
    tags.add(TPE2(encoding=3, text=track.album_artist or track.artist))
    tags.add(TRCK(encoding=3, text=f"{track.track_number}/{total}"))
    tags.add(TPOS(encoding=3, text=str(track.disc_number)))
    tags.add(TDRC(encoding=3, text=str(track.year)))
    tags.add(TCON(encoding=3, text=track.genre))
    if track.cover:
        tags.add(
            APIC(
                encoding=3,
                mime="image/png",
                type=3,
                desc="Cover",
                data=cover_png((200, 120 + track.key * 8, 60)),
            )
        )
    tags.save(path, v2_version=track.id3_version)


def render_track(track: DemoTrack, *, seed: int) -> bytes:
    """The MP3 bytes (without tags) of one demo track."""
    return encode_mp3(synthesize(track.seconds, track.key, seed), kbps=track.kbps, vbr=track.vbr)


def write_track(dest: Path, track: DemoTrack, *, seed: int, total: int) -> Path:
    """Write one tagged track atomically below ``dest``; returns its path."""
    target = dest / track.file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".partial-", suffix=".mp3")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(render_track(track, seed=seed))
        write_tags(Path(temp_name), track, total)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def write_demo_library(dest: Path, tracks: Sequence[DemoTrack] = DEMO_TRACKS) -> list[Path]:
    """Write the demo library into ``dest``, keeping files already there; returns all paths."""
    written = []
    for seed, track in enumerate(tracks):
        target = dest / track.file_name
        if not target.exists():
            album_size = sum(1 for t in tracks if t.album == track.album)
            write_track(dest, track, seed=seed, total=album_size)
        written.append(target)
    return written
