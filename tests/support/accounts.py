"""Users and API tokens for tests, created through the accounts domain.

The argon2 hash of the test password is computed once per run: hashing is deliberately
slow, and hundreds of tests need a signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.accounts.api_tokens import create_api_token
from tonearm.accounts.passwords import hash_password
from tonearm.accounts.secrets import new_secret, secret_hash
from tonearm.accounts.sessions import start_session
from tonearm.accounts.users import Role, username_key
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UserRecord

PASSWORD = "listen-to-this-123"


@cache
def password_hash() -> str:
    """The argon2id hash of ``PASSWORD``."""
    return hash_password(PASSWORD)


@dataclass(frozen=True)
class SignedInUser:
    """A user with a bearer token and a browser session cookie."""

    record: UserRecord
    token: str
    cookie: str

    @property
    def bearer(self) -> dict[str, str]:
        """The Authorization header for this user."""
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    engine: AsyncEngine, username: str = "listener", role: Role = Role.LISTENER
) -> SignedInUser:
    """Insert an active user with a live API token and session."""
    async with create_session_factory(engine).begin() as session:
        user = UserRecord(
            username=username,
            username_key=username_key(username),
            password_hash=password_hash(),
            role=role.value,
            is_active=True,
        )
        session.add(user)
        await session.flush()
        _, token = await create_api_token(session, user=user, name="tests")
        cookie = await start_session(session, user)
    return SignedInUser(user, token, cookie)


__all__ = ["PASSWORD", "SignedInUser", "make_user", "new_secret", "secret_hash"]
