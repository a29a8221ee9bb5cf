"""What a share's listener carries: the unlock cookie and the share-bound artwork tokens.

Both are itsdangerous signatures under salts used for nothing else, with the server's
signing keys (newest signs, older ones still verify). Neither is a credential on its own:
whoever presents one is checked against the share's row again (``access.py``).

* The cookie ``tonearm_share_<share id hex>`` says "this browser gave the right password":
  ``[share id, fingerprint of the password hash, expiry]``. Changing the password changes the
  fingerprint, which ends every unlock at once; expiry bounds it to a few hours.
* An artwork token ``[share id, artwork hash]`` lets an anonymous page load one cover of the
  share's target; the route re-checks that the share is live and that the hash is its
  target's (``access.share_grants_artwork``).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from tonearm.artwork.bound import BoundCoverTokens

COOKIE_PREFIX = "tonearm_share_"
COOKIE_LIFETIME_SECONDS = 4 * 3600
ART_PARAM = "share"
_COOKIE_SALT = "tonearm.share-cookie.v1"
_ART_SALT = "tonearm.share-art.v1"


def cookie_name(share_id: uuid.UUID) -> str:
    """The name of the unlock cookie of one share (one cookie per share)."""
    return f"{COOKIE_PREFIX}{share_id.hex}"


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: the cookie names the password it proved."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


class ShareSigner:
    """Signs and checks unlock cookies and artwork tokens. ``keys``: current key first."""

    def __init__(self, keys: list[str]) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty signing key is required")
        ordered = list(reversed(keys))  # itsdangerous signs with the last one
        self._cookies = URLSafeSerializer(ordered, salt=_COOKIE_SALT)
        self._art = BoundCoverTokens(keys, salt=_ART_SALT)

    def unlock_cookie(
        self, share_id: uuid.UUID, password_hash: str, *, now: float | None = None
    ) -> str:
        """The value of the cookie that unlocks ``share_id`` for a few hours."""
        expires = int(now if now is not None else time.time()) + COOKIE_LIFETIME_SECONDS
        return self._cookies.dumps([share_id.hex, password_fingerprint(password_hash), expires])

    def is_unlocked(
        self,
        cookies: Mapping[str, str],
        share_id: uuid.UUID,
        password_hash: str,
        *,
        now: float | None = None,
    ) -> bool:
        """Whether ``cookies`` hold a live unlock of this share for its current password."""
        value = cookies.get(cookie_name(share_id))
        if not value:
            return False
        try:
            payload: Any = self._cookies.loads(value)
        except BadSignature:
            return False
        if not (isinstance(payload, list) and len(payload) == 3):
            return False
        share_hex, fingerprint, expires = payload
        return (
            share_hex == share_id.hex
            and fingerprint == password_fingerprint(password_hash)
            and type(expires) is int
            and expires > (now if now is not None else time.time())
        )

    @property
    def art_tokens(self) -> BoundCoverTokens:
        """The share-bound cover tokens (a ``schema.bound_covers.BoundCover`` signs with them)."""
        return self._art

    def art_token(self, share_id: uuid.UUID, artwork_hash: str) -> str:
        """A token that lets the share's page load this one cover."""
        return self._art.token(share_id, artwork_hash)

    def art_grant(self, token: str, artwork_hash: str) -> uuid.UUID | None:
        """The share a valid token for ``artwork_hash`` names, else None."""
        return self._art.grant(token, artwork_hash)
