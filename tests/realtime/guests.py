"""An anonymous guest of a listening session, written straight to the server's database
(the session domain is another module's; this is only what a guest token needs)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import update

from tests.support.accounts import SignedInUser
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.models import ListeningSessionRecord, SessionMemberRecord, utcnow
from tonearm.sessions.guests import new_guest_token


async def make_guest(url: str, host: SignedInUser) -> tuple[str, uuid.UUID]:
    """A session hosted by ``host`` with one anonymous guest: (guest token, member id)."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine).begin() as session:
            listening = ListeningSessionRecord(
                host_id=host.record.id,
                name="Friday",
                invite_code=secrets.token_urlsafe(16),
                invite_expires_at=utcnow() + timedelta(hours=1),
            )
            session.add(listening)
            await session.flush()
            token, token_hash = new_guest_token()
            member = SessionMemberRecord(
                session_id=listening.id,
                display_name="Guest",
                role="guest",
                guest_token_hash=token_hash,
            )
            session.add(member)
            await session.flush()
            return token, member.id
    finally:
        await engine.dispose()


async def leave(url: str, member_id: uuid.UUID) -> None:
    """Mark the guest as having left, without telling anyone (no bus message)."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine).begin() as session:
            await session.execute(
                update(SessionMemberRecord)
                .where(SessionMemberRecord.id == member_id)
                .values(left_at=utcnow())
            )
    finally:
        await engine.dispose()
