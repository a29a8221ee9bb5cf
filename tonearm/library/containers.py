"""Byte-level looks at containers that mutagen does not offer: cheap reads of a few headers.

- MP3: a leading ID3v2 tag larger than ``LARGE_TAG`` (a 50 MB cover) is walked frame by
  frame and handed to mutagen without its large frames (``id3_splice``), so a probe never
  reads, let alone copies, the picture; the skipped pictures' types are kept.
- MP4: the top-level atoms (an atom that runs past the end of the file means the file was
  cut short; the ``mdat`` sizes give the real bitrate of ALAC).
- RIFF/WAVE: the chunks (the ``data`` chunk's declared size against the file's, the codec of
  the ``fmt`` chunk, the ``LIST``/``INFO`` tags that mutagen does not read).
- FLAC: the last frame headers in the file's tail (which sample the audio really ends at).

Nothing here decodes audio or reads more than a bounded number of bytes.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_ATOMS = 256
MAX_CHUNKS = 256
MAX_INFO_BYTES = 64 * 1024
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
UNKNOWN_RIFF_SIZE = 0xFFFFFFFF
LARGE_TAG = 1 << 20  # a leading ID3v2 tag above this is spliced (``id3_splice``)
LARGE_FRAME = 1 << 16  # frames above this are left out of a spliced tag
MAX_KEPT_TAG = 16 << 20  # a spliced tag keeps at most this many bytes of frames


class Truncated(Exception):
    """The container declares more bytes than the file holds."""


@dataclass(frozen=True, slots=True)
class SkippedFrame:
    """An ID3v2 frame left out of a spliced tag: where it is, and for APIC its picture type.

    ``picture_type`` is ``None`` when the frame's first bytes do not say (compressed or
    encrypted frames).
    """

    frame_id: str
    offset: int  # of the frame header, in the real file
    data_size: int
    picture_type: int | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """What a container's own headers say, read before mutagen parses the file.

    ``source``: what mutagen should read instead of the file (a ``SplicedFile``), if anything.
    ``id3_version``, ``skipped_frames``: the spliced tag's major version and what it left out.
    ``media_bytes``: the size of the audio payload (``mdat``, ``data``) when known.
    ``wave_format``: WAV's codec tag (the sub-format's for ``WAVE_FORMAT_EXTENSIBLE``).
    ``wave_frames``: WAV's sample frames when the ``data`` size is left open (streamed WAV).
    ``info``: RIFF ``INFO`` fields by chunk id, raw bytes.
    """

    source: io.RawIOBase | None = None
    id3_version: int = 4
    skipped_frames: tuple[SkippedFrame, ...] = ()
    media_bytes: int | None = None
    wave_format: int | None = None
    wave_frames: int | None = None
    info: dict[str, bytes] = field(default_factory=dict)


NO_LAYOUT = Layout()


# --- ID3v2 splicing -----------------------------------------------------------------------

_FRAME_ID = re.compile(rb"[A-Z0-9]{4}")


def _syncsafe(raw: bytes) -> int:
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
    return value


def _to_syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


class SplicedFile(io.RawIOBase):
    """A read-only view of a file whose first bytes are replaced by ``head``.

    The view is ``head`` followed by the file from ``resume`` on, so mutagen reads the
    rewritten tag and then the very audio of the file, with consistent offsets.
    """

    def __init__(self, handle: BinaryIO, head: bytes, resume: int, size: int) -> None:
        super().__init__()
        self._handle = handle
        self._head = head
        self._resume = resume
        self._length = len(head) + max(0, size - resume)
        self._position = 0
        self.name = getattr(handle, "name", "")

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def tell(self) -> int:
        """The position in the view."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the view (like a file: past the end is allowed, before 0 is not)."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        if base + offset < 0:
            raise OSError(22, "negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the head, then from the file."""
        view = memoryview(buffer).cast("B")
        wanted = len(view)
        done = 0
        head_length = len(self._head)
        if self._position < head_length:
            chunk = self._head[self._position : self._position + wanted]
            view[: len(chunk)] = chunk
            done = len(chunk)
        if done < wanted and self._position + done >= head_length:
            self._handle.seek(self._resume + self._position + done - head_length)
            data = self._handle.read(wanted - done)
            view[done : done + len(data)] = data
            done += len(data)
        self._position += done
        return done


def _frames(
    handle: BinaryIO, start: int, end: int, *, syncsafe: bool
) -> list[tuple[int, bytes, int, int]] | None:
    """(offset, id, data size, flags) of each frame, or ``None`` if the walk goes astray."""
    frames: list[tuple[int, bytes, int, int]] = []
    position = start
    while position + 10 <= end:
        handle.seek(position)
        header = handle.read(10)
        if len(header) < 10:
            return None
        if header[0] == 0:
            break  # padding
        raw = header[4:8]
        if not _FRAME_ID.fullmatch(header[:4]) or (syncsafe and any(b & 0x80 for b in raw)):
            return None
        length = _syncsafe(raw) if syncsafe else int.from_bytes(raw)
        if position + 10 + length > end:
            return None
        frames.append((position, header[:4], length, int.from_bytes(header[8:10])))
        position += 10 + length
    return frames


def _apic_type(handle: BinaryIO, offset: int, major: int, flags: int) -> int | None:
    """An APIC frame's picture type, from its first bytes (the image is not read)."""
    if major == 4:
        if flags & 0x0C:  # compressed or encrypted
            return None
        skip = (1 if flags & 0x40 else 0) + (4 if flags & 0x01 else 0)
    else:
        if flags & 0xC0:
            return None
        skip = 1 if flags & 0x20 else 0
    handle.seek(offset + 10 + skip)
    data = handle.read(512)
    if major == 4 and flags & 0x02:  # unsynchronised
        data = data.replace(b"\xff\x00", b"\xff")
    _, separator, rest = data[1:].partition(b"\x00")  # after the encoding byte: the MIME type
    return rest[0] if separator and rest else None


def id3_splice(handle: BinaryIO, size: int) -> tuple[bytes, int, int, list[SkippedFrame]] | None:
    """A large leading ID3v2.3/2.4 tag rewritten without its large frames.

    Returns (the new tag, where the file continues after the old one, the major version,
    the frames left out), or ``None`` when the tag is small, has no large frame, or is of a
    kind this does not rewrite (ID3v2.2, whole-tag unsynchronisation of v2.3, a frame walk
    that goes astray): mutagen then reads the tag itself.
    """
    handle.seek(0)
    header = handle.read(10)
    if len(header) < 10 or header[:3] != b"ID3" or header[3] not in (3, 4):
        return None
    major, flags = header[3], header[5]
    end = 10 + _syncsafe(header[6:10])
    if end - 10 <= LARGE_TAG or end > size or (major == 3 and flags & 0x80):
        return None
    start = 10
    if flags & 0x40:  # an extended header
        raw = handle.read(4)
        start += 4 + int.from_bytes(raw) if major == 3 else _syncsafe(raw)
    frames = _frames(handle, start, end, syncsafe=major == 4)
    if frames is None and major == 4:  # iTunes once wrote plain sizes in v2.4 tags
        frames = _frames(handle, start, end, syncsafe=False)
    if not frames:
        return None
    kept = bytearray()
    skipped: list[SkippedFrame] = []
    for offset, frame_id, length, frame_flags in frames:
        if length > LARGE_FRAME or len(kept) + 10 + length > MAX_KEPT_TAG:
            name = frame_id.decode("ascii")
            kind = _apic_type(handle, offset, major, frame_flags) if name == "APIC" else None
            skipped.append(SkippedFrame(name, offset, length, kind))
            continue
        handle.seek(offset)
        kept += handle.read(10 + length)
    if not skipped:
        return None
    tag_flags = flags & 0x80 if major == 4 else 0  # v2.4's unsynchronisation is per frame
    head = b"ID3" + bytes((major, 0, tag_flags)) + _to_syncsafe(len(kept)) + bytes(kept)
    resume = end + (10 if flags & 0x10 else 0)  # after a v2.4 footer
    return head, resume, major, skipped


def mp3_layout(handle: BinaryIO, size: int) -> Layout:
    """An MP3 whose leading tag is large is read through a ``SplicedFile``."""
    spliced = id3_splice(handle, size)
    if spliced is None:
        return NO_LAYOUT
    head, resume, major, skipped = spliced
    source = SplicedFile(handle, head, resume, size)
    return Layout(source=source, id3_version=major, skipped_frames=tuple(skipped))


def single_frame_tag(handle: BinaryIO, frame: SkippedFrame, *, major: int) -> bytes:
    """An ID3v2 tag holding only ``frame``, read from the file (for a caller that wants it)."""
    handle.seek(frame.offset)
    data = handle.read(10 + frame.data_size)
    return b"ID3" + bytes((major, 0, 0)) + _to_syncsafe(len(data)) + data


def mp4_layout(handle: BinaryIO, size: int) -> Layout:
    """Walk the top-level atoms; raise ``Truncated`` if one ends past the end of the file."""
    position = 0
    media = 0
    for _ in range(MAX_ATOMS):
        if position + 8 > size:
            break
        handle.seek(position)
        header = handle.read(16)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1 and len(header) == 16:
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:  # "extends to the end of the file"
            length = size - position
        if length < 8:
            break  # not an atom: mutagen will say what is wrong
        if position + length > size:
            raise Truncated
        if kind == b"mdat":
            media += length
        position += length
    return Layout(media_bytes=media or None)


def _riff_chunks(handle: BinaryIO, size: int) -> list[tuple[bytes, int, int]]:
    """(id, data offset, declared data size) of each top-level chunk of a RIFF file."""
    chunks: list[tuple[bytes, int, int]] = []
    position = 12
    for _ in range(MAX_CHUNKS):
        if position + 8 > size:
            break
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        chunks.append((kind, position + 8, length))
        if length == UNKNOWN_RIFF_SIZE:
            break
        position += 8 + length + (length & 1)
    return chunks


def _info_fields(data: bytes) -> dict[str, bytes]:
    fields: dict[str, bytes] = {}
    position = 4  # after the list type "INFO"
    while position + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[position : position + 8])
        value = data[position + 8 : position + 8 + length]
        name = kind.decode("latin-1")
        if name not in fields:
            fields[name] = value.split(b"\x00", 1)[0]
        position += 8 + length + (length & 1)
    return fields


