"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when a username does not exist, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash("tonearm-timing-equalizer")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class WeakPassword(ValueError):
    """The password does not meet the length rules."""


def check_password_rules(password: str) -> None:
    """Raise ``WeakPassword`` unless the password has 8 to 1024 characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords may have at most {MAX_PASSWORD_LENGTH} characters")


def new_one_time_password() -> str:
    """A random password for an admin to hand out (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (which must follow the rules)."""
    check_password_rules(password)
    return _hasher.hash(password)


def hash_share_password(password: str) -> str:
    """An argon2id hash of a share's password: 1 to 1024 characters, no account rules."""
    if not 1 <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"share passwords have 1 to {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, spends the same time and says no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH]) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
