"""Signed stream tokens: which track, which version of it, until when, and for whom.

``verify`` is a pure function of the token, the requested track and the clock: it touches no
database or file, so the stream route can check it before anything else. Tokens are signed
with itsdangerous (HMAC-SHA1 by default, compared in constant time) under a salt used for
nothing else; older keys stay valid for verifying, newest signs (key rotation).

A seeking player sends one token many times a minute, and checking its signature and
decoding it was a fifth of a seek's time in process. ``StreamSigner`` therefore remembers
the grants of the last few thousand tokens whose signature it checked (``VERIFIED_MEMO``):
the same string under the same keys always decodes to the same grant, so only the string's
exact match is reused, and expiry and track are still checked on every request.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from tonearm.catalog.variants import VariantKey

STREAM_TOKEN_SALT = "tonearm.stream-url.v1"  # noqa: S105 - a salt, not a secret
VERIFIED_MEMO = 4096  # validly signed tokens whose grant a signer remembers


class StreamTokenError(Exception):
    """Base class: the token does not grant this stream."""


class StreamTokenInvalid(StreamTokenError):
    """Malformed, tampered with, or signed with a key we do not hold."""


class StreamTokenExpired(StreamTokenError):
    """Validly signed but past its expiry."""


class StreamTokenWrongTrack(StreamTokenError):
    """Validly signed for a different track."""


@dataclass(frozen=True, slots=True)
class StreamGrant:
    """A verified token: the track it opens, which version, and when it stops doing so."""

    track_id: uuid.UUID
    expires_at: int
    user_id: uuid.UUID | None = None  # None only when minted with TONEARM_AUTH=none
    variant: VariantKey | None = None  # None: the original file
    share_id: uuid.UUID | None = None  # minted for a share's listener: re-checked per request
    session_id: uuid.UUID | None = None  # minted for a listening session's member: re-checked
    member_id: uuid.UUID | None = None  # the member of ``session_id`` it was minted for

    @property
    def expires_at_datetime(self) -> datetime:
        """The expiry as an aware UTC datetime."""
        return datetime.fromtimestamp(self.expires_at, UTC)


@dataclass(frozen=True, slots=True)
class MintedToken:
    """A freshly signed token and its expiry."""

    token: str
    grant: StreamGrant


class StreamSigner:
    """Mints and verifies stream tokens. ``keys`` lists the current key first."""

    def __init__(self, keys: list[str], ttl_seconds: int) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty signing key is required")
        # itsdangerous signs with the last key and verifies with any of them.
        self._serializer = URLSafeSerializer(list(reversed(keys)), salt=STREAM_TOKEN_SALT)
        self.ttl_seconds = ttl_seconds
        # Only tokens whose signature was checked (and whose payload decoded) get in, so
        # forged tokens can neither fill it nor be answered from it.
        self._verified: OrderedDict[str, StreamGrant] = OrderedDict()

    def mint(
        self,
        track_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None = None,
        variant: VariantKey | None = None,
        share_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
        member_id: uuid.UUID | None = None,
        now: float | None = None,
    ) -> MintedToken:
        """Sign a token for ``user_id`` (or a listener of share ``share_id``, or member
        ``member_id`` of listening session ``session_id``) to stream ``variant`` of
        ``track_id`` (None: the original) for ``ttl_seconds``."""
        if (session_id is None) != (member_id is None):
            raise ValueError("a session-bound token names both the session and the member")
        expires_at = int(now if now is not None else time.time()) + self.ttl_seconds
        payload: list[str | int] = [track_id.hex, expires_at, user_id.hex if user_id else ""]
        if session_id is not None and member_id is not None:
            payload += [variant.slug if variant else "", "", session_id.hex, member_id.hex]
        elif share_id is not None:
            payload += [variant.slug if variant else "", share_id.hex]
        elif variant is not None:
            payload.append(variant.slug)
        token = self._serializer.dumps(payload)
        if session_id is not None:
            share_id = None
        grant = StreamGrant(track_id, expires_at, user_id, variant, share_id, session_id, member_id)
        return MintedToken(token=token, grant=grant)

    def verify(self, token: str, track_id: uuid.UUID, *, now: float | None = None) -> StreamGrant:
        """Check signature, then expiry, then track; raise a ``StreamTokenError`` subclass.

        The signature check of a token seen recently is remembered (``VERIFIED_MEMO``).
        """
        grant = self._verified.get(token)
        if grant is None:
            grant = self._check_signature(token)
            self._verified[token] = grant
            if len(self._verified) > VERIFIED_MEMO:
                self._verified.popitem(last=False)
        if grant.expires_at <= (now if now is not None else time.time()):
            raise StreamTokenExpired
        if grant.track_id != track_id:
            raise StreamTokenWrongTrack
        return grant

    def _check_signature(self, token: str) -> StreamGrant:
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature:
            raise StreamTokenInvalid from None
        return _grant_from(payload)


def _grant_from(payload: Any) -> StreamGrant:
    # [track, expiry, user] for the original; a fourth element names a variant; a share's
    # token is [track, expiry, "", variant or "", share]; a listening session's member's is
    # [track, expiry, user or "", variant or "", "", session, member] (older shapes stay valid).
    if isinstance(payload, list) and len(payload) == 7:
        return _session_grant_from(payload)
    if not (isinstance(payload, list) and len(payload) in (3, 4, 5)):
        raise StreamTokenInvalid
    track_hex, expires_at, user_hex = payload[:3]
    if (
        not isinstance(track_hex, str)
        or type(expires_at) is not int
        or not isinstance(user_hex, str)
    ):
        raise StreamTokenInvalid
    variant = None
    if len(payload) >= 4:
        slug = payload[3]
        variant = VariantKey.from_slug(slug) if isinstance(slug, str) and slug else None
        if variant is None and not (len(payload) == 5 and slug == ""):
            raise StreamTokenInvalid
    share_hex = payload[4] if len(payload) == 5 else None
    if share_hex is not None and (not isinstance(share_hex, str) or user_hex):
        raise StreamTokenInvalid  # a share's token carries no user
    try:
        user_id = uuid.UUID(hex=user_hex) if user_hex else None
        share_id = uuid.UUID(hex=share_hex) if share_hex is not None else None
        return StreamGrant(uuid.UUID(hex=track_hex), expires_at, user_id, variant, share_id)
    except ValueError:
        raise StreamTokenInvalid from None


def _session_grant_from(payload: list[Any]) -> StreamGrant:
    track_hex, expires_at, user_hex, slug, share_hex, session_hex, member_hex = payload
    if (
        not all(isinstance(v, str) for v in (track_hex, user_hex, slug, session_hex, member_hex))
        or type(expires_at) is not int
        or share_hex != ""
    ):
        raise StreamTokenInvalid
    variant = VariantKey.from_slug(slug) if slug else None
    if slug and variant is None:
        raise StreamTokenInvalid
    try:
        return StreamGrant(
            uuid.UUID(hex=track_hex),
            expires_at,
            uuid.UUID(hex=user_hex) if user_hex else None,
            variant,
            None,
            uuid.UUID(hex=session_hex),
            uuid.UUID(hex=member_hex),
        )
    except ValueError:
        raise StreamTokenInvalid from None
