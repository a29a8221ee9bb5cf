"""A demo library of real audio files, synthesized in code (``tonearm demo-library DIR``).

Each track is a short piece of music — a chord progression, a bass line and a melody on a
pentatonic scale — rendered to 16-bit PCM and encoded with LAME (lameenc). Notes and bars are
rendered once and reused, so a three-minute track takes well under a second to synthesize.
Tags are written with mutagen. The library has what the player's views need: every album
folder has a ``cover.jpg`` (an abstract picture drawn with Pillow, in colours of its own),
one album spans two discs with disc subtitles, one is a compilation of several
artists (``TCMP``, no album artist), one track has a featured artist (``X feat. Y``), one
album's tracks also embed a small cover, one track is a WAV file (PCM written with the
standard library's ``wave``, tags in an ID3 chunk), and some titles are not ASCII.
"""

from __future__ import annotations

import colorsys
import io
import math
import operator
import os
import random
import struct
import tempfile
import wave
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import lameenc
from mutagen.id3 import APIC, ID3, TALB, TCMP, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, TSST
from mutagen.wave import WAVE
from PIL import Image, ImageChops, ImageDraw, ImageOps

SAMPLE_RATE = 44100
BEAT_SECONDS = 0.5
COVER_NAME = "cover.jpg"
COVER_SIZE = 600
#: The album artist of a compilation, as the folder it lands in.
VARIOUS_ARTISTS = "Various Artists"
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
    #: Part of a compilation: tagged ``TCMP=1`` with no album artist.
    compilation: bool = False
    disc_subtitle: str | None = None
    #: Uncompressed PCM in a WAV file (with an ID3 chunk) instead of an MP3.
    wav: bool = False

    @property
    def folder(self) -> str:
        """The album's folder: ``Album artist/Album`` (``Various Artists/…`` for a compilation)."""
        owner = VARIOUS_ARTISTS if self.compilation else (self.album_artist or self.artist)
        return f"{owner}/{self.album}"

    @property
    def file_name(self) -> str:
        """Where the track lands: ``Artist/Album/NN Title.mp3``."""
        prefix = f"{self.disc_number}-" if self.disc_number > 1 else ""
        extension = "wav" if self.wav else "mp3"
        return f"{self.folder}/{prefix}{self.track_number:02d} {self.title}.{extension}"


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
        "Copper Wire",
        "Basement Tapes",
        "Loose Ends",
        1,
        20,
        128,
        key=4,
        genre="Lo-fi",
        year=2023,
        disc_subtitle="Sides",
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
        disc_subtitle="Sides",
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
        disc_subtitle="Live at the Basement",
    ),
    # Added after the first twelve (whose seeds, and so whose audio, stay as they were). They
    # reuse keys of earlier tracks, so most of their notes are already rendered.
    DemoTrack(
        "Sunday Static",
        "The Static Hearts",
        "Summer Sampler",
        1,
        24,
        160,
        key=3,
        genre="Pop",
        year=2022,
        compilation=True,
    ),
    DemoTrack(
        "Tidepool",
        "Aurora Fields",
        "Summer Sampler",
        2,
        21,
        128,
        key=0,
        genre="Pop",
        year=2022,
        compilation=True,
    ),
    DemoTrack(
        "Lantern Festival",
        "Kite Parade",
        "Summer Sampler",
        3,
        25,
        192,
        key=5,
        genre="Pop",
        year=2022,
        compilation=True,
    ),
    DemoTrack("Blue Hour", "Kite Parade", "Paper Planets", 1, 30, 192, key=7, genre="Indie Pop"),
    DemoTrack(
        "Glass Garden",
        "Kite Parade feat. Mirela Ďurková",
        "Paper Planets",
        2,
        27,
        192,
        key=2,
        genre="Indie Pop",
        album_artist="Kite Parade",
    ),
    # Short: 44.1 kHz 16-bit stereo PCM is 176 kB a second.
    DemoTrack(
        "Étude en blanc",
        "Mirela Ďurková",
        "Lumière",
        3,
        8,
        1411,
        key=1,
        genre="Classical",
        year=2019,
        wav=True,
    ),
)


