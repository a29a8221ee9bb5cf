"""Per-request GraphQL context: services, one database session, DataLoaders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from tonearm.catalog.queries import tracks_by_ids
from tonearm.db.models import TrackRecord
from tonearm.services import Services


class Context(BaseContext):
    """What resolvers see as ``info.context``; built fresh for every request."""

    def __init__(self, *, services: Services, session: AsyncSession) -> None:
        super().__init__()
        self.services = services
        self._session = session
        # graphql-core resolves sibling fields concurrently; one AsyncSession must not be.
        self._session_lock = asyncio.Lock()
        self.track_loader: DataLoader[uuid.UUID, TrackRecord | None] = DataLoader(
            load_fn=self._load_tracks
        )

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the block."""
        async with self._session_lock:
            yield self._session

    async def _load_tracks(self, keys: Sequence[uuid.UUID]) -> list[TrackRecord | None]:
        async with self.db() as session:
            found = await tracks_by_ids(session, keys)
        return [found.get(key) for key in keys]


async def get_context(request: Request) -> AsyncIterator[Context]:
    """FastAPI dependency: a context whose session closes when the request is done."""
    services: Services = request.app.state.services
    async with services.sessions() as session:
        yield Context(services=services, session=session)
