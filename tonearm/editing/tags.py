"""Writing edited fields into an uploaded file's tags: the only writer of audio files.

Blocking (mutagen): call it in a worker thread. The file is never changed in place: the
tags are written into a copy in the same folder, which is fsynced and renamed over the
original, so a reader (a stream, a variant encode) sees the old bytes or the new ones,
never a half-written file. ID3v2.4 for MP3, Vorbis comments for FLAC, Ogg Vorbis and Opus,
MP4 atoms for AAC/ALAC in M4A; WAV files get an ID3 chunk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen
from mutagen import id3
from mutagen.mp4 import MP4

from tonearm.catalog.formats import AudioFormat

_CHUNK = 1024 * 1024


class TagWriteError(Exception):
    """The file's tags could not be written (the original is left as it was)."""


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """What the registry keeps of the file after its tags changed."""

    size_bytes: int
    mtime_ns: int
    sha256: str


def write_tags(path: Path, audio_format: AudioFormat, fields: Mapping[str, Any]) -> WrittenFile:
    """Write ``fields`` (``tracks.overrides`` keys with the effective values) into ``path``.

    A None value removes the tag. Returns the new size, mtime and SHA-256 of the file.
    """
    handle, temporary = tempfile.mkstemp(prefix=".edit-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    copy = Path(temporary)
    try:
        shutil.copyfile(path, copy)
        try:
            _write(copy, audio_format, fields)
        except (mutagen.MutagenError, ValueError, OSError) as exc:
            raise TagWriteError(
                f"the file's tags could not be written ({type(exc).__name__})"
            ) from exc
        with open(copy, "rb") as written:
            os.fsync(written.fileno())
        os.replace(copy, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return _describe(path)


def _describe(path: Path) -> WrittenFile:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
        info = os.fstat(stream.fileno())
    return WrittenFile(info.st_size, info.st_mtime_ns, digest.hexdigest())


def _text(value: Any) -> list[str]:
    if value is None or value in ("", []):
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _write(path: Path, audio_format: AudioFormat, fields: Mapping[str, Any]) -> None:
    if audio_format in {AudioFormat.MP3, AudioFormat.WAV}:
        _write_id3(path, audio_format, fields)
    elif audio_format in {AudioFormat.AAC, AudioFormat.ALAC}:
        _write_mp4(path, fields)
    else:
        _write_vorbis(path, fields)


_ID3_TEXT = {
    "title": id3.TIT2,
    "artists": id3.TPE1,
    "album": id3.TALB,
    "album_artist": id3.TPE2,
    "track_number": id3.TRCK,
    "disc_number": id3.TPOS,
    "year": id3.TDRC,
    "genre": id3.TCON,
}


def _write_id3(path: Path, audio_format: AudioFormat, fields: Mapping[str, Any]) -> None:
    if audio_format is AudioFormat.WAV:
        from mutagen.wave import WAVE

        wave = WAVE(path)
        if wave.tags is None:
            wave.add_tags()
        assert isinstance(wave.tags, id3.ID3)
        _set_id3(wave.tags, fields)
        wave.save()
        return
    try:
        tags = id3.ID3(path)
    except id3.ID3NoHeaderError:
        tags = id3.ID3()
    _set_id3(tags, fields)
    tags.save(path, v2_version=4)


def _set_id3(tags: id3.ID3, fields: Mapping[str, Any]) -> None:
    for key, frame in _ID3_TEXT.items():
        if key not in fields:
            continue
        tags.delall(frame.__name__)
        values = _text(fields[key])
        if values:
            tags.add(frame(encoding=id3.Encoding.UTF8, text=values))
    if "lyrics" in fields:
        tags.delall("USLT")
        if fields["lyrics"]:
            tags.add(
                id3.USLT(encoding=id3.Encoding.UTF8, lang="und", desc="", text=fields["lyrics"])
            )
    if "is_explicit" in fields:
        tags.delall("TXXX:ITUNESADVISORY")
        if fields["is_explicit"]:
            tags.add(id3.TXXX(encoding=id3.Encoding.UTF8, desc="ITUNESADVISORY", text=["1"]))


_VORBIS = {
    "title": "TITLE",
    "artists": "ARTIST",
    "album": "ALBUM",
    "album_artist": "ALBUMARTIST",
    "track_number": "TRACKNUMBER",
    "disc_number": "DISCNUMBER",
    "year": "DATE",
    "genre": "GENRE",
    "lyrics": "LYRICS",
}


def _write_vorbis(path: Path, fields: Mapping[str, Any]) -> None:
    audio = mutagen.File(path)
    if audio is None:
        raise ValueError("not a file mutagen can tag")
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    for key, name in _VORBIS.items():
        if key in fields:
            values = _text(fields[key])
            if values:
                tags[name] = values
            elif name in tags:
                del tags[name]
    if "is_explicit" in fields:
        if fields["is_explicit"]:
            tags["ITUNESADVISORY"] = ["1"]
        elif "ITUNESADVISORY" in tags:
            del tags["ITUNESADVISORY"]
    audio.save()


_MP4_TEXT = {
    "title": "\xa9nam",
    "artists": "\xa9ART",
    "album": "\xa9alb",
    "album_artist": "aART",
    "year": "\xa9day",
    "genre": "\xa9gen",
    "lyrics": "\xa9lyr",
}


def _write_mp4(path: Path, fields: Mapping[str, Any]) -> None:
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert tags is not None
    for key, atom in _MP4_TEXT.items():
        if key in fields:
            values = _text(fields[key])
            if values:
                tags[atom] = values
            else:
                tags.pop(atom, None)
    for key, atom in (("track_number", "trkn"), ("disc_number", "disk")):
        if key in fields:
            if fields[key]:
                tags[atom] = [(int(fields[key]), 0)]
            else:
                tags.pop(atom, None)
    if "is_explicit" in fields:
        tags["rtng"] = [4 if fields["is_explicit"] else 0]
    audio.save()