def _frequency(semitone: int) -> float:
    return 220.0 * 2 ** (semitone / 12)


@lru_cache(maxsize=8)
def _envelope(count: int) -> tuple[float, ...]:
    """A pluck: a short attack, then an exponential decay over ``count`` samples."""
    decay = 3.0 / count
    return tuple(math.exp(-i * decay) * min(1.0, i / 200) for i in range(count))


@lru_cache(maxsize=512)
def _tone(semitones: tuple[int, ...], beats: float, level: float) -> bytes:
    """A plucked, decaying tone (one note or a chord) as 16-bit stereo PCM, at most ``level``."""
    count = int(SAMPLE_RATE * BEAT_SECONDS * beats)
    steps = [2 * math.pi * _frequency(s) / SAMPLE_RATE for s in semitones]
    scale = level * 32767 / len(steps)
    sin = math.sin
    total = [0.0] * count
    for step in steps:
        total = list(map(operator.add, total, [sin(step * i) for i in range(count)]))
    mono = array("h", [int(v * e * scale) for v, e in zip(total, _envelope(count), strict=True)])
    samples = array("h", bytes(4 * count))
    samples[0::2] = mono
    samples[1::2] = mono
    return samples.tobytes()


def _mix(a: bytes, b: bytes) -> bytes:
    """The sum of two PCM buffers; the voices' levels add up to less than 1, so it never clips
    (and a sum that did would raise OverflowError, not wrap around)."""
    return array("h", map(operator.add, array("h", a), array("h", b))).tobytes()


@lru_cache(maxsize=64)
def _backing(key: int, chord_index: int) -> bytes:
    """Four beats of a chord with its root in the bass."""
    chord = tuple(key + n for n in _PROGRESSION[chord_index])
    return _mix(_tone(chord, 4, 0.35), _tone((key - 12,), 4, 0.3))


@lru_cache(maxsize=64)
def _bar(key: int, chord_index: int, melody: tuple[int, ...]) -> bytes:
    """Four beats: a chord with its root in the bass, and a melody of four notes."""
    tune = b"".join(_tone((key + 12 + n,), 1, 0.3) for n in melody)
    return _mix(_backing(key, chord_index), tune)


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


def _colours(hue: float) -> tuple[tuple[int, int, int], ...]:
    """A dark and a light shade of ``hue`` (0–1), and a contrasting accent."""

    def rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
        return round(r * 255), round(g * 255), round(b * 255)

    return rgb(hue, 0.75, 0.3), rgb(hue + 0.08, 0.55, 0.92), rgb(hue + 0.5, 0.6, 0.9)


