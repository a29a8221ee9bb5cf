"""A share's forced quality: which offer of a track a share's listener gets.

Values name the real ladder of ``catalog.variants`` (Opus 96/160/320, MP3 at the source's
rate up to 320); the stored value is a variant slug (``opus-96``), or NULL for the
original. ``share_offer`` is the one decision: minting and the stream route's re-check both
call it, so a share's token can never open another version than the share allows.
"""

from __future__ import annotations

import enum

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import (
    Offer,
    SourceAudio,
    VariantChoiceError,
    VariantKey,
    choose_variant,
    offers_for,
)


class ShareQuality(enum.Enum):
    """What a share streams; the value is what ``shares.quality`` stores (None: original)."""

    ORIGINAL = "original"
    OPUS_96 = "opus-96"
    OPUS_160 = "opus-160"
    OPUS_320 = "opus-320"
    MP3_320 = "mp3-320"

    @property
    def key(self) -> VariantKey | None:
        """The variant this quality names at most (None: the original)."""
        return None if self is ShareQuality.ORIGINAL else VariantKey.from_slug(self.value)

    @property
    def stored(self) -> str | None:
        """What ``shares.quality`` stores: the slug, NULL for the original."""
        return None if self is ShareQuality.ORIGINAL else self.value

    @classmethod
    def from_stored(cls, stored: str | None) -> ShareQuality:
        """The quality a row stores; an unknown value (never written) reads as the original."""
        for quality in cls:
            if quality.stored == stored:
                return quality
        return cls.ORIGINAL


def share_offer(source: SourceAudio, quality: ShareQuality) -> Offer:
    """The offer a share's listener gets of a track.

    The quality's format at most at its bitrate (its variant, or the original when that is
    the same format and no better); a track offering nothing of that format gets its best
    offer within the bitrate, and one offering nothing within it, its original.
    """
    offers = offers_for(source)
    key = quality.key
    if key is None:
        return offers[0]
    audio_format: AudioFormat = key.format
    for wanted in (audio_format, None):
        try:
            return choose_variant(offers, audio_format=wanted, max_bitrate_kbps=key.bitrate_kbps)
        except VariantChoiceError:
            continue
    return offers[0]
