"""Cover tokens bound to something that grants covers: a share or a listening session.

A token ``[owner id, artwork hash]`` is signed with the server's keys under a salt the owner
kind uses for nothing else, so a share's token never opens a session's covers or the other
way round. It is no credential on its own: the artwork route re-checks that the owner still
grants that cover. Signatures are deterministic, so the last few thousand are remembered
(every row of a page, every member's event would sign the same pair again).
"""

from __future__ import annotations

import uuid
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

MAX_REMEMBERED = 4096


class BoundCoverTokens:
    """Signs and checks one owner kind's cover tokens. ``keys``: the current key first."""

    def __init__(self, keys: list[str], *, salt: str) -> None:
        if not keys or not all(keys):
            raise ValueError("at least one non-empty signing key is required")
        self._serializer = URLSafeSerializer(list(reversed(keys)), salt=salt)
        self._tokens: dict[tuple[uuid.UUID, str], str] = {}

    def token(self, owner_id: uuid.UUID, artwork_hash: str) -> str:
        """A token that lets whoever the owner grants load this one cover."""
        key = (owner_id, artwork_hash)
        token = self._tokens.get(key)
        if token is None:
            if len(self._tokens) >= MAX_REMEMBERED:
                self._tokens.clear()
            token = self._serializer.dumps([owner_id.hex, artwork_hash])
            self._tokens[key] = token
        return token

    def grant(self, token: str, artwork_hash: str) -> uuid.UUID | None:
        """The owner a valid token for ``artwork_hash`` names, else None."""
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature:
            return None
        if not (isinstance(payload, list) and len(payload) == 2):
            return None
        owner_hex, signed_hash = payload
        if signed_hash != artwork_hash or not isinstance(owner_hex, str):
            return None
        try:
            return uuid.UUID(hex=owner_hex)
        except ValueError:
            return None