def cover_jpeg(album: str, hue: float, size: int = COVER_SIZE) -> bytes:
    """An abstract square JPEG: a diagonal gradient in ``hue`` with a disc and a few rings
    placed by ``album``'s title.

    The gradient is coloured small and scaled up (it is smooth); the rings are drawn at
    twice the size and halved, so that their edges are smooth too. A few ms each.
    """
    dark, light, accent = _colours(hue)
    rng = random.Random(album)  # noqa: S311 - a picture, not cryptography
    big = 2 * size
    ramp = Image.linear_gradient("L").resize((size // 4, size // 4), Image.Resampling.BILINEAR)
    diagonal = ImageChops.add(ramp, ramp.transpose(Image.Transpose.ROTATE_90), scale=2)
    picture = ImageOps.colorize(diagonal, black=dark, white=light)
    picture = picture.resize((size, size), Image.Resampling.BILINEAR)
    picture = picture.resize((big, big), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(picture)
    for ring in range(4):
        radius = rng.randint(big // 8, big // 3)
        x, y = rng.randint(0, big), rng.randint(0, big)
        box = (x - radius, y - radius, x + radius, y + radius)
        if ring == 0:
            draw.ellipse(box, fill=dark)
        else:
            draw.ellipse(box, outline=accent, width=max(1, big // 40))
    picture = picture.reduce(2)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def write_cover(folder: Path, album: str, hue: float) -> Path:
    """Write ``folder/cover.jpg`` for ``album`` unless there is one; returns its path."""
    target = folder / COVER_NAME
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=".jpg")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(cover_jpeg(album, hue))
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def write_tags(path: Path, track: DemoTrack, total: int, discs: int = 1) -> None:
    """Write the track's ID3 tags (v2.4, or v2.3 when the track asks for it): at the start of
    an MP3, in an ``id3`` chunk of a WAV file.

    ``total`` is the number of tracks on the track's disc, ``discs`` the album's disc count.
    """
    tags = id3_frames(track, total, discs)
    if not track.wav:
        tags.save(path, v2_version=track.id3_version)
        return
    audio = WAVE(path)
    audio.add_tags()
    chunk = audio.tags
    assert chunk is not None  # add_tags() made it
    for frame in tags.values():
        chunk.add(frame)
    audio.save(v2_version=track.id3_version)


def id3_frames(track: DemoTrack, total: int, discs: int) -> ID3:
    """The track's tags as ID3 frames."""
    tags = ID3()
    tags.add(TIT2(encoding=3, text=track.title))
    tags.add(TPE1(encoding=3, text=track.artist))
    tags.add(TALB(encoding=3, text=track.album))
    if track.compilation:
        tags.add(TCMP(encoding=3, text="1"))
    else:
        tags.add(TPE2(encoding=3, text=track.album_artist or track.artist))
    tags.add(TRCK(encoding=3, text=f"{track.track_number}/{total}"))
    tags.add(TPOS(encoding=3, text=f"{track.disc_number}/{discs}"))
    if track.disc_subtitle:
        tags.add(TSST(encoding=3, text=track.disc_subtitle))
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
    return tags


def render_track(track: DemoTrack, *, seed: int) -> bytes:
    """The MP3 bytes (without tags) of one demo track, or its WAV file's."""
    pcm = synthesize(track.seconds, track.key, seed)
    return encode_wav(pcm) if track.wav else encode_mp3(pcm, kbps=track.kbps, vbr=track.vbr)


def encode_wav(pcm: bytes) -> bytes:
    """16-bit stereo PCM at 44.1 kHz in a RIFF/WAVE file (the standard library's ``wave``)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(pcm)
    return out.getvalue()


def write_track(dest: Path, track: DemoTrack, *, seed: int, total: int, discs: int = 1) -> Path:
    """Write one tagged track atomically below ``dest``; returns its path."""
    target = dest / track.file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".partial-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(render_track(track, seed=seed))
        write_tags(Path(temp_name), track, total, discs)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def write_demo_library(dest: Path, tracks: Sequence[DemoTrack] = DEMO_TRACKS) -> list[Path]:
    """Write the demo library into ``dest``, keeping files already there.

    Every album folder gets a ``cover.jpg``. Returns the paths of all tracks.
    """
    written = []
    for seed, track in enumerate(tracks):
        target = dest / track.file_name
        if not target.exists():
            same_album = [t for t in tracks if t.folder == track.folder]
            on_disc = sum(1 for t in same_album if t.disc_number == track.disc_number)
            discs = max(t.disc_number for t in same_album)
            write_track(dest, track, seed=seed, total=on_disc, discs=discs)
        written.append(target)
    titles = {t.folder: t.album for t in tracks}
    for number, (folder, album) in enumerate(titles.items()):
        # Hues a golden angle apart: neighbours in the grid never look alike.
        write_cover(dest / folder, album, hue=(0.08 + number * 0.618) % 1.0)
    return written
