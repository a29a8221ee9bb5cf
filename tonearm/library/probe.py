"""Reading one audio file: its real type (libmagic), its stream facts and tags (mutagen).

One open per file: the first bytes go to libmagic, the container is looked up in
``formats.py`` by that verdict, and mutagen parses the same open file once. Whatever goes
wrong with one file becomes its reason (``ProbeError``).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import magic
import mutagen
from mutagen import MutagenError

from tonearm.library.containers import NO_LAYOUT, Layout, Truncated
from tonearm.library.facts import TrackFacts
from tonearm.library.formats import Container, container_for
from tonearm.library.streams import TRUNCATED, StreamRefused
from tonearm.library.tags import clean_text
from tonearm.paths import display_path

__all__ = [
    "NotAudioType",
    "ProbeError",
    "clean_text",
    "detect_mime_type",
    "fallback_title",
    "file_fingerprint",
    "probe_file",
]

HEAD_BYTES = 8192
# A file's fingerprint hashes its size and this many bytes at each end (``file_fingerprint``).
FINGERPRINT_EDGE_BYTES = 64 * 1024
MAX_ID3_TAGS = 4  # taggers that fail to replace a tag sometimes stack several
_local = threading.local()


class ProbeError(Exception):
    """The file is not a track tonearm can serve; ``reason`` says why, for the scan summary."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAudioType(ProbeError):
    """libmagic sees no accepted audio type in the file at all (as opposed to broken audio)."""


def _magic() -> magic.Magic:
    # libmagic handles are not thread-safe; keep one per thread.
    handle = getattr(_local, "magic", None)
    if handle is None:
        handle = _local.magic = magic.Magic(mime=True)
    return handle


def detect_mime_type(head: bytes) -> str:
    """The MIME type libmagic sees in a file's first bytes."""
    if not head:
        return "inode/x-empty"
    return str(_magic().from_buffer(head))


def _id3v2_length(head: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _read_head(handle: BinaryIO) -> bytes:
    """The first bytes of the audio: past any leading ID3v2 tag, however large.

    libmagic needs to see the audio itself (an MP3's frames, a FLAC's ``fLaC``); showing it
    the bytes after the tag means a 50 MB picture in the tag is never read for it.
    """
    head = handle.read(HEAD_BYTES)
    offset = 0
    for _ in range(MAX_ID3_TAGS):
        tag_length = _id3v2_length(head)
        if not tag_length:
            break
        offset += tag_length
        handle.seek(offset)
        head = handle.read(HEAD_BYTES)
        if not head:
            raise ProbeError("corrupt or truncated audio (nothing after its ID3 tag)")
    return head


@dataclass(frozen=True, slots=True)
class OpenedAudio:
    """A file parsed once: its container (``formats``), headers, mutagen object and size."""

    container: Container
    layout: Layout
    audio: Any
    size: int


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:120]


def _parse(container: Container, source: BinaryIO | io.RawIOBase) -> Any:
    source.seek(0)
    if len(container.readers) == 1:
        return container.readers[0](source)
    # mutagen scores the file's first bytes for each reader and parses with the best.
    audio = mutagen.File(source, options=list(container.readers))
    if audio is None:
        raise ProbeError(f"unsupported codec in {container.name}")
    return audio


def read_audio(handle: BinaryIO) -> OpenedAudio:
    """Identify and parse an open file; raise ``ProbeError`` if it is not accepted audio."""
    size = os.fstat(handle.fileno()).st_size
    head = _read_head(handle)
    try:
        mime_type = detect_mime_type(head)
    except Exception as exc:  # libmagic's own errors
        raise ProbeError(f"unknown type ({type(exc).__name__})") from None
    container = container_for(mime_type)
    if container is None:
        if not size:
            raise ProbeError("empty file")
        raise NotAudioType(f"unsupported type {mime_type}")
    try:
        layout = container.layout(handle, size) if container.layout else NO_LAYOUT
        audio = _parse(container, layout.source or handle)
    except Truncated:
        raise ProbeError(TRUNCATED) from None
    except MutagenError as exc:
        raise ProbeError(f"corrupt or truncated audio ({_short(exc)})") from None
    except (ProbeError, OSError):
        raise
    except Exception as exc:
        raise ProbeError(f"unreadable audio ({type(exc).__name__})") from None
    return OpenedAudio(container, layout, audio, size)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "vanished during the scan"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"unreadable ({exc.strerror or type(exc).__name__})"


def probe_file(path: Path, rel_path: str) -> TrackFacts:
    """Read a file's type, stream facts and tags; raise ``ProbeError`` when it is unusable.

    ``ProbeError`` is the only exception: whatever goes wrong with one file is its reason.
    """
    try:
        with path.open("rb") as handle:
            return _probe(handle, rel_path)
    except OSError as exc:
        raise ProbeError(_os_reason(exc)) from None


def _probe(handle: BinaryIO, rel_path: str) -> TrackFacts:
    opened = read_audio(handle)
    container = opened.container
    try:
        stream = container.stream(opened.audio, opened.layout, handle, opened.size)
    except StreamRefused as exc:
        raise ProbeError(str(exc)) from None
    except OSError:
        raise
    except Exception as exc:
        raise ProbeError(f"unreadable audio ({type(exc).__name__})") from None
    try:
        tags = container.tags.read(opened.audio, opened.layout)
    except Exception as exc:
        raise ProbeError(f"unreadable tags ({type(exc).__name__})") from None
    return TrackFacts(
        format=stream.format,
        mime_type=container.stream_mime_type,
        title=tags.title or fallback_title(rel_path),
        artist=tags.artist,
        album=tags.album,
        album_artist=tags.album_artist,
        track_number=tags.track_number,
        disc_number=tags.disc_number,
        year=tags.year,
        genre=tags.genres[0] if tags.genres else None,
        duration_seconds=stream.duration_seconds,
        bitrate=stream.bitrate,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
        bit_depth=stream.bit_depth,
        artists=tags.artists,
        album_artists=tags.album_artists,
        composers=tags.composers,
        genres=tags.genres,
        disc_subtitle=tags.disc_subtitle,
        is_compilation=tags.is_compilation,
        musicbrainz_album_id=tags.musicbrainz_album_id,
        musicbrainz_track_id=tags.musicbrainz_track_id,
        picture=tags.picture,
    )


def file_fingerprint(path: Path) -> str:
    """SHA-256 (hex) of the file's size and its first and last 64 KiB, for re-attaching.

    Cheap enough for every probed file (two reads, whatever the size) and telling enough
    that the same bytes under another name are recognized when a folder is renamed or
    moved: a retag rewrites the head, so a retagged file is matched by its MusicBrainz id
    instead. Raises ``OSError`` when the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest.update(size.to_bytes(8, "big"))
        digest.update(handle.read(FINGERPRINT_EDGE_BYTES))
        if size > FINGERPRINT_EDGE_BYTES:
            handle.seek(max(FINGERPRINT_EDGE_BYTES, size - FINGERPRINT_EDGE_BYTES))
            digest.update(handle.read(FINGERPRINT_EDGE_BYTES))
    return digest.hexdigest()


def fallback_title(rel_path: str) -> str:
    """The title of a file without one: the readable form of its name, less the extension."""
    name = PurePosixPath(rel_path)
    return clean_text(display_path(name.stem)) or display_path(name.name)
