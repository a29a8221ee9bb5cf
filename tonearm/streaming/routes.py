"""``GET``/``HEAD`` ``/api/tracks/{track_id}/stream?token=…``: the thin stream handler.

Order matters: the id is parsed and the token verified (pure, no I/O) before the database
or the file system is touched, so an unauthenticated request costs nothing but an HMAC.

The route is a plain Starlette ``Route`` that ``StreamLane`` (an ASGI middleware) calls
ahead of FastAPI's router, not a FastAPI path operation: FastAPI's routing, dependency
solving and exception layers cost several times the work of the tiny responses a seeking
player fires at it, and there is nothing here for them to validate. Every file-system call
runs in a worker thread (``file_io.TrackFiles``); the event loop never waits on a disk.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tonearm.db.outages import database_unavailable
from tonearm.paths import display_path
from tonearm.services import Services
from tonearm.sessions.access import SessionGrantCache
from tonearm.shares.access import ShareGrantCache
from tonearm.streaming.accel import AccelRedirects, decline
from tonearm.streaming.errors import (
    ListenerRefused,
    MissingToken,
    SessionRefused,
    ShareRefused,
    StreamRefused,
    TrackFileMissing,
    TrackNotFound,
    error_response,
)
from tonearm.streaming.file_io import Located, TrackFiles
from tonearm.streaming.files import TrackFile
from tonearm.streaming.objects import ObjectDelivery
from tonearm.streaming.responses import CONDITIONAL_HEADERS, StreamResponse
from tonearm.streaming.tokens import StreamGrant, StreamSigner, StreamTokenError
from tonearm.streaming.tracks import (
    ActiveListenerCache,
    StreamableTrack,
    StreamableTrackCache,
)
from tonearm.streaming.urls import STREAM_PATH, TOKEN_PARAM, track_id_from_path
from tonearm.streaming.variants import VariantStreams
from tonearm.web.outages import log_outage, unavailable_response

logger = logging.getLogger(__name__)


class Answer(Protocol):
    """The stream route's answer to a request, in full or as a decision."""

    def __call__(self, request: Request, *, decide: bool) -> Awaitable[Response]: ...


def verify_request_token(
    signer: StreamSigner, token: str | None, track_id: uuid.UUID, *, now: float
) -> StreamGrant:
    """The grant carried by ``token`` for ``track_id``; raises before any I/O happens."""
    if not token:
        raise MissingToken
    return signer.verify(token, track_id, now=now)


def may_use_remembered_location(request: Request) -> bool:
    """Whether a remembered confinement result may answer this request.

    Only for a seek (a GET with a Range and no other precondition): its read re-validates
    the file before any byte goes out. A whole file (sent by the server from its path), a
    HEAD, or a 304/412 decision is answered from a fresh ``stat``.
    """
    headers = request.headers
    return (
        request.method == "GET"
        and "range" in headers
        and not any(name in headers for name in CONDITIONAL_HEADERS)
    )


async def _check_grant(  # noqa: PLR0917 - one call site
    grant: StreamGrant,
    track_id: uuid.UUID,
    sessions: SessionGrantCache,
    shares: ShareGrantCache,
    listeners: ActiveListenerCache,
    accounts_on: bool,
) -> None:
    """Whoever the token names may still listen to this track; raises otherwise."""
    if grant.session_id is not None and grant.member_id is not None:
        # A listening session's member: the session must still grant this track
        # and this very version to them (remembered at most 5 s per worker).
        offer = await sessions.track(grant.session_id, grant.member_id, track_id)
        if offer is None or offer.key != grant.variant:
            raise SessionRefused
        if (
            accounts_on
            and grant.user_id is not None
            and not await listeners.is_active(grant.user_id)
        ):
            raise ListenerRefused
    elif grant.share_id is not None:
        # A share's listener: the share must still grant this track and this very
        # version (re-checked per request, remembered at most 5 s per worker).
        allowed = await shares.track(grant.share_id, track_id)
        if allowed is None or allowed.variant != grant.variant:
            raise ShareRefused
    elif accounts_on and not (grant.user_id and await listeners.is_active(grant.user_id)):
        raise ListenerRefused


