"""Which versions a track offers and which one a stream request gets (pure rules)."""

from __future__ import annotations

import pytest

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import (
    BitrateTooLow,
    FormatNotOffered,
    SourceAudio,
    VariantKey,
    choose_variant,
    mp3_bitrate_for,
    offered_variants,
    offers_for,
)

FLAC = SourceAudio(AudioFormat.FLAC, 900_000, "audio/flac", 2)


def slugs(source: SourceAudio) -> list[str]:
    return [key.slug for key in offered_variants(source)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (FLAC, ["mp3-320", "opus-320", "opus-160", "opus-96"]),
        (
            SourceAudio(AudioFormat.WAV, None, "audio/wav"),
            ["mp3-320", "opus-320", "opus-160", "opus-96"],
        ),
        (SourceAudio(AudioFormat.MP3, 320_000, "audio/mpeg"), ["opus-320", "opus-160", "opus-96"]),
        (SourceAudio(AudioFormat.MP3, 128_000, "audio/mpeg"), ["opus-96"]),
        (SourceAudio(AudioFormat.MP3, 64_000, "audio/mpeg"), []),
        (SourceAudio(AudioFormat.AAC, 256_000, "audio/mp4"), ["mp3-256", "opus-160", "opus-96"]),
        (SourceAudio(AudioFormat.AAC, 250_000, "audio/mp4"), ["mp3-224", "opus-160", "opus-96"]),
        # The source's own format is offered only below its bitrate: at or above, the original.
        (SourceAudio(AudioFormat.OPUS, 160_000, "audio/ogg"), ["mp3-160", "opus-96"]),
        (
            SourceAudio(AudioFormat.VORBIS, 500_000, "audio/ogg"),
            ["mp3-320", "opus-320", "opus-160", "opus-96"],
        ),
        # libopus takes at most 256 kbps per channel.
        (
            SourceAudio(AudioFormat.FLAC, 700_000, "audio/flac", 1),
            ["mp3-320", "opus-160", "opus-96"],
        ),
    ],
)
def test_offered_variants(source: SourceAudio, expected: list[str]) -> None:
    assert slugs(source) == expected


def test_an_mp3_variant_never_drops_below_the_lowest_lame_rate() -> None:
    assert mp3_bitrate_for(SourceAudio(AudioFormat.OPUS, 24_000, "audio/ogg")) == 32


def test_the_original_comes_first_and_counts_as_above_every_lossy_bitrate() -> None:
    offers = offers_for(FLAC)
    assert offers[0].is_original
    assert choose_variant(offers, audio_format=None, max_bitrate_kbps=None).is_original
    assert choose_variant(offers, audio_format=None, max_bitrate_kbps=10_000).key == VariantKey(
        AudioFormat.MP3, 320
    )


def test_a_tie_prefers_the_original() -> None:
    offers = offers_for(SourceAudio(AudioFormat.MP3, 320_000, "audio/mpeg"))
    assert choose_variant(offers, audio_format=None, max_bitrate_kbps=320).is_original


def test_refusals_name_what_was_missing() -> None:
    offers = offers_for(SourceAudio(AudioFormat.MP3, 128_000, "audio/mpeg"))
    with pytest.raises(FormatNotOffered) as missing:
        choose_variant(offers, audio_format=AudioFormat.FLAC, max_bitrate_kbps=None)
    assert missing.value.format is AudioFormat.FLAC
    with pytest.raises(BitrateTooLow) as low:
        choose_variant(offers, audio_format=None, max_bitrate_kbps=50)
    assert low.value.lowest_kbps == 96
    with pytest.raises(BitrateTooLow) as lossless_only:
        choose_variant(offers_for(FLAC), audio_format=AudioFormat.FLAC, max_bitrate_kbps=320)
    assert lossless_only.value.lowest_kbps is None


@pytest.mark.parametrize(
    ("slug", "key"),
    [
        ("mp3-320", VariantKey(AudioFormat.MP3, 320)),
        ("opus-96", VariantKey(AudioFormat.OPUS, 96)),
        ("opus-97", None),
        ("flac-320", None),
        ("mp3-321", None),
        ("../etc", None),
        ("mp3-320\n", None),
        ("", None),
    ],
)
def test_slugs_name_only_variants_tonearm_makes(slug: str, key: VariantKey | None) -> None:
    assert VariantKey.from_slug(slug) == key
