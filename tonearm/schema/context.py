"""Per-request GraphQL context: services, the viewer, one database session, DataLoaders.

Over HTTP a context lives for one request and holds one session. Over WebSocket the
connection's context holds no session at all: each operation gets its own context
(``for_operation``: fresh DataLoaders) whose ``db()`` opens a short session per block, so a
socket that stays open for hours holds no database connection between its reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from asyncio import Future
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from tonearm.accounts.viewer import LOCAL_VIEWER, Viewer, resolve_viewer
from tonearm.catalog.access import ANONYMOUS, Reader
from tonearm.catalog.album_queries import (
    album_artists_of,
    albums_by_ids,
    artworks_by_hashes,
    tracks_of_albums,
)
from tonearm.catalog.artist_queries import artists_by_ids, artists_of_tracks, newest_album_artworks
from tonearm.catalog.queries import tracks_by_ids
from tonearm.catalog.variant_queries import VariantRow, variants_of_tracks
from tonearm.db.collaborators import (
    CollaboratorRow,
    RoleRows,
    album_collaborators,
    album_roles,
    track_collaborators,
    track_roles,
)
from tonearm.db.models import AlbumRecord, ArtistRecord, ArtworkRecord, TrackRecord
from tonearm.db.outages import database_unavailable, log_failure
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.services import Services
from tonearm.sessions.guests import SessionGuest, is_guest_token, resolve_guest
from tonearm.social.history import play_counts_of
from tonearm.social.likes import LikeKind, like_counts, liked_by
from tonearm.web.credentials import bearer_token, session_cookie

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, V]]]


class Loader(DataLoader[K, V]):
    """A DataLoader that can also answer at once for a key it has already fetched.

    A field whose value is already known then resolves synchronously, which spares
    graphql-core a task per field of every row of a page (see ``resolvers/prefetch.py``).
    """

    def answered(self, key: K) -> Future[V] | None:
        """The settled, successful future of ``key``; None while it is not fetched yet."""
        future = self.cache_map.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception():
            return None
        return future


class Context(BaseContext):
    """What resolvers see as ``info.context``; built fresh for every request."""

    def __init__(
        self,
        *,
        services: Services,
        session: AsyncSession | None,
        viewer: Viewer | None,
        guest: SessionGuest | None = None,
        received_at_ms: float | None = None,
    ) -> None:
        super().__init__()
        # When the request (or the WebSocket operation) arrived, in ms since the epoch.
        self.received_at_ms = time.time() * 1000 if received_at_ms is None else received_at_ms
        self.services = services
        self.viewer = viewer
        # An anonymous guest of a listening session (no viewer): reaches that session only.
        self.guest = guest
        self.reader = reader_of(viewer)
        # What a WebSocket authenticated with (``schema/sockets.py``); None over HTTP.
        self.socket_credentials: object | None = None
        reader = self.reader
        self._session = session
        # graphql-core resolves sibling fields concurrently; one AsyncSession must not be.
        self._session_lock = asyncio.Lock()
        # One DataLoader per lookup: every key asked for while a level of the response is
        # resolved is fetched in one query (see ``catalog/album_queries.py`` and friends).
        self.track_loader: Loader[uuid.UUID, TrackRecord | None] = self._loader(
            partial(tracks_by_ids, reader=reader)
        )
        self.album_loader: Loader[uuid.UUID, AlbumRecord | None] = self._loader(
            partial(albums_by_ids, reader=reader)
        )
        self.artist_loader: Loader[uuid.UUID, ArtistRecord | None] = self._loader(
            partial(artists_by_ids, reader=reader)
        )
        self.artwork_loader: Loader[str, ArtworkRecord | None] = self._loader(artworks_by_hashes)
        self.album_artists_loader: Loader[uuid.UUID, list[ArtistRecord] | None] = self._loader(
            album_artists_of
        )
        self.track_artists_loader: Loader[uuid.UUID, list[ArtistRecord] | None] = self._loader(
            artists_of_tracks
        )
        self.album_tracks_loader: Loader[uuid.UUID, list[TrackRecord] | None] = self._loader(
            partial(tracks_of_albums, reader=reader)
        )
        self.variants_loader: Loader[uuid.UUID, list[VariantRow] | None] = self._loader(
            variants_of_tracks
        )
        # The cover of an artist without artwork of their own: their newest album's.
        self.artist_cover_loader: Loader[uuid.UUID, str | None] = self._loader(
            partial(newest_album_artworks, reader=reader)
        )

        # Roles and collaborators of a page's tracks and albums: one query per page each.
        user_id = reader.user_id or uuid.UUID(int=0)
        self.track_roles_loader: Loader[uuid.UUID, RoleRows | None] = self._loader(
            partial(_for_user, track_roles, user_id)
        )
        self.album_roles_loader: Loader[uuid.UUID, tuple[str | None, bool] | None] = self._loader(
            partial(_for_user, album_roles, user_id)
        )
        self.track_collaborators_loader: Loader[
            tuple[uuid.UUID, uuid.UUID | None], list[CollaboratorRow] | None
        ] = self._loader(_track_collaborators)
        self.album_collaborators_loader: Loader[uuid.UUID, list[CollaboratorRow] | None] = (
            self._loader(album_collaborators)
        )

        # Likes and plays of a page's rows: one query per kind per page each.
        self.like_count_loaders: dict[LikeKind, Loader[uuid.UUID, int | None]] = {
            kind: self._loader(partial(_like_counts, kind)) for kind in LikeKind
        }
        self.viewer_likes_loaders: dict[LikeKind, Loader[uuid.UUID, bool | None]] = {
            kind: self._loader(partial(_viewer_likes, user_id, kind)) for kind in LikeKind
        }
        self.viewer_plays_loader: Loader[uuid.UUID, tuple[int, datetime] | None] = self._loader(
            partial(_for_user, play_counts_of, user_id)
        )

    @property
    def connection(self) -> HTTPConnection:
        """The HTTP request or the WebSocket being answered."""
        assert isinstance(self.request, HTTPConnection)
        return self.request

    @property
    def over_websocket(self) -> bool:
        """Whether this operation came over a WebSocket."""
        return self.request is not None and self.request.scope["type"] == "websocket"

    @property
    def http_request(self) -> Request:
        """The HTTP request being answered; fields that read or set cookies and headers
        of the response refuse to run over a WebSocket."""
        if not isinstance(self.request, Request):
            raise api_error(
                ErrorCode.BAD_USER_INPUT,
                "This field works over HTTP only: send it as a POST to /graphql.",
            )
        return self.request

    def for_operation(self) -> Context:
        """A context for one operation of this WebSocket connection: the same viewer and
        guest, its own DataLoaders, a short database session per ``db()`` block."""
        context = Context(
            services=self.services, session=None, viewer=self.viewer, guest=self.guest
        )
        context.request = self.request
        context.connection_params = self.connection_params
        return context

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the block (over WebSocket: a
        session of its own, closed when the block ends; commit inside the block)."""
        if self._session is None:
            async with self.services.sessions() as session:
                yield session
            return
        async with self._session_lock:
            yield self._session

    def _loader(self, fetch: Fetch[K, V]) -> Loader[K, V | None]:
        """A DataLoader answering each batch with one ``fetch`` (missing keys: None)."""

        async def load(keys: Sequence[K]) -> list[V | None]:
            async with self.db() as session:
                found = await fetch(session, keys)
            return [found.get(key) for key in keys]

        return Loader(load_fn=load)


