"""The long-lived objects one app instance shares across requests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tonearm.accounts.rate_limit import SlidingWindowLimiter
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner

# Per username and, separately, per client address; counted by each worker process.
LOGIN_ATTEMPTS_PER_MINUTE = 10


@dataclass(frozen=True, slots=True)
class Services:
    """Settings, database and signer for one app; built by ``build_services``."""

    settings: Settings
    media_root: Path
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    signer: StreamSigner
    login_limiter: SlidingWindowLimiter


def build_services(settings: Settings) -> Services:
    """Resolve the media root, create the engine (no connection yet) and the signer."""
    engine = create_engine(settings.resolved_database_url)
    return Services(
        settings=settings,
        media_root=settings.require_media_root(),
        engine=engine,
        sessions=create_session_factory(engine),
        signer=StreamSigner(settings.signing_keys(), settings.stream_url_ttl),
        login_limiter=SlidingWindowLimiter(LOGIN_ATTEMPTS_PER_MINUTE, 60),
    )
