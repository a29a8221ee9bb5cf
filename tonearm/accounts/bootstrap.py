"""The first account: what ``tonearm serve`` does when nobody can sign in yet."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.accounts.passwords import new_one_time_password
from tonearm.accounts.users import Role, count_users, create_user
from tonearm.db.engine import create_session_factory

logger = logging.getLogger(__name__)
DEMO_ADMIN = "admin"


async def ensure_first_admin(engine: AsyncEngine, *, create_demo_admin: bool) -> str | None:
    """With no users: create a demo admin (returning its new password) or explain how to.

    The password is returned, never logged; the caller shows it to the person once.
    """
    async with create_session_factory(engine).begin() as session:
        if await count_users(session):
            return None
        if not create_demo_admin:
            logger.warning(
                "no users yet: create the first admin with `tonearm user add NAME --admin`"
            )
            return None
        password = new_one_time_password()
        await create_user(session, username=DEMO_ADMIN, password=password, role=Role.ADMIN)
    return password