async def _for_user(
    fetch: Callable[[AsyncSession, uuid.UUID, Sequence[K]], Awaitable[Mapping[K, V]]],
    user_id: uuid.UUID,
    session: AsyncSession,
    keys: Sequence[K],
) -> Mapping[K, V]:
    return await fetch(session, user_id, keys)


async def _track_collaborators(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, uuid.UUID | None]]
) -> dict[tuple[uuid.UUID, uuid.UUID | None], list[CollaboratorRow]]:
    found = await track_collaborators(session, keys)
    return {key: found.get(key[0], []) for key in keys}


async def _like_counts(
    kind: LikeKind, session: AsyncSession, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return await like_counts(session, kind, keys)


async def _viewer_likes(
    user_id: uuid.UUID, kind: LikeKind, session: AsyncSession, keys: Sequence[uuid.UUID]
) -> dict[uuid.UUID, bool]:
    return dict.fromkeys(await liked_by(session, user_id, kind, keys), True)


def reader_of(viewer: Viewer | None) -> Reader:
    """How the catalog sees a viewer: their user id and whether they are an admin."""
    if viewer is None:
        return ANONYMOUS
    return Reader(viewer.user_id, viewer.is_admin)


async def credentials_viewer(
    services: Services, session: AsyncSession, *, bearer: str | None, cookie: str | None
) -> Viewer | None:
    """The viewer these credentials stand for: the local admin when accounts are off."""
    if services.settings.auth == "none":
        return LOCAL_VIEWER
    if (bearer is None and cookie is None) or is_guest_token(bearer):
        return None
    viewer = await resolve_viewer(session, bearer=bearer, cookie=cookie)
    await session.commit()  # a bearer token's last-used time
    return viewer


async def request_viewer(
    services: Services, session: AsyncSession, request: HTTPConnection
) -> Viewer | None:
    """The viewer of ``request``: the local admin when accounts are off."""
    return await credentials_viewer(
        services, session, bearer=bearer_token(request), cookie=session_cookie(request)
    )


async def bearer_guest(session: AsyncSession, bearer: str | None) -> SessionGuest | None:
    """The listening session's anonymous guest whose token this is, if any."""
    if bearer is None or not is_guest_token(bearer):
        return None
    return await resolve_guest(session, bearer)


async def request_guest(session: AsyncSession, request: HTTPConnection) -> SessionGuest | None:
    """The listening session's anonymous guest whose token ``request`` carries, if any."""
    return await bearer_guest(session, bearer_token(request))


async def get_context(request: HTTPConnection) -> AsyncIterator[Context]:
    """FastAPI dependency: a context whose session closes when the request is done.

    A WebSocket's context holds no session and no viewer yet: the socket authenticates
    when its ``connection_init`` arrives (``schema/sockets.py``).
    """
    services: Services = request.app.state.services
    received_at_ms = time.time() * 1000
    if request.scope["type"] == "websocket":
        yield Context(services=services, session=None, viewer=None)
        return
    session = services.sessions()
    try:
        viewer = await request_viewer(services, session, request)
        guest = await request_guest(session, request) if viewer is None else None
        yield Context(
            services=services,
            session=session,
            viewer=viewer,
            guest=guest,
            received_at_ms=received_at_ms,
        )
    finally:
        await _close_after_response(session)


async def _close_after_response(session: AsyncSession) -> None:
    """Close a request's session. FastAPI runs this after the response has gone out, when
    nothing may be raised any more: a database outage then is one warning line."""
    try:
        # Shielded as ``AsyncSession.__aexit__`` does: a request cancelled meanwhile still
        # gives its connection back.
        await asyncio.shield(asyncio.create_task(session.close()))
    except (SQLAlchemyError, OSError) as error:
        if not database_unavailable(error):
            raise
        log_failure(logger, error, "closing a request's database session")
