"""Session-bound cover tokens: ``?session=<token>`` lets a member's player load one cover.

An anonymous guest has no account to load artwork with, so a session's track covers carry a
token ``[session id, artwork hash]`` signed with the server's keys under a salt used for
nothing else (like a share's, ``shares.cookies``). It is no credential on its own: the
artwork route re-checks that the session is active and that the cover is one of its
tracks' (``SessionGrantCache.artwork``).
"""

from __future__ import annotations

from tonearm.artwork.bound import BoundCoverTokens

SESSION_ART_PARAM = "session"
_ART_SALT = "tonearm.session-art.v1"


class SessionCoverSigner(BoundCoverTokens):
    """Signs and checks session cover tokens (``token``/``grant``). ``keys``: current first."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(keys, salt=_ART_SALT)
