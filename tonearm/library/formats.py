"""The audio formats tonearm accepts, in one place.

To add a format (FLAC, Ogg, Opus, M4A), add its MIME type, extensions and mutagen reader
here, and teach ``probe.py`` its tags (it reads ID3 frames only); the walker and the probe
read this table, the stream route serves the MIME type stored with each track.
"""

from __future__ import annotations

from dataclasses import dataclass

from mutagen import FileType
from mutagen.mp3 import MP3


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """A supported container: its MIME type, file extensions and mutagen reader."""

    mime_type: str
    extensions: tuple[str, ...]
    reader: type[FileType]


ACCEPTED_FORMATS: dict[str, AudioFormat] = {
    "audio/mpeg": AudioFormat("audio/mpeg", (".mp3",), MP3),
}

# Files with these extensions are looked at (and reported when unsupported); anything else
# in the media root (cover images, playlists, notes) is not audio and is passed over quietly.
AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3",
        ".mp2",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".m4b",
        ".mp4",
        ".aac",
        ".wav",
        ".aif",
        ".aiff",
        ".wma",
        ".ape",
        ".wv",
        ".mpc",
        ".dsf",
    }
)


def is_audio_candidate(name: str) -> bool:
    """Whether a file name looks like audio and so deserves a look at its real type."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in AUDIO_EXTENSIONS
