"""Stream facts per container: the codec, duration, bitrate, sample rate, channels, bit depth.

Each function takes what mutagen parsed and the container's ``Layout``, decides the codec
(refusing codecs tonearm does not serve) and checks that the file holds the audio its
headers promise, as far as the format lets us tell:

- MP3: the bitrate times the duration may not exceed the file by half again (a VBR header
  that promises far more frames than the file holds).
- FLAC: the last frame in the file's tail must reach the sample count of STREAMINFO (to
  within one block); mutagen reports STREAMINFO's length whatever follows it.
- MP4 and WAV: no atom or ``data`` chunk may run past the end of the file (``containers``).
- Ogg: mutagen takes the length from the last page there is, so a cut file is registered
  with the length it really has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from mutagen.oggopus import OggOpus

from tonearm.catalog.formats import AudioFormat
from tonearm.library.containers import Layout, flac_audio_end

OPUS_SAMPLE_RATE = 48000  # Opus always decodes at 48 kHz, whatever the source was
_WAVE_PCM, _WAVE_FLOAT = 0x0001, 0x0003
_MP4_AAC_PREFIXES = ("mp4a.40.", "mp4a.66", "mp4a.67", "mp4a.68")  # MPEG-4 and MPEG-2 AAC


class StreamRefused(Exception):
    """The audio cannot be served; the message is the reason for the scan summary."""


TRUNCATED = "corrupt or truncated audio (file shorter than its header says)"


@dataclass(frozen=True, slots=True)
class Stream:
    """The codec and stream facts of one file."""

    format: AudioFormat
    duration_seconds: float
    bitrate: int | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None = None


def _positive(value: Any) -> int | None:
    number = int(value or 0)
    return number if number > 0 else None


def _checked(length: float) -> float:
    if length <= 0:
        raise StreamRefused("corrupt or truncated audio (no audio frames)")
    return length


def _length(info: Any) -> float:
    return _checked(float(getattr(info, "length", 0.0) or 0.0))


def _average_bitrate(media_bytes: int, length: float) -> int | None:
    return _positive(round(media_bytes * 8 / length)) if length > 0 else None


def _stream(audio_format: AudioFormat, info: Any, length: float, **facts: Any) -> Stream:
    values: dict[str, Any] = {
        "bitrate": _positive(getattr(info, "bitrate", 0)),
        "sample_rate": _positive(getattr(info, "sample_rate", 0)),
        "channels": _positive(getattr(info, "channels", 0)),
        **facts,
    }
    return Stream(audio_format, round(length, 3), **values)


def mp3_stream(audio: Any, layout: Layout, handle: BinaryIO, size: int) -> Stream:
    """MPEG audio: Layer III only (Layer I and II files are refused)."""
    info = audio.info
    layer = getattr(info, "layer", 3)
    if layer != 3:
        raise StreamRefused(f"unsupported codec (MPEG audio layer {'I' * layer})")
    length = _length(info)
    bitrate = _positive(getattr(info, "bitrate", 0))
    if bitrate and length * bitrate / 8 > size * 1.5:
        raise StreamRefused(TRUNCATED)
    return _stream(AudioFormat.MP3, info, length)


def flac_stream(audio: Any, layout: Layout, handle: BinaryIO, size: int) -> Stream:
    """FLAC at any bit depth; checked against its last frame."""
    info = audio.info
    rate = _positive(info.sample_rate)
    length = float(info.length or 0.0)
    bitrate = _positive(info.bitrate)
    # mutagen's bitrate is over the audio frames, so they start this far from the end:
    audio_bytes = int((bitrate or 0) * length / 8) if length else size
    end = flac_audio_end(
        handle,
        size,
        audio_start=max(0, size - audio_bytes - 16),
        max_frame=int(info.max_framesize or 0),
    )
    if end is not None and rate:
        if not info.total_samples:  # STREAMINFO left the length open (encoded to a pipe)
            length = end / rate
            bitrate = _average_bitrate(size, length)
        elif end + int(info.max_blocksize or 0) < info.total_samples:
            raise StreamRefused(TRUNCATED)
    return _stream(
        AudioFormat.FLAC,
        info,
        _checked(length),
        bitrate=bitrate,
        bit_depth=_positive(info.bits_per_sample),
    )


def ogg_stream(audio: Any, layout: Layout, handle: BinaryIO, size: int) -> Stream:
    """Ogg Vorbis or Ogg Opus, as mutagen's parse decided (the Ogg entry's two readers)."""
    info = audio.info
    length = _length(info)
    is_opus = isinstance(audio, OggOpus)
    bitrate = _positive(getattr(info, "bitrate", 0)) or _average_bitrate(size, length)
    return _stream(
        AudioFormat.OPUS if is_opus else AudioFormat.VORBIS,
        info,
        length,
        bitrate=bitrate,
        sample_rate=OPUS_SAMPLE_RATE if is_opus else _positive(info.sample_rate),
    )


def mp4_stream(audio: Any, layout: Layout, handle: BinaryIO, size: int) -> Stream:
    """MP4 audio: AAC (lossy) or ALAC (lossless, with its bit depth), by the track's codec."""
    info = audio.info
    codec = str(getattr(info, "codec", "") or "")
    if codec == "alac":
        length = _length(info)
        # mutagen reports ALAC's nominal (PCM) bitrate; the mdat size gives the real one.
        bitrate = _average_bitrate(layout.media_bytes or size, length)
        return _stream(
            AudioFormat.ALAC,
            info,
            length,
            bitrate=bitrate,
            bit_depth=_positive(info.bits_per_sample),
        )
    if codec.startswith(_MP4_AAC_PREFIXES):
        return _stream(AudioFormat.AAC, info, _length(info))
    described = str(getattr(info, "codec_description", "") or "") or codec or "no audio track"
    raise StreamRefused(f"unsupported codec in MP4 ({described[:40]})")


def wave_stream(audio: Any, layout: Layout, handle: BinaryIO, size: int) -> Stream:
    """WAV with integer PCM or float samples; other codecs (ADPCM, MP3 in WAV) are refused."""
    info = audio.info
    if layout.wave_format not in (_WAVE_PCM, _WAVE_FLOAT):
        code = layout.wave_format if layout.wave_format is not None else 0
        raise StreamRefused(f"unsupported codec in WAV (format 0x{code:04x})")
    rate = _positive(info.sample_rate)
    if layout.wave_frames is not None and rate:
        length = _checked(layout.wave_frames / rate)
    else:
        length = _length(info)
    return _stream(AudioFormat.WAV, info, length, bit_depth=_positive(info.bits_per_sample))
