"""Walking MPEG audio frames, to check a variant's Xing/Info header against its real frames."""

from __future__ import annotations

import struct

_BITRATES_V1_L3 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES_V1 = (44100, 48000, 32000)


def audio_start(data: bytes) -> int:
    """Where the audio begins: after an ID3v2 tag, if there is one."""
    if data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _frame_length(header: int) -> int | None:
    if header >> 21 != 0x7FF or (header >> 19) & 3 != 3 or (header >> 17) & 3 != 1:
        return None  # MPEG-1 Layer III only (what LAME writes at 32-48 kHz)
    bitrate_index = (header >> 12) & 0xF
    rate_index = (header >> 10) & 3
    if bitrate_index in (0, 15) or rate_index == 3:
        return None
    padding = (header >> 9) & 1
    return 144_000 * _BITRATES_V1_L3[bitrate_index] // _RATES_V1[rate_index] + padding


def frames(data: bytes) -> list[tuple[int, int]]:
    """Every frame as (offset, length), from the first one to the last whole one."""
    found = []
    offset = audio_start(data)
    while offset + 4 <= len(data):
        length = _frame_length(struct.unpack(">I", data[offset : offset + 4])[0])
        if length is None or offset + length > len(data):
            break
        found.append((offset, length))
        offset += length
    return found


def xing_frame_count(data: bytes) -> int | None:
    """The frame count of the Xing/Info header in the first frame (None: there is none)."""
    offset, length = frames(data)[0]
    first = data[offset : offset + length]
    for tag in (b"Xing", b"Info"):
        at = first.find(tag)
        if at >= 0:
            flags = struct.unpack(">I", first[at + 4 : at + 8])[0]
            return struct.unpack(">I", first[at + 8 : at + 12])[0] if flags & 1 else None
    return None


def count_mp3_frames(data: bytes) -> int:
    """The audio frames of the file, not counting the Xing/Info frame itself."""
    every = frames(data)
    offset, length = every[0]
    has_info = any(tag in data[offset : offset + length] for tag in (b"Xing", b"Info"))
    return len(every) - (1 if has_info else 0)
