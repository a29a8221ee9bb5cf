"""The player's first screen without a round trip: the shell's operations, run in-process.

``web/player.py`` serves the player's shell; for a signed-in browser it asks this module, as
the request's viewer (the same viewer from the same cookie or bearer token), for

* the first rows it paints (``web/first_screen.py``): the answer ``#tonearm-first-rows-request``
  (``PlayerFirstRows`` in ``frontend/src/lib/library/boot.ts``) would get, read directly — the
  ``tracks`` resolver's catalog query, order, page checks and visibility (``list_tracks`` with
  the viewer's reader), the album, role and like resolvers over fresh DataLoaders — without
  the cost of executing GraphQL; tests hold it equal to the executed operation;
* the boot operation the shell would POST first (read from the built ``index.html``), run
  through the router's own schema, a context built as ``get_context`` builds one (fresh
  DataLoaders, one session) and the router's own ``process_result``, so the embedded body is
  exactly what the POST to ``/graphql`` would have returned — stream URLs included, minted by
  ``Track.streamUrl`` for this viewer as always. Only a query runs this way: a GET must change
  nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types.graphql import OperationType

from tonearm.accounts.viewer import Viewer
from tonearm.catalog.pagination import TrackOrder
from tonearm.catalog.queries import list_tracks
from tonearm.resolvers.accounts import resolve_auth_mode
from tonearm.resolvers.albums import resolve_track_album
from tonearm.resolvers.collaborators import resolve_track_can_edit
from tonearm.resolvers.likes import resolve_viewer_has_liked
from tonearm.resolvers.loading import settled
from tonearm.resolvers.pages import checked_page
from tonearm.resolvers.tracks import Info
from tonearm.schema.context import Context, request_viewer
from tonearm.schema.ids import ALBUM_TYPE_NAME, global_id, track_global_id
from tonearm.schema.router import TonearmGraphQLRouter
from tonearm.schema.types import Track
from tonearm.services import Services
from tonearm.social.likes import LikeKind
from tonearm.web.credentials import bearer_token, session_cookie


@dataclass(frozen=True, slots=True)
class _ContextOnly:
    """What the field resolvers read of their ``info``: the request's context."""

    context: Context


class ViewerOperations:
    """The shell's operations for one request's viewer (``web.player.ViewerOperations``)."""

    def __init__(
        self,
        services: Services,
        router: TonearmGraphQLRouter,
        request: Request,
        viewer: Viewer,
        received_at_ms: float,
    ) -> None:
        self.services = services
        self.router = router
        self.request = request
        self.viewer = viewer
        self.received_at_ms = received_at_ms

    def _context(self, session: Any) -> Context:
        context = Context(
            services=self.services,
            session=session,
            viewer=self.viewer,
            received_at_ms=self.received_at_ms,
        )
        context.request = self.request
        context.response = Response()  # nothing a query sets reaches the page
        return context

    async def run(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """The GraphQL response body of this query, executed as the viewer."""
        async with self.services.sessions() as session:
            result = await self.router.schema.execute(
                query,
                variable_values=dict(variables),
                context_value=self._context(session),
                allowed_operation_types={OperationType.QUERY},
            )
            return await self.router.process_result(self.request, result)

    async def first_rows(self, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """What ``PlayerFirstRows`` with these variables (``first``, ``orderBy``) answers.

        Raises ``KeyError``/``ValueError`` for variables the operation would refuse, and the
        API's own error for a page it refuses."""
        order = TrackOrder[str(variables["orderBy"])]
        page = checked_page(order, first=int(variables["first"]), after=None)
        async with self.services.sessions() as session:
            context = self._context(session)
            info = cast(Info, _ContextOnly(context))
            async with context.db() as db:
                result = await list_tracks(
                    db, reader=context.reader, order=order, page=page, search=None
                )
            tracks = [Track.from_record(record) for record in result.records]
            albums, editable, liked = await asyncio.gather(
                asyncio.gather(*(settled(resolve_track_album(info, t.album_id)) for t in tracks)),
                asyncio.gather(*(settled(resolve_track_can_edit(info, t)) for t in tracks)),
                asyncio.gather(
                    *(
                        settled(resolve_viewer_has_liked(info, LikeKind.TRACK, t.track_id))
                        for t in tracks
                    )
                ),
            )
        viewer = self.viewer
        nodes = [
            {
                "id": track_global_id(track.track_id),
                "title": track.title,
                "artist": track.artist,
                "album": (
                    {"id": global_id(ALBUM_TYPE_NAME, album.album_id), "title": album.title}
                    if album is not None
                    else None
                ),
                "durationSeconds": track.duration_seconds,
                "canEdit": can_edit,
                "viewerHasLiked": has_liked,
            }
            for track, album, can_edit, has_liked in zip(
                tracks, albums, editable, liked, strict=True
            )
        ]
        return {
            "data": {
                "viewer": {
                    "username": viewer.username,
                    "role": viewer.role.name,
                    "mustChangePassword": viewer.must_change_password,
                    "canUpload": viewer.user_id is not None
                    and (viewer.is_admin or viewer.can_upload),
                },
                "authMode": resolve_auth_mode(info).name,
                "tracks": {"edges": [{"node": node} for node in nodes]},
            }
        }


class FirstScreen:
    """``web.player.FirstScreenSource`` over the app's GraphQL router (``app.py`` wires it)."""

    def __init__(self, services: Services, router: TonearmGraphQLRouter) -> None:
        self.services = services
        self.router = router

    def may_have_viewer(self, request: Request) -> bool:
        """Credentials to check, or accounts off (everyone is the local admin)."""
        if self.services.settings.auth == "none":
            return True
        return bearer_token(request) is not None or session_cookie(request) is not None

    async def runner_for(self, request: Request) -> ViewerOperations | None:
        """None without a viewer (nothing is painted or embedded for anyone signed out);
        else the shell's operations as that viewer."""
        received_at_ms = time.time() * 1000
        async with self.services.sessions() as session:
            viewer = await request_viewer(self.services, session, request)
        if viewer is None:
            return None
        return ViewerOperations(self.services, self.router, request, viewer, received_at_ms)
