"""The audio formats tonearm accepts: the one table that knows each container.

The probe looks a file's libmagic verdict up here (``container_for``), never its extension,
and then follows the entry: the container's own headers (``layout``), mutagen's reader (for
Ogg, mutagen's parse picks Vorbis or Opus), the codec and stream facts (``stream``), the tag
family. The track is registered with the entry's ``stream_mime_type``, which the stream
route sends as ``Content-Type``. Extensions only decide which files the walker looks at.
``library/README.md`` says how to add a format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from mutagen import FileType
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from tonearm.library import streams, tags
from tonearm.library.containers import Layout, mp3_layout, mp4_layout, wave_layout


@dataclass(frozen=True, slots=True)
class Container:
    """One accepted container and everything the probe needs to read it.

    ``magic_types``: the MIME types libmagic (file 5.44 here) gives files of this container.
    ``readers``: mutagen's classes; with several, mutagen's own scoring of the file picks one.
    ``layout``: reads the container's headers before mutagen (may raise ``Truncated``), and
    may give mutagen a view of the file to read instead (``Layout.source``).
    ``stream``: the codec and stream facts from mutagen's parse (may raise ``StreamRefused``).
    """

    name: str
    magic_types: tuple[str, ...]
    stream_mime_type: str
    readers: tuple[type[FileType], ...]
    stream: Callable[[Any, Layout, BinaryIO, int], streams.Stream]
    tags: tags.TagFamily
    layout: Callable[[BinaryIO, int], Layout] | None = None


CONTAINERS: tuple[Container, ...] = (
    # An MP3 behind a large ID3v2 tag is "application/octet-stream" to libmagic unless it
    # sees the audio: the probe shows it the bytes after the tag. A tag above 1 MiB is
    # handed to mutagen without its large frames (``containers.id3_splice``).
    Container(
        "MP3",
        ("audio/mpeg",),
        "audio/mpeg",
        (MP3,),
        streams.mp3_stream,
        tags.ID3_TAGS,
        layout=mp3_layout,
    ),
    Container(
        "FLAC",
        ("audio/flac",),
        "audio/flac",
        (FLAC,),
        streams.flac_stream,
        tags.VORBIS_COMMENTS,
    ),
    # Vorbis and Opus are both "audio/ogg" to libmagic (so are Ogg FLAC and Speex, which
    # neither reader accepts).
    Container(
        "Ogg",
        ("audio/ogg",),
        "audio/ogg",
        (OggVorbis, OggOpus),
        streams.ogg_stream,
        tags.VORBIS_COMMENTS,
    ),
    # "audio/x-m4a" for the M4A brand (iTunes, ffmpeg's ipod muxer), "audio/mp4" for M4B,
    # "video/mp4" for the isom/mp42 brands many encoders write even for audio only. AAC or
    # ALAC is decided by the track's codec.
    Container(
        "MP4",
        ("audio/x-m4a", "audio/mp4", "video/mp4"),
        "audio/mp4",
        (MP4,),
        streams.mp4_stream,
        tags.MP4_ATOMS,
        layout=mp4_layout,
    ),
    Container(
        "WAV",
        ("audio/x-wav",),
        "audio/wav",
        (WAVE,),
        streams.wave_stream,
        tags.WAVE_TAGS,
        layout=wave_layout,
    ),
)

_BY_MAGIC_TYPE = {magic_type: c for c in CONTAINERS for magic_type in c.magic_types}


def container_for(magic_type: str) -> Container | None:
    """The container of a file libmagic calls ``magic_type``, or ``None`` if not accepted."""
    return _BY_MAGIC_TYPE.get(magic_type)


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