def wave_layout(handle: BinaryIO, size: int) -> Layout:
    """Read the chunks of a RIFF/WAVE file; raise ``Truncated`` if ``data`` runs past the end."""
    wave_format: int | None = None
    block_align = 0
    media: int | None = None
    frames: int | None = None
    info: dict[str, bytes] = {}
    for kind, offset, length in _riff_chunks(handle, size):
        if kind == b"fmt " and wave_format is None:
            handle.seek(offset)
            fmt = handle.read(min(length, 40))
            if len(fmt) >= 16:
                wave_format, block_align = struct.unpack("<H10xH", fmt[:14])
                if wave_format == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
                    wave_format = struct.unpack("<H", fmt[24:26])[0]
        elif kind == b"data" and media is None:
            if length == UNKNOWN_RIFF_SIZE:  # written to a pipe: the audio runs to the end
                media = size - offset
                frames = media // block_align if block_align else None
            elif offset + length > size:
                raise Truncated
            else:
                media = length
        elif kind == b"LIST" and not info:
            handle.seek(offset)
            body = handle.read(min(length, MAX_INFO_BYTES))
            if body[:4] == b"INFO":
                info = _info_fields(body)
    return Layout(media_bytes=media, wave_format=wave_format, wave_frames=frames, info=info)


