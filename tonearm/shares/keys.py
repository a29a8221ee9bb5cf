"""Share keys: 192 random bits, URL-safe, and the one shape check done before any query."""

from __future__ import annotations

import re
import secrets

KEY_BYTES = 24  # 192 bits, above the 128
KEY_LENGTH = 32  # len(token_urlsafe(24)): base64url without padding
SHARE_PATH = "/s/{key}"  # the player's public page for a share
_KEY = re.compile(rf"[A-Za-z0-9_-]{{{KEY_LENGTH}}}")


def new_key() -> str:
    """A fresh, unguessable share key."""
    return secrets.token_urlsafe(KEY_BYTES)


def is_share_key(value: str) -> bool:
    """Whether ``value`` has the exact shape of a key (anything else names no share)."""
    return _KEY.fullmatch(value) is not None


def share_path(key: str) -> str:
    """The absolute path of the share's public page."""
    return SHARE_PATH.format(key=key)