def stream_route(services: Services) -> Route:
    """The stream route bound to ``services``."""
    track_files = TrackFiles(services.file_roots)
    tracks = StreamableTrackCache(services.engine)
    listeners = ActiveListenerCache(services.engine)
    variants = VariantStreams(services)
    shares = ShareGrantCache(services.engine)
    sessions = SessionGrantCache(services.engine)
    accounts_on = services.settings.auth == "required"
    accel = AccelRedirects.for_services(services)  # TONEARM_ACCEL=nginx: nginx sends bytes
    objects = ObjectDelivery(services.storage, services.settings.s3_delivery)

    async def answer(request: Request, *, decide: bool) -> Response:
        now = time.time()
        try:
            track_id = track_id_from_path(request.path_params["track_id"])
            if track_id is None:
                raise TrackNotFound  # not a UUID names no track: 404, not 422
            grant = verify_request_token(
                services.signer, request.query_params.get(TOKEN_PARAM), track_id, now=now
            )
            await _check_grant(grant, track_id, sessions, shares, listeners, accounts_on)
            track = await tracks.get(track_id)
            if track is None:
                raise TrackNotFound
        except (StreamRefused, StreamTokenError) as refused:
            return error_response(refused)
        if grant.variant is not None:
            return await variants.respond(
                request,
                grant,
                track,
                max_age=int(grant.expires_at - now),
                may_remember=may_use_remembered_location,
                decide=decide,
            )
        max_age = int(grant.expires_at - now)  # floor: never outlive the token
        if track.storage_key is not None:
            # An upload kept in remote storage: a redirect or a proxy, never nginx's to send.
            return await _stored_object(
                objects, request, track_id, track, max_age=max_age, decide=decide
            )

        async def locate(*, fresh: bool) -> Located:
            try:
                return await track_files.locate(
                    track_id, track.path, fresh=fresh, origin=track.origin
                )
            except TrackNotFound as refused:
                # For the operator: the id and the stored (relative) path, never the token.
                # The client only learns "not_found", whatever the reason.
                reason = (
                    "is missing"
                    if isinstance(refused, TrackFileMissing)
                    else "resolves outside its root or is not a regular file"
                )
                logger.warning(
                    "track %s: stored file %r %s", track_id, display_path(track.path), reason
                )
                raise

        async def relocate() -> TrackFile:
            track_files.forget(track_id, track.path)
            return (await locate(fresh=True)).file

        redirect = accel is not None and accel.from_front(request)
        try:
            # nginx stats and opens the file itself (refusing symlinks): a remembered
            # confinement result is as good as a fresh one for naming it.
            located = await locate(fresh=not redirect and not may_use_remembered_location(request))
        except TrackNotFound as refused:
            return error_response(refused)
        if redirect:
            assert accel is not None
            return accel.original(located.file, track, max_age=max_age, decide=decide)
        return StreamResponse(
            located,
            files=track_files,
            relocate=relocate,
            media_type=track.mime_type,
            download_name=track.download_name,
            max_age=max_age,
        )

    endpoint = _answering_outages(_deciding(accel, answer))
    return Route(STREAM_PATH, endpoint, methods=["GET", "HEAD"], name="stream_track")


def _deciding(
    accel: AccelRedirects | None, answer: Answer
) -> Callable[[Request], Awaitable[Response]]:
    """The route's endpoint: ``answer`` in full, or for nginx's auth_request a decision."""

    async def stream_track(request: Request) -> Response:
        if accel is None or not accel.deciding(request):
            return await answer(request, decide=False)
        # A yes nginx may keep, or a 403 sending the request on to this route in full (a
        # refusal in its own words, an encode, several ranges, a name it cannot carry).
        if accel.declines(request):
            return decline()
        response = await answer(request, decide=True)
        return response if response.status_code == 200 else decline()

    return stream_track


def _answering_outages(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The route bypasses FastAPI's exception middleware (``StreamLane``), so it answers a
    database outage itself, with the 503 every other route gives (``web.outages``)."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except (SQLAlchemyError, OSError) as error:
            if not database_unavailable(error):
                raise
            log_outage("stream", error)
            return unavailable_response()

    return answer


async def _stored_object(
    objects: ObjectDelivery,
    request: Request,
    track_id: uuid.UUID,
    track: StreamableTrack,
    *,
    max_age: int,
    decide: bool,
) -> Response:
    """An original in remote storage; gone behind the registry's back: the usual 404.
    Asked for nginx's decision, a decline: the request then comes in full."""
    assert track.storage_key is not None
    if decide:
        return decline()
    served = await objects.respond(
        request,
        track.storage_key,
        media_type=track.mime_type,
        download_name=track.download_name,
        max_age=max_age,
    )
    if served is None:
        logger.warning("track %s: its stored object is missing", track_id)
        return error_response(TrackFileMissing())
    return served


METHOD_NOT_ALLOWED = JSONResponse(
    {"error": "method_not_allowed"}, status_code=405, headers={"Allow": "GET, HEAD"}
)


class StreamLane:
    """ASGI middleware that hands stream requests straight to the stream route.

    A seek is a tiny response that a player fires many times; measured on this route,
    FastAPI's router (matching every API route first), its exception middleware and exit
    stack were a third of the time a 64 KiB range took in process. The stream route needs
    none of them: it maps every refusal to a response itself. Anything the route does not
    match goes on to the app unchanged.
    """

    def __init__(self, app: ASGIApp, route: Route) -> None:
        self.app = app
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match, child_scope = self.route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                await self.route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL:  # the stream path with another method
                await METHOD_NOT_ALLOWED(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = [
    "StreamLane",
    "may_use_remembered_location",
    "stream_route",
    "verify_request_token",
]
