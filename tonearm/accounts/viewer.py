"""Who is asking: the user behind a request's session cookie or bearer token.

HTTP-agnostic: callers pass the raw credentials; ``tonearm.web.credentials`` reads them
from a request.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.api_tokens import token_user
from tonearm.accounts.sessions import session_user
from tonearm.accounts.users import Role
from tonearm.db.models import UserRecord


class AuthMethod(enum.StrEnum):
    """How a request proved who it is."""

    SESSION = "session"  # the browser's cookie: mutations need CSRF checks
    TOKEN = "token"  # noqa: S105 - an Authorization header, which a browser never adds by itself
    NONE = "none"  # TONEARM_AUTH=none: everyone is the local admin


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated user of one request."""

    user_id: uuid.UUID | None
    username: str
    role: Role
    created_at: datetime | None
    last_login_at: datetime | None
    method: AuthMethod
    must_change_password: bool = False
    can_upload: bool = False  # the account's grant (admins may upload regardless)

    @property
    def is_admin(self) -> bool:
        """Whether the viewer may scan and manage users."""
        return self.role is Role.ADMIN

    @classmethod
    def of(cls, user: UserRecord, method: AuthMethod) -> Viewer:
        """The viewer for a user row."""
        return cls(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            method=method,
            must_change_password=user.must_change_password,
            can_upload=user.can_upload,
        )


LOCAL_VIEWER = Viewer(
    user_id=None,
    username="local",
    role=Role.ADMIN,
    created_at=None,
    last_login_at=None,
    method=AuthMethod.NONE,
)


async def resolve_viewer(
    session: AsyncSession, *, bearer: str | None, cookie: str | None
) -> Viewer | None:
    """The viewer for these credentials; a bearer token, when sent, is the only one used."""
    if bearer is not None:
        user = await token_user(session, bearer)
        return Viewer.of(user, AuthMethod.TOKEN) if user else None
    if cookie:
        user = await session_user(session, cookie)
        return Viewer.of(user, AuthMethod.SESSION) if user else None
    return None
