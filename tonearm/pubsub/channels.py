"""The channels tonearm publishes on: one name per kind of event, defined once."""

from __future__ import annotations

import uuid

LIBRARY = "library"  # scan progress, scans ending, variants becoming ready
ACCOUNTS = "accounts"  # a user disabled or removed, a guest gone: their sockets close


def session_channel(session_id: uuid.UUID) -> str:
    """The channel of one listening session's events."""
    return f"session:{session_id.hex}"


def user_gone(user_id: uuid.UUID) -> dict[str, str]:
    """The ``ACCOUNTS`` message closing a user's sockets (disabled, removed, signed out)."""
    return {"user": user_id.hex}


def member_gone(member_id: uuid.UUID) -> dict[str, str]:
    """The ``ACCOUNTS`` message closing an anonymous guest's sockets (left or removed)."""
    return {"member": member_id.hex}


def closes_socket_of(
    message: object, *, user_id: uuid.UUID | None, member_id: uuid.UUID | None
) -> bool:
    """Whether an ``ACCOUNTS`` message names this user or this guest membership."""
    if not isinstance(message, dict):
        return False
    return (user_id is not None and message.get("user") == user_id.hex) or (
        member_id is not None and message.get("member") == member_id.hex
    )
