"""The audio formats of the domain: which codec a track's audio is, and what that implies.

A format is the codec; the container is a separate fact (Opus and Vorbis live in Ogg, AAC
and ALAC in MP4). The scanner's ``library/formats.py`` maps files to these; GraphQL exposes
them as the ``AudioFormat`` enum, and transcoded variants reuse them.
"""

from __future__ import annotations

from enum import Enum


class AudioFormat(Enum):
    """An audio codec tonearm registers; the value is what the registry stores."""

    MP3 = "mp3"
    FLAC = "flac"
    VORBIS = "vorbis"
    OPUS = "opus"
    AAC = "aac"
    ALAC = "alac"
    WAV = "wav"

    @property
    def is_lossless(self) -> bool:
        """Whether the codec keeps every sample (a lossless source beats any lossy bitrate)."""
        return self in _LOSSLESS


_LOSSLESS = frozenset({AudioFormat.FLAC, AudioFormat.ALAC, AudioFormat.WAV})
