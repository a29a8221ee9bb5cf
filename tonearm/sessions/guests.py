"""Anonymous guests of a listening session: a random bearer token bound to one membership.

The token (``tgs_`` and 43 characters of randomness) is shown once, when the guest joins;
only its SHA-256 is stored. It authenticates nothing but that session's own fields and
tracks: a request carrying it has no viewer, only a ``SessionGuest``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.accounts.secrets import new_secret, secret_hash
from tonearm.db.models import ListeningSessionRecord, SessionMemberRecord

GUEST_TOKEN_PREFIX = "tgs_"  # noqa: S105 - a public prefix, not a secret
ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class SessionGuest:
    """The anonymous member a guest token stands for."""

    member_id: uuid.UUID
    session_id: uuid.UUID
    display_name: str


def is_guest_token(bearer: str | None) -> bool:
    """Whether a bearer token is a guest's (else it is an API token or nothing)."""
    return bool(bearer) and bearer is not None and bearer.startswith(GUEST_TOKEN_PREFIX)


def new_guest_token() -> tuple[str, str]:
    """A fresh guest token and the hash to store for it."""
    token = new_secret(GUEST_TOKEN_PREFIX)
    return token, secret_hash(token)


async def resolve_guest(session: AsyncSession, token: str) -> SessionGuest | None:
    """The guest behind ``token``: a member who has not left a session that is active."""
    if not is_guest_token(token):
        return None
    row = (
        await session.execute(
            select(
                SessionMemberRecord.id,
                SessionMemberRecord.session_id,
                SessionMemberRecord.display_name,
            )
            .join(
                ListeningSessionRecord, ListeningSessionRecord.id == SessionMemberRecord.session_id
            )
            .where(
                SessionMemberRecord.guest_token_hash == secret_hash(token),
                SessionMemberRecord.left_at.is_(None),
                SessionMemberRecord.user_id.is_(None),
                ListeningSessionRecord.status == ACTIVE,
            )
        )
    ).one_or_none()
    return None if row is None else SessionGuest(row.id, row.session_id, row.display_name)