# --- FLAC frames ---------------------------------------------------------------------------

_FLAC_SYNC = re.compile(rb"\xff[\xf8\xf9]")
_FLAC_BLOCK_SIZES = {1: 192, **{c: 576 << (c - 2) for c in range(2, 6)}}
_FLAC_BLOCK_SIZES |= {c: 256 << (c - 8) for c in range(8, 16)}


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@dataclass(frozen=True, slots=True)
class FlacFrame:
    """One frame header: where it is, its coded number and its block size."""

    offset: int
    variable: bool  # numbered by sample (variable block size) rather than by frame
    number: int
    block_size: int


def _coded_number(data: bytes, start: int) -> tuple[int, int] | None:
    """FLAC's UTF-8-like coded frame or sample number at ``start``: (value, length)."""
    if start >= len(data):
        return None
    first = data[start]
    if first < 0x80:
        return first, 1
    extra = next((n for n in range(1, 7) if first & (0x80 >> (n + 1)) == 0), None)
    if extra is None or first & 0x40 == 0 or start + 1 + extra > len(data):
        return None
    value = first & (0x3F >> extra)
    for byte in data[start + 1 : start + 1 + extra]:
        if byte & 0xC0 != 0x80:
            return None
        value = (value << 6) | (byte & 0x3F)
    return value, 1 + extra


