"""A cover reached through a share or a listening session, for someone without an account.

The URL is the cover's own (``artwork.urls``) plus a token naming who grants it
(``artwork.bound``): ``?share=`` or ``?session=``. Both trimmed views (a share's page, a
session's tracks) hold one of these per cover and turn it into a URL only when asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tonearm.artwork.bound import BoundCoverTokens
from tonearm.artwork.urls import artwork_url, nearest_size
from tonearm.schema.errors import ErrorCode, api_error


@dataclass(frozen=True, slots=True)
class BoundCover:
    """The artwork and its sizes, the tokens of who grants it and their query parameter."""

    tokens: BoundCoverTokens
    param: str
    owner_id: uuid.UUID
    artwork: str | None
    sizes: tuple[int, ...]

    def url(self, size: int) -> str | None:
        """The bound URL of the size nearest ``size`` (None: no cover)."""
        if size < 1:
            raise api_error(ErrorCode.BAD_USER_INPUT, "size must be at least 1.")
        if self.artwork is None or not self.sizes:
            return None
        url = artwork_url(self.artwork, nearest_size(self.sizes, size))
        return f"{url}?{self.param}={self.tokens.token(self.owner_id, self.artwork)}"
