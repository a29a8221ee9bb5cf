"""Which versions of a track tonearm offers, and which one a stream request gets.

Every track offers its **original** and, made on demand or ahead of time, transcoded
**variants**: MP3 at the source's bitrate (capped at 320 kbps; for an MP3 source the
original is that MP3) and Ogg Opus at 96, 160 and 320 kbps, never above the source's
bitrate. A lossless source counts as above every lossy bitrate. Pure rules, no I/O: the
GraphQL layer lists the offers, ``createStreamUrl`` picks one with ``choose_variant``, the
stream route and the encoder read a variant's container, MIME type and encoder settings
from ``TARGETS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tonearm.catalog.formats import AudioFormat

# The bitrates LAME encodes MPEG-1 Layer III at in CBR mode (kbps).
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MP3_MAX_KBPS = 320
OPUS_BITRATES = (96, 160, 320)
OPUS_MAX_KBPS_PER_CHANNEL = 256  # libopus refuses more (a mono source gets no Opus 320)


@dataclass(frozen=True, slots=True)
class Target:
    """A format tonearm transcodes to: where it lives and how it is served."""

    format: AudioFormat
    container: str  # also the file extension of a stored variant
    mime_type: str
    ffmpeg_muxer: str
    ffmpeg_codec: str


TARGETS: dict[AudioFormat, Target] = {
    AudioFormat.MP3: Target(AudioFormat.MP3, "mp3", "audio/mpeg", "mp3", "libmp3lame"),
    AudioFormat.OPUS: Target(AudioFormat.OPUS, "ogg", "audio/ogg", "ogg", "libopus"),
}

# What an original's format is stored in and served as (the scanner's table decides the
# MIME type of each file; this is only what a listing shows for the original).
ORIGINAL_CONTAINERS: dict[AudioFormat, str] = {
    AudioFormat.MP3: "mp3",
    AudioFormat.FLAC: "flac",
    AudioFormat.VORBIS: "ogg",
    AudioFormat.OPUS: "ogg",
    AudioFormat.AAC: "mp4",
    AudioFormat.ALAC: "mp4",
    AudioFormat.WAV: "wav",
}


@dataclass(frozen=True, slots=True)
class VariantKey:
    """Names one transcoded variant of a track: its format and bitrate."""

    format: AudioFormat
    bitrate_kbps: int

    @property
    def target(self) -> Target:
        """How this variant is encoded and served."""
        return TARGETS[self.format]

    @property
    def format_value(self) -> str:
        """The stored value of the format (``db.variants.VariantName``)."""
        return self.format.value

    @property
    def container(self) -> str:
        """The container and file extension of the variant."""
        return self.target.container

    @property
    def slug(self) -> str:
        """``mp3-320``, ``opus-96``: the variant's name in tokens and in the store."""
        return f"{self.format.value}-{self.bitrate_kbps}"

    @classmethod
    def from_slug(cls, slug: str) -> VariantKey | None:
        """The key a slug names, or None when it names no variant tonearm makes."""
        match = _SLUG.fullmatch(slug)
        if match is None:
            return None
        try:
            audio_format = AudioFormat(match[1])
        except ValueError:
            return None
        key = cls(audio_format, int(match[2]))
        return key if key.is_valid() else None

    def is_valid(self) -> bool:
        """Whether tonearm makes variants of this format at this bitrate at all."""
        if self.format is AudioFormat.MP3:
            return self.bitrate_kbps in MP3_BITRATES
        if self.format is AudioFormat.OPUS:
            return self.bitrate_kbps in OPUS_BITRATES
        return False


_SLUG = re.compile(r"([a-z0-9]{2,8})-([0-9]{2,3})")


@dataclass(frozen=True, slots=True)
class SourceAudio:
    """What the offers of a track depend on: its format, bitrate (bits per second), channels."""

    format: AudioFormat
    bitrate: int | None
    mime_type: str
    channels: int | None = None  # unknown: taken as stereo

    @property
    def bitrate_kbps(self) -> int | None:
        """The source's bitrate in kbps, rounded to the nearest (None when unknown)."""
        return round(self.bitrate / 1000) if self.bitrate else None

    def allows(self, kbps: int) -> bool:
        """Whether a lossy variant at ``kbps`` would not exceed the source's bitrate."""
        if self.format.is_lossless or self.bitrate is None:
            return True
        return kbps * 1000 <= self.bitrate


