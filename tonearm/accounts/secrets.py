"""Random secrets for session cookies and API tokens; only their SHA-256 is stored.

The secrets carry 256 bits of randomness, so a fast hash is enough: there is nothing to
brute-force, and a lookup by hash needs no constant-time comparison.
"""

from __future__ import annotations

import hashlib
import secrets as _random

API_TOKEN_PREFIX = "tnrm_"  # noqa: S105 - a public prefix, not a secret


def new_secret(prefix: str = "") -> str:
    """A fresh URL-safe secret (43 characters of randomness after ``prefix``)."""
    return prefix + _random.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