def _flac_frame(data: bytes, offset: int) -> FlacFrame | None:
    """The frame header at ``offset`` if it is one (every reserved bit and the CRC-8 check)."""
    if offset + 6 > len(data):
        return None
    block_code, rate_code = data[offset + 2] >> 4, data[offset + 2] & 0x0F
    channels, depth = data[offset + 3] >> 4, (data[offset + 3] >> 1) & 0x07
    if block_code == 0 or rate_code == 15 or channels > 10 or depth == 3 or data[offset + 3] & 1:
        return None
    coded = _coded_number(data, offset + 4)
    if coded is None:
        return None
    number, length = coded
    position = offset + 4 + length
    if block_code in (6, 7):  # the size minus one follows, in one or two bytes
        width = block_code - 5
        raw = data[position : position + width]
        block_size = int.from_bytes(raw) + 1 if len(raw) == width else 0
        position += width
    else:
        block_size = _FLAC_BLOCK_SIZES[block_code]
    position += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if block_size == 0 or position >= len(data) or _crc8(data[offset:position]) != data[position]:
        return None
    return FlacFrame(offset, data[offset + 1] == 0xF9, number, block_size)


def _follows(earlier: FlacFrame, later: FlacFrame) -> bool:
    if earlier.variable != later.variable or later.offset <= earlier.offset:
        return False
    if earlier.variable:
        return later.number == earlier.number + earlier.block_size
    return later.number == earlier.number + 1


def flac_audio_end(handle: BinaryIO, size: int, *, audio_start: int, max_frame: int) -> int | None:
    """The sample number at which the audio in the file really ends, or ``None`` if unsure.

    Reads the file's tail and looks for the last frame header that the header before it
    confirms (two consecutive frames: a false sync pattern inside compressed audio would
    have to pass two CRC checks and agree on the numbering). Trailing tags are skipped.
    """
    tail = min(size - audio_start, max(64 * 1024, 3 * max_frame + 64), 4 * 1024 * 1024)
    if tail <= 0:
        return None
    handle.seek(size - tail)
    data = handle.read(tail)
    frames = [
        frame
        for match in _FLAC_SYNC.finditer(data)
        if (frame := _flac_frame(data, match.start())) is not None
    ]
    for index in range(len(frames) - 1, 0, -1):
        later = frames[index]
        for earlier in reversed(frames[:index]):
            if _follows(earlier, later):
                first = later.number if later.variable else later.number * earlier.block_size
                return first + later.block_size
            if later.offset - earlier.offset > max(max_frame, 1 << 16) * 2:
                break
    return None
