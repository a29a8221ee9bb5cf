"""Real audio files for tests, made with the demo library's synthesizer.

MP3s come from LAME (``mp3_bytes``, ``write_mp3``); every other format, and MP3 too, from
Debian's ffmpeg (``encoded_audio``, ``write_audio``), each distinct encoding made once per run.
"""

from __future__ import annotations

import base64
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import mutagen
from mutagen.flac import FLAC
from mutagen.flac import Picture as FlacPicture
from mutagen.id3 import (
    APIC,
    ID3,
    TALB,
    TCMP,
    TCOM,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TSST,
    TXXX,
    UFID,
)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.wave import WAVE

from tonearm.library.demo import SAMPLE_RATE, encode_mp3, synthesize


@cache
def mp3_bytes(seconds: float = 1.0, kbps: int = 128, key: int = 0, vbr: bool = False) -> bytes:
    """Untagged MP3 audio, each distinct encoding made once per run (kept: they are small)."""
    return encode_mp3(synthesize(seconds, key, seed=key), kbps=kbps, vbr=vbr)


def write_mp3(
    path: Path,
    *,
    title: str | None = None,
    artist: str | None = None,
    album: str | None = None,
    album_artist: str | None = None,
    track: str | None = None,
    disc: str | None = None,
    year: str | None = None,
    genre: str | None = None,
    seconds: float = 1.0,
    kbps: int = 128,
    key: int = 0,
    id3_version: int | None = 4,
) -> Path:
    """Write a real MP3 with the given ID3 text frames (``id3_version=None``: no tags)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(mp3_bytes(seconds, kbps, key))
    if id3_version is None:
        return path
    tags = ID3()
    for frame, value in (
        (TIT2, title),
        (TPE1, artist),
        (TALB, album),
        (TPE2, album_artist),
        (TRCK, track),
        (TPOS, disc),
        (TDRC, year),
        (TCON, genre),
    ):
        if value is not None:
            tags.add(frame(encoding=3 if id3_version == 4 else 1, text=value))
    tags.save(path, v2_version=id3_version)
    return path


# --- every format, encoded by Debian's ffmpeg ----------------------------------------------

FFMPEG = "/usr/bin/ffmpeg"  # ``make test`` installs Debian's ffmpeg (test-system-deps)

AudioKind = Literal["mp3", "flac", "flac24", "vorbis", "opus", "aac", "alac", "wav", "wav24"]

# ffmpeg's output options for each kind, and the file suffix ffmpeg and the walker expect.
_ENCODINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "mp3": (("-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "0"), ".mp3"),
    "flac": (("-c:a", "flac", "-sample_fmt", "s16"), ".flac"),
    "flac24": (("-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"), ".flac"),
    "vorbis": (("-c:a", "libvorbis", "-q:a", "3"), ".ogg"),
    "opus": (("-c:a", "libopus", "-b:a", "96k"), ".opus"),
    "aac": (("-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"), ".m4a"),
    "alac": (("-c:a", "alac", "-movflags", "+faststart"), ".m4a"),
    "wav": (("-c:a", "pcm_s16le"), ".wav"),
    "wav24": (("-c:a", "pcm_s24le"), ".wav"),
}
AUDIO_KINDS: tuple[AudioKind, ...] = tuple(_ENCODINGS)  # type: ignore[assignment]
SUFFIXES: dict[str, str] = {kind: suffix for kind, (_, suffix) in _ENCODINGS.items()}
ID3_FAMILY = frozenset({"mp3", "wav", "wav24"})
VORBIS_FAMILY = frozenset({"flac", "flac24", "vorbis", "opus"})
MP4_FAMILY = frozenset({"aac", "alac"})

TagValue = str | Sequence[str]


@dataclass(frozen=True)
class Picture:
    """A picture to embed: its ID3/FLAC picture type (3 is the front cover), MIME type, bytes."""

    data: bytes
    type: int = 3
    mime: str = "image/png"


@lru_cache(maxsize=64)
def encoded_audio(
    kind: AudioKind, seconds: float = 1.0, key: int = 0, extra: tuple[str, ...] = ()
) -> bytes:
    """Untagged audio of ``kind`` from the demo synthesizer (each one encoded once per run).

    ffmpeg writes to a real file, not a pipe: FLAC's sample count, MP4's ``moov`` and WAV's
    chunk sizes are written by seeking back once the audio is done.
    """
    options, suffix = _ENCODINGS[kind]
    pcm = synthesize(seconds, key, seed=key)
    with tempfile.TemporaryDirectory(prefix="tonearm-audio-") as folder:
        out = Path(folder) / f"audio{suffix}"
        subprocess.run(
            [
                FFMPEG,
                *("-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1"),
                *("-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "pipe:0"),
                *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"),
                *options,
                *extra,
                str(out),
            ],
            input=pcm,
            check=True,
            capture_output=True,
        )
        return out.read_bytes()


def _listed(value: TagValue) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_ID3_FRAMES: dict[str, type[Any]] = {
    "title": TIT2,
    "artist": TPE1,
    "album": TALB,
    "albumartist": TPE2,
    "tracknumber": TRCK,
    "discnumber": TPOS,
    "date": TDRC,
    "genre": TCON,
    "composer": TCOM,
    "compilation": TCMP,
    "discsubtitle": TSST,
}
_ID3_USER = {
    "artists": "ARTISTS",
    "albumartists": "ALBUMARTISTS",
    "musicbrainz_albumid": "MusicBrainz Album Id",
}


def id3_tags(tags: Mapping[str, TagValue], pictures: Sequence[Picture], *, version: int = 4) -> ID3:
    """An ID3 tag from the generic tag names (``title``, ``artists``, ...)."""
    frames = ID3()
    encoding = 3 if version == 4 else 1
    for name, value in tags.items():
        if name in _ID3_FRAMES:
            frames.add(_ID3_FRAMES[name](encoding=encoding, text=_listed(value)))
        elif name in _ID3_USER:
            frames.add(TXXX(encoding=encoding, desc=_ID3_USER[name], text=_listed(value)))
        elif name == "musicbrainz_trackid":
            frames.add(UFID(owner="http://musicbrainz.org", data=str(value).encode()))
        else:
            raise ValueError(f"no ID3 frame for {name}")
    for number, picture in enumerate(pictures):
        frames.add(
            APIC(
                encoding=3,
                mime=picture.mime,
                type=picture.type,
                desc=f"picture {number}",
                data=picture.data,
            )
        )
    return frames


def _flac_picture(picture: Picture) -> FlacPicture:
    block = FlacPicture()
    block.type, block.mime, block.data = picture.type, picture.mime, picture.data
    return block


def _write_vorbis(
    path: Path, kind: str, tags: Mapping[str, TagValue], pictures: Sequence[Picture]
) -> None:
    audio: Any = FLAC(path) if kind.startswith("flac") else mutagen.File(path)
    for name, value in tags.items():
        audio[name.upper()] = _listed(value)
    if kind.startswith("flac"):
        for picture in pictures:
            audio.add_picture(_flac_picture(picture))
    elif pictures:
        audio["METADATA_BLOCK_PICTURE"] = [
            base64.b64encode(_flac_picture(p).write()).decode("ascii") for p in pictures
        ]
    audio.save()


_MP4_TEXT = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "albumartist": "aART",
    "date": "\xa9day",
    "genre": "\xa9gen",
    "composer": "\xa9wrt",
}
_MP4_FREEFORM = {
    "artists": "ARTISTS",
    "albumartists": "ALBUMARTISTS",
    "discsubtitle": "DISCSUBTITLE",
    "musicbrainz_albumid": "MusicBrainz Album Id",
    "musicbrainz_trackid": "MusicBrainz Track Id",
}


def _pair(value: TagValue) -> tuple[int, int]:
    number, _, total = str(value).partition("/")
    return int(number), int(total or 0)


def _write_mp4(path: Path, tags: Mapping[str, TagValue], pictures: Sequence[Picture]) -> None:
    audio = MP4(path)
    for name, value in tags.items():
        if name in _MP4_TEXT:
            audio[_MP4_TEXT[name]] = _listed(value)
        elif name in _MP4_FREEFORM:
            audio[f"----:com.apple.iTunes:{_MP4_FREEFORM[name]}"] = [
                MP4FreeForm(v.encode()) for v in _listed(value)
            ]
        elif name in ("tracknumber", "discnumber"):
            audio["trkn" if name == "tracknumber" else "disk"] = [_pair(value)]
        elif name == "compilation":
            audio["cpil"] = value == "1"
        else:
            raise ValueError(f"no MP4 atom for {name}")
    if pictures:
        audio["covr"] = [
            MP4Cover(p.data, MP4Cover.FORMAT_PNG if p.mime == "image/png" else MP4Cover.FORMAT_JPEG)
            for p in pictures
        ]
    audio.save()


def riff_info_chunk(fields: Mapping[str, bytes]) -> bytes:
    """A RIFF ``LIST``/``INFO`` chunk holding ``fields`` (raw bytes, NUL-terminated here)."""
    body = b"INFO"
    for chunk_id, value in fields.items():
        data = value + b"\x00"
        body += chunk_id.encode("ascii") + struct.pack("<I", len(data)) + data
        body += b"\x00" * (len(data) & 1)
    return b"LIST" + struct.pack("<I", len(body)) + body


def append_riff_chunk(path: Path, chunk: bytes) -> None:
    """Append a chunk to a RIFF file and fix the RIFF size."""
    with path.open("r+b") as handle:
        handle.seek(0, 2)
        handle.write(chunk)
        size = handle.tell()
        handle.seek(4)
        handle.write(struct.pack("<I", size - 8))


def write_audio(
    path: Path,
    kind: AudioKind,
    *,
    seconds: float = 1.0,
    key: int = 0,
    tags: Mapping[str, TagValue] | None = None,
    pictures: Sequence[Picture] = (),
    id3_version: int = 4,
    riff_info: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a real file of ``kind`` with the given tags, in that format's own tag family.

    Tag names are generic, Vorbis-comment style (``title``, ``artist``, ``artists``,
    ``albumartist``, ``tracknumber`` "3/12", ``date``, ``genre``, ``composer``,
    ``compilation`` "1", ``discsubtitle``, ``musicbrainz_albumid``, ``musicbrainz_trackid``);
    a list is a multi-valued tag. WAV gets an ID3 chunk, and ``riff_info`` as a RIFF INFO
    list.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded_audio(kind, seconds, key))
    tags = dict(tags or {})
    if kind in VORBIS_FAMILY and (tags or pictures):
        _write_vorbis(path, kind, tags, pictures)
    elif kind in MP4_FAMILY and (tags or pictures):
        _write_mp4(path, tags, pictures)
    elif kind == "mp3" and (tags or pictures):
        id3_tags(tags, pictures, version=id3_version).save(path, v2_version=id3_version)
    elif kind in ID3_FAMILY and (tags or pictures):
        wave = WAVE(path)
        wave.add_tags()
        for frame in id3_tags(tags, pictures, version=id3_version).values():
            wave.tags.add(frame)
        wave.save(v2_version=id3_version)
    if riff_info:
        append_riff_chunk(path, riff_info_chunk(riff_info))
    return path
