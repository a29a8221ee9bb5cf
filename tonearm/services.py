"""The long-lived objects one app instance shares across requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tonearm.accounts.rate_limit import LoginLimiter
from tonearm.catalog.origins import FileRoots
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.pubsub.backends import bus_for
from tonearm.pubsub.bus import Bus
from tonearm.settings import Settings
from tonearm.shares.cookies import ShareSigner
from tonearm.storage.base import ObjectStorage
from tonearm.storage.setup import storage_for
from tonearm.streaming.tokens import StreamSigner

# Failed sign-ins per username and, separately, per client address. Counted in the
# database (``login_failures``), so the limit holds however many workers serve.
LOGIN_ATTEMPTS_PER_MINUTE = 10


@dataclass(frozen=True, slots=True)
class Services:
    """Settings, database and signer for one app; built by ``build_services``."""

    settings: Settings
    media_root: Path
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    signer: StreamSigner
    login_limiter: LoginLimiter
    uploads_root: Path
    share_signer: ShareSigner
    bus: Bus
    # Originals of uploads, variants and thumbnails (``TONEARM_STORAGE``); closed with the app.
    storage: ObjectStorage

    @property
    def file_roots(self) -> FileRoots:
        """Where each origin's track files are (``catalog.origins``)."""
        return FileRoots(self.media_root, self.uploads_root)


def build_services(settings: Settings) -> Services:
    """Resolve the media and uploads roots, create the engine (no connection yet), the signer,
    the bus (no listener until someone subscribes) and the storage (no connection yet)."""
    engine = create_engine(settings.resolved_database_url)
    bus = bus_for(settings, engine)
    return Services(
        settings=settings,
        media_root=settings.require_media_root(),
        engine=engine,
        sessions=create_session_factory(engine),
        signer=StreamSigner(settings.signing_keys(), settings.stream_url_ttl),
        login_limiter=LoginLimiter(limit=LOGIN_ATTEMPTS_PER_MINUTE, window=timedelta(minutes=1)),
        uploads_root=settings.resolved_uploads_dir,
        share_signer=ShareSigner(settings.signing_keys()),
        bus=bus,
        storage=storage_for(settings),
    )
