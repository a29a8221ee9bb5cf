"""Reading one audio file: its real type (libmagic) and its stream facts and tags (mutagen)."""

from __future__ import annotations

import re
import threading
from pathlib import Path, PurePosixPath
from typing import Any

import magic
from mutagen import MutagenError

from tonearm.catalog.formats import AudioFormat
from tonearm.library.facts import TrackFacts
from tonearm.library.formats import ACCEPTED_FORMATS
from tonearm.paths import display_path

HEAD_BYTES = 8192
MAX_TAG_BYTES = 16 * 1024 * 1024
MAX_TEXT = 1000
_NUMBER = re.compile(r"\d+")
_local = threading.local()


class ProbeError(Exception):
    """The file is not a track tonearm can serve; ``reason`` says why, for the scan summary."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def clean_text(value: object) -> str | None:
    """Tag text made safe to store: no NULs or lone surrogates, trimmed, bounded."""
    if value is None:
        return None
    text = str(value).replace("\x00", " ")
    text = text.encode("utf-8", "replace").decode("utf-8").strip()
    return text[:MAX_TEXT] or None


def _first_number(value: str | None, upper: int) -> int | None:
    match = _NUMBER.search(value or "")
    if not match:
        return None
    number = int(match.group()[:9])
    return number if 0 < number <= upper else None


def _frame_text(tags: Any, frame_id: str) -> str | None:
    frame = tags.get(frame_id) if tags is not None else None
    if frame is None or not getattr(frame, "text", None):
        return None
    return clean_text(frame.text[0])


def _genre(tags: Any) -> str | None:
    frame = tags.get("TCON") if tags is not None else None
    # ``genres`` turns ID3v1-style references such as "(17)" into names ("Rock").
    genres = getattr(frame, "genres", None)
    return clean_text(genres[0]) if genres else None


def _year(tags: Any) -> int | None:
    for frame_id in ("TDRC", "TYER", "TDOR", "TORY"):
        text = _frame_text(tags, frame_id)
        if text:
            return _first_number(text[:4], 9999)
    return None


def _id3v2_length(head: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (libmagic must see past it to find the audio)."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _read_head(path: Path) -> bytes:
    """The file's first bytes, extended past a leading ID3v2 tag to the first audio frame."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        tag_length = min(_id3v2_length(head), MAX_TAG_BYTES)
        if tag_length + HEAD_BYTES // 2 > len(head):
            head += handle.read(tag_length + HEAD_BYTES - len(head))
    return head


def probe_file(path: Path, rel_path: str) -> TrackFacts:
    """Read a file's type, stream facts and tags; raise ``ProbeError`` when it is unusable.

    ``ProbeError`` is the only exception: whatever goes wrong with one file is its reason.
    """
    try:
        head = _read_head(path)
    except FileNotFoundError:
        raise ProbeError("vanished during the scan") from None
    except PermissionError:
        raise ProbeError("permission denied") from None
    except OSError as exc:
        raise ProbeError(f"unreadable ({exc.strerror})") from None
    try:
        mime_type = detect_mime_type(head)
    except Exception as exc:  # libmagic's own errors
        raise ProbeError(f"unknown type ({type(exc).__name__})") from None
    audio_format = ACCEPTED_FORMATS.get(mime_type)
    if audio_format is None:
        raise ProbeError("empty file" if not head else f"unsupported type {mime_type}")
    try:
        audio = audio_format.reader(path)
    except MutagenError as exc:
        raise ProbeError(f"corrupt or truncated audio ({_short(exc)})") from None
    except Exception as exc:
        raise ProbeError(f"unreadable audio ({type(exc).__name__})") from None
    try:
        return _facts(audio, mime_type, path, rel_path)
    except ProbeError:
        raise
    except FileNotFoundError:
        raise ProbeError("vanished during the scan") from None
    except OSError as exc:
        raise ProbeError(f"unreadable ({exc.strerror})") from None
    except Exception as exc:
        raise ProbeError(f"unreadable tags ({type(exc).__name__})") from None


def fallback_title(rel_path: str) -> str:
    """The title of a file without one: the readable form of its name, less the extension."""
    name = PurePosixPath(rel_path)
    return clean_text(display_path(name.stem)) or display_path(name.name)


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:120]


def _facts(audio: Any, mime_type: str, path: Path, rel_path: str) -> TrackFacts:
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0:
        raise ProbeError("corrupt or truncated audio (no audio frames)")
    bitrate = int(getattr(info, "bitrate", 0) or 0) or None
    if bitrate and length * bitrate / 8 > path.stat().st_size * 1.5:
        raise ProbeError("corrupt or truncated audio (file shorter than its header says)")
    tags = audio.tags
    return TrackFacts(
        format=AudioFormat.MP3,
        mime_type=mime_type,
        title=_frame_text(tags, "TIT2") or fallback_title(rel_path),
        artist=_frame_text(tags, "TPE1"),
        album=_frame_text(tags, "TALB"),
        album_artist=_frame_text(tags, "TPE2"),
        track_number=_first_number(_frame_text(tags, "TRCK"), 99999),
        disc_number=_first_number(_frame_text(tags, "TPOS"), 9999),
        year=_year(tags),
        genre=_genre(tags),
        duration_seconds=round(length, 3),
        bitrate=bitrate,
        sample_rate=int(getattr(info, "sample_rate", 0) or 0) or None,
        channels=int(getattr(info, "channels", 0) or 0) or None,
    )
