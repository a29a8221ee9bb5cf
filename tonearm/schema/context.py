"""Per-request GraphQL context: services, the viewer, one database session, DataLoaders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from tonearm.accounts.viewer import LOCAL_VIEWER, Viewer, resolve_viewer
from tonearm.catalog.queries import tracks_by_ids
from tonearm.db.models import TrackRecord
from tonearm.services import Services
from tonearm.web.credentials import bearer_token, session_cookie


class Context(BaseContext):
    """What resolvers see as ``info.context``; built fresh for every request."""

    def __init__(self, *, services: Services, session: AsyncSession, viewer: Viewer | None) -> None:
        super().__init__()
        self.services = services
        self.viewer = viewer
        self._session = session
        # graphql-core resolves sibling fields concurrently; one AsyncSession must not be.
        self._session_lock = asyncio.Lock()
        self.track_loader: DataLoader[uuid.UUID, TrackRecord | None] = DataLoader(
            load_fn=self._load_tracks
        )

    @property
    def http_request(self) -> Request:
        """The HTTP request being answered (GraphQL is served over HTTP only)."""
        assert isinstance(self.request, Request)
        return self.request

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the block."""
        async with self._session_lock:
            yield self._session

    async def _load_tracks(self, keys: Sequence[uuid.UUID]) -> list[TrackRecord | None]:
        async with self.db() as session:
            found = await tracks_by_ids(session, keys)
        return [found.get(key) for key in keys]


async def request_viewer(
    services: Services, session: AsyncSession, request: Request
) -> Viewer | None:
    """The viewer of ``request``: the local admin when accounts are off."""
    if services.settings.auth == "none":
        return LOCAL_VIEWER
    bearer, cookie = bearer_token(request), session_cookie(request)
    if bearer is None and cookie is None:
        return None
    viewer = await resolve_viewer(session, bearer=bearer, cookie=cookie)
    await session.commit()  # a bearer token's last-used time
    return viewer


async def get_context(request: Request) -> AsyncIterator[Context]:
    """FastAPI dependency: a context whose session closes when the request is done."""
    services: Services = request.app.state.services
    async with services.sessions() as session:
        viewer = await request_viewer(services, session, request)
        yield Context(services=services, session=session, viewer=viewer)
