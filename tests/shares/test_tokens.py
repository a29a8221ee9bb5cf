"""Share-bound stream tokens and the share cookie and cover tokens: pure, no I/O."""

from __future__ import annotations

import uuid

import pytest
from itsdangerous import URLSafeSerializer

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import SourceAudio, VariantKey
from tonearm.shares.cookies import ShareSigner, cookie_name
from tonearm.shares.keys import KEY_LENGTH, is_share_key, new_key
from tonearm.shares.quality import ShareQuality, share_offer
from tonearm.streaming.tokens import (
    STREAM_TOKEN_SALT,
    StreamSigner,
    StreamTokenInvalid,
)

KEY = "k" * 32
TRACK = uuid.UUID(int=1)
SHARE = uuid.UUID(int=2)
NOW = 1_000_000.0


def test_a_share_token_names_its_share_and_verifies_as_such() -> None:
    signer = StreamSigner([KEY], 600)
    opus = VariantKey(AudioFormat.OPUS, 96)
    for variant in (None, opus):
        minted = signer.mint(TRACK, variant=variant, share_id=SHARE, now=NOW)
        grant = signer.verify(minted.token, TRACK, now=NOW)
        assert (grant.share_id, grant.user_id, grant.variant) == (SHARE, None, variant)


def test_older_token_shapes_still_verify_without_a_share() -> None:
    signer = StreamSigner([KEY], 600)
    user = uuid.UUID(int=3)
    for variant in (None, VariantKey(AudioFormat.MP3, 320)):
        grant = signer.verify(
            signer.mint(TRACK, user_id=user, variant=variant, now=NOW).token, TRACK, now=NOW
        )
        assert (grant.share_id, grant.user_id, grant.variant) == (None, user, variant)


@pytest.mark.parametrize(
    "payload",
    [
        [TRACK.hex, int(NOW) + 60, uuid.UUID(int=3).hex, "", SHARE.hex],  # a share with a user
        [TRACK.hex, int(NOW) + 60, "", "", "not-hex"],
        [TRACK.hex, int(NOW) + 60, "", "flac-1", SHARE.hex],
        [TRACK.hex, int(NOW) + 60, "", "", 5],
        [TRACK.hex, int(NOW) + 60, "", ""],  # four elements need a variant
        [TRACK.hex, int(NOW) + 60, "", "", SHARE.hex, "extra"],
    ],
)
def test_malformed_share_payloads_are_invalid(payload: list[object]) -> None:
    token = URLSafeSerializer(KEY, salt=STREAM_TOKEN_SALT).dumps(payload)
    with pytest.raises(StreamTokenInvalid):
        StreamSigner([KEY], 600).verify(token, TRACK, now=NOW)


def test_keys_are_32_url_safe_characters() -> None:
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(key) == KEY_LENGTH and is_share_key(key) for key in keys)
    assert not is_share_key("A" * 31)
    assert not is_share_key("A" * 33)
    assert not is_share_key("A" * 31 + "/")


def test_the_unlock_cookie_names_one_share_and_its_current_password() -> None:
    signer = ShareSigner([KEY])
    value = signer.unlock_cookie(SHARE, "hash-1", now=NOW)
    cookies = {cookie_name(SHARE): value}
    assert signer.is_unlocked(cookies, SHARE, "hash-1", now=NOW)
    assert not signer.is_unlocked(cookies, SHARE, "hash-2", now=NOW)  # password changed
    assert not signer.is_unlocked(cookies, SHARE, "hash-1", now=NOW + 4 * 3600)  # expired
    other = uuid.UUID(int=9)
    assert not signer.is_unlocked({cookie_name(other): value}, other, "hash-1", now=NOW)
    assert not signer.is_unlocked({cookie_name(SHARE): value + "x"}, SHARE, "hash-1", now=NOW)
    assert not ShareSigner(["another key"]).is_unlocked(cookies, SHARE, "hash-1", now=NOW)


def test_a_cover_token_opens_only_its_own_hash() -> None:
    signer = ShareSigner([KEY])
    token = signer.art_token(SHARE, "a" * 64)
    assert signer.art_grant(token, "a" * 64) == SHARE
    assert signer.art_grant(token, "b" * 64) is None
    assert signer.art_grant("garbage", "a" * 64) is None


@pytest.mark.parametrize(
    ("source", "quality", "expected"),
    [
        (
            SourceAudio(AudioFormat.FLAC, 900_000, "audio/flac", 2),
            ShareQuality.OPUS_96,
            ("opus", 96),
        ),
        (
            SourceAudio(AudioFormat.FLAC, 900_000, "audio/flac", 2),
            ShareQuality.MP3_320,
            ("mp3", 320),
        ),
        (SourceAudio(AudioFormat.FLAC, 900_000, "audio/flac", 2), ShareQuality.ORIGINAL, None),
        # An MP3 at 128 kbps has no MP3 variant: its original is the MP3 it gets.
        (SourceAudio(AudioFormat.MP3, 128_000, "audio/mpeg", 2), ShareQuality.MP3_320, None),
        # An MP3 at 64 kbps offers no Opus 96: its best within 96 kbps is the original.
        (SourceAudio(AudioFormat.MP3, 64_000, "audio/mpeg", 2), ShareQuality.OPUS_96, None),
    ],
)
def test_share_offer_follows_the_real_ladder(
    source: SourceAudio, quality: ShareQuality, expected: tuple[str, int] | None
) -> None:
    key = share_offer(source, quality).key
    assert (None if key is None else (key.format.value, key.bitrate_kbps)) == expected
