"""Small real MP3 files for tests, made with the demo library's synthesizer and LAME."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK

from tonearm.library.demo import encode_mp3, synthesize


@lru_cache(maxsize=32)
def mp3_bytes(seconds: float = 1.0, kbps: int = 128, key: int = 0, vbr: bool = False) -> bytes:
    """Untagged MP3 audio (cached: tests share the same few encodings)."""
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