@dataclass(frozen=True, slots=True)
class Offer:
    """One version a track offers: the original (``key`` None) or a variant."""

    format: AudioFormat
    bitrate_kbps: int | None
    container: str
    mime_type: str
    key: VariantKey | None

    @property
    def is_original(self) -> bool:
        """Whether this is the file itself rather than a transcode."""
        return self.key is None

    @property
    def rank(self) -> float:
        """Quality order for choosing: a lossless original is above every lossy bitrate."""
        if self.key is None and self.format.is_lossless:
            return float("inf")
        return float(self.bitrate_kbps or 0)


def mp3_bitrate_for(source: SourceAudio) -> int:
    """The MP3 variant's bitrate: the source's, capped at 320, rounded down to a LAME rate."""
    if source.format.is_lossless or source.bitrate is None:
        return MP3_MAX_KBPS
    ceiling = min(source.bitrate // 1000, MP3_MAX_KBPS)
    fitting = [rate for rate in MP3_BITRATES if rate <= ceiling]
    return fitting[-1] if fitting else MP3_BITRATES[0]


def original_offer(source: SourceAudio) -> Offer:
    """The original as an offer."""
    return Offer(
        format=source.format,
        bitrate_kbps=source.bitrate_kbps,
        container=ORIGINAL_CONTAINERS[source.format],
        mime_type=source.mime_type,
        key=None,
    )


def variant_offer(key: VariantKey) -> Offer:
    """A variant as an offer."""
    target = key.target
    return Offer(
        format=key.format,
        bitrate_kbps=key.bitrate_kbps,
        container=target.container,
        mime_type=target.mime_type,
        key=key,
    )


def offered_variants(source: SourceAudio) -> list[VariantKey]:
    """The variants a track offers besides its original, best first within each format.

    A variant of the source's own format is offered only below the source's bitrate: at or
    above it, the original is the better file.
    """
    keys: list[VariantKey] = []
    if source.format is not AudioFormat.MP3:
        keys.append(VariantKey(AudioFormat.MP3, mp3_bitrate_for(source)))
    opus_ceiling = OPUS_MAX_KBPS_PER_CHANNEL * (source.channels or 2)
    for kbps in sorted(OPUS_BITRATES, reverse=True):
        if not source.allows(kbps) or kbps > opus_ceiling:
            continue
        if source.format is AudioFormat.OPUS and source.bitrate and kbps * 1000 >= source.bitrate:
            continue
        keys.append(VariantKey(AudioFormat.OPUS, kbps))
    return keys


def offers_for(source: SourceAudio) -> list[Offer]:
    """Everything a track offers: the original first, then its variants."""
    return [original_offer(source), *(variant_offer(key) for key in offered_variants(source))]


class VariantChoiceError(Exception):
    """A stream request that no offer of the track satisfies."""


class FormatNotOffered(VariantChoiceError):
    """The track offers nothing in the asked format."""

    def __init__(self, audio_format: AudioFormat) -> None:
        super().__init__(audio_format)
        self.format = audio_format


class BitrateTooLow(VariantChoiceError):
    """Every offer (of the asked format) is above the asked maximum bitrate."""

    def __init__(self, lowest_kbps: int | None) -> None:
        super().__init__(lowest_kbps)
        self.lowest_kbps = lowest_kbps  # None when only a lossless original was left


def choose_variant(
    offers: list[Offer], *, audio_format: AudioFormat | None, max_bitrate_kbps: int | None
) -> Offer:
    """The best offer within the request; nothing asked for is the original.

    With a format, only offers of that format count; with a maximum bitrate, only offers at
    or under it (a lossless original is above every maximum). The best is the highest
    bitrate; on a tie the original wins. Raises ``FormatNotOffered`` or ``BitrateTooLow``
    rather than substituting something the client did not ask for.
    """
    if audio_format is None and max_bitrate_kbps is None:
        return offers[0]
    candidates = offers
    if audio_format is not None:
        candidates = [offer for offer in offers if offer.format is audio_format]
        if not candidates:
            raise FormatNotOffered(audio_format)
    if max_bitrate_kbps is not None:
        fitting = [offer for offer in candidates if offer.rank <= max_bitrate_kbps]
        if not fitting:
            lossy = [offer.bitrate_kbps or 0 for offer in candidates if offer.rank != float("inf")]
            raise BitrateTooLow(min(lossy) if lossy else None)
        candidates = fitting
    return max(candidates, key=lambda offer: (offer.rank, offer.is_original))
