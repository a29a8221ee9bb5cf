"""Reading Ogg pages, to check an Opus variant's granule positions."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One Ogg page: its granule position (-1: none) and, on the first, Opus's pre-skip."""

    granule: int
    pre_skip: int
    payload: bytes


def opus_pages(data: bytes) -> list[Page]:
    """Every page of a single-stream Ogg Opus file, in order."""
    pages = []
    offset = 0
    while offset < len(data):
        if data[offset : offset + 4] != b"OggS":
            raise ValueError(f"no Ogg page at {offset}")
        granule = struct.unpack("<q", data[offset + 6 : offset + 14])[0]
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        start = offset + 27 + segments
        payload = data[start : start + sum(lacing)]
        pre_skip = struct.unpack("<H", payload[10:12])[0] if payload[:8] == b"OpusHead" else 0
        pages.append(Page(granule, pre_skip, payload))
        offset = start + sum(lacing)
    return pages
