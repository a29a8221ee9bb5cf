"""``GET``/``HEAD`` ``/api/art/{hash}/{size}``: a thumbnail for a signed-in viewer.

A browser ``<img>`` sends the session cookie, a GraphQL client its bearer token; with
``TONEARM_AUTH=none`` everyone is the local admin. Anonymous requests get 401 whatever they
ask for — unless ``?share=`` carries a cover token of a live share whose target shows that
very cover (``shares.access``, re-checked through a memo of at most 5 s), or ``?session=``
a cover token of an active listening session one of whose tracks has it (``sessions.access``,
the same bound) — a session's anonymous guests have no account to load covers with. A malformed hash
or size, an unknown hash or a size that was not made are all the same 404. The hash and
size are checked against strict patterns before a path is built from them, so no request
can name a file outside the store.

Content-addressed thumbnails never change, so responses are cacheable for a year
(``private``: only the signed-in browser's own cache) and carry a strong ETag; a matching
``If-None-Match`` gets 304 without the file being read. File access runs in worker threads.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tonearm.accounts.secrets import secret_hash
from tonearm.accounts.viewer import resolve_viewer
from tonearm.artwork.store import MEDIA_TYPE, ArtworkStore
from tonearm.artwork.urls import ART_PATH, hash_from_path, size_from_path
from tonearm.memo import TTLMemo
from tonearm.services import Services
from tonearm.sessions.access import SessionGrantCache
from tonearm.sessions.covers import SESSION_ART_PARAM, SessionCoverSigner
from tonearm.shares.access import ShareGrantCache
from tonearm.shares.cookies import ART_PARAM
from tonearm.storage.base import (
    UNAVAILABLE_RETRY_AFTER,
    ObjectNotFound,
    ObjectStorage,
    StorageUnavailable,
)
from tonearm.web.credentials import NO_CREDENTIALS, bearer_token, session_cookie

CACHE_CONTROL = "private, max-age=31536000, immutable"
# A share's page keeps its covers an hour: a revoked share's art fades from caches soon.
SHARE_CACHE_CONTROL = "private, max-age=3600"
# A signed-in check is remembered this long per credential, like the stream route's check
# of its listener: a grid of covers fires dozens of requests at once. A revoked token or
# ended session can read thumbnails for at most this long.
SIGNED_IN_TTL = 5.0
_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')
_NO_STORE = {"Cache-Control": "no-store"}
# A redirect's presigned URL lives this long (a browser follows it at once).
REDIRECT_SECONDS = 300
logger = logging.getLogger(__name__)


class SignedInCheck:
    """Whether a request comes from a signed-in viewer (cookie or bearer token)."""

    def __init__(
        self, services: Services, *, ttl: float = SIGNED_IN_TTL, clock: Callable[[], float]
    ) -> None:
        self._services = services
        self._accounts_on = services.settings.auth == "required"
        # Keyed by the credential's SHA-256, never the secret itself; only a yes is kept.
        self._memo: TTLMemo[tuple[str, str], bool] = TTLMemo(ttl=ttl, max_entries=4096, clock=clock)

    async def __call__(self, request: Request) -> bool:
        """True for a live session or token (or with accounts off), else False."""
        if not self._accounts_on:
            return True
        bearer = bearer_token(request)
        if bearer is not None:  # when sent, the only credential looked at (as for GraphQL)
            if bearer == NO_CREDENTIALS:
                return False
            key = ("bearer", secret_hash(bearer))
            return await self._memo.get(key, lambda _: self._resolve(bearer, None)) is True
        cookie = session_cookie(request)
        if cookie is None:
            return False
        key = ("cookie", secret_hash(cookie))
        return await self._memo.get(key, lambda _: self._resolve(None, cookie)) is True

    async def _resolve(self, bearer: str | None, cookie: str | None) -> bool | None:
        async with self._services.sessions() as session:
            viewer = await resolve_viewer(session, bearer=bearer, cookie=cookie)
            await session.commit()  # a bearer token's last-used time
        return True if viewer is not None else None


class ArtworkFiles:
    """The store's reads: local files in worker threads under a limiter of their own, or the
    objects of remote storage (``TONEARM_STORAGE=s3``) through its async client.

    With remote storage ``get`` and ``has`` raise ``StorageUnavailable`` when it is down
    (the route answers 503), and ``ObjectNotFound`` is "not stored".
    """

    def __init__(
        self, store: ArtworkStore, *, storage: ObjectStorage | None = None, threads: int = 8
    ) -> None:
        self._store = store
        self._limiter = anyio.CapacityLimiter(threads)
        self.storage = storage if storage is not None and storage.remote else None

    async def get(self, artwork_hash: str, size: int) -> bytes | None:
        """The thumbnail's bytes, or None."""
        if self.storage is not None:
            try:
                return await self.storage.read_all(ArtworkStore.key_for(artwork_hash, size))
            except ObjectNotFound:
                return None
        return await anyio.to_thread.run_sync(
            self._store.get, artwork_hash, size, limiter=self._limiter
        )

    async def has(self, artwork_hash: str, size: int) -> bool:
        """Whether the thumbnail is stored."""
        if self.storage is not None:
            return await self.storage.exists(ArtworkStore.key_for(artwork_hash, size))
        return await anyio.to_thread.run_sync(
            self._store.has, artwork_hash, size, limiter=self._limiter
        )

    async def redirect(self, artwork_hash: str, size: int) -> str | None:
        """A presigned GET of a stored thumbnail (remote storage), or None when absent."""
        assert self.storage is not None
        key = ArtworkStore.key_for(artwork_hash, size)
        if not await self.storage.exists(key):
            return None
        return await self.storage.presigned_get(
            key, expires_in=REDIRECT_SECONDS, content_type=MEDIA_TYPE
        )


def entity_tag(artwork_hash: str, size: int) -> str:
    """The strong ETag of a thumbnail: its content never changes."""
    return f'"{artwork_hash}-{size}"'


def is_not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` lists ``etag`` or ``*`` (weak comparison, RFC 9110 §13.1.2)."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.removeprefix("W/") == etag for tag in _ENTITY_TAG.findall(if_none_match))


def _refusal(status: int) -> JSONResponse:
    if status == 503:
        return JSONResponse(
            {"error": "storage_unavailable"},
            status_code=503,
            headers={**_NO_STORE, "Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if status == 401:
        return JSONResponse(
            {"error": "unauthenticated"},
            status_code=401,
            headers={**_NO_STORE, "WWW-Authenticate": 'Bearer realm="tonearm"'},
        )
    return JSONResponse({"error": "not_found"}, status_code=404, headers=_NO_STORE)


async def _thumbnail(  # noqa: PLR0911 - one answer per outcome
    request: Request,
    files: ArtworkFiles,
    artwork_hash: str,
    size: int,
    headers: dict[str, str],
    *,
    redirects: bool,
) -> Response:
    """The thumbnail for a request that may see it: 302, 304, 200, 404, or 503 when remote
    storage is down."""
    try:
        if redirects:
            # The bucket sends the bytes; the redirect itself is not kept anywhere.
            location = await files.redirect(artwork_hash, size)
            if location is None:
                return _refusal(404)
            return Response(status_code=302, headers={"Location": location, **_NO_STORE})
        if is_not_modified(request.headers.get("if-none-match"), headers["ETag"]):
            if not await files.has(artwork_hash, size):
                return _refusal(404)
            return Response(status_code=304, headers=headers)
        data = await files.get(artwork_hash, size)
    except StorageUnavailable as error:
        logger.warning("thumbnail %s/%d: %s", artwork_hash, size, error)
        return _refusal(503)
    if data is None:
        return _refusal(404)
    headers["Content-Length"] = str(len(data))
    body = b"" if request.method == "HEAD" else data
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def artwork_route(services: Services, *, clock: Callable[[], float] = time.monotonic) -> Route:
    """The artwork route bound to ``services`` (the store under its data dir)."""
    files = ArtworkFiles(
        ArtworkStore.in_data_dir(services.settings.data_dir), storage=services.storage
    )
    redirects = files.storage is not None and services.settings.s3_delivery == "redirect"
    signed_in = SignedInCheck(services, clock=clock)
    shares = ShareGrantCache(services.engine, clock=clock)
    sessions = SessionGrantCache(services.engine, clock=clock)
    session_covers = SessionCoverSigner(services.settings.signing_keys())

    async def shared(request: Request, artwork_hash: str | None) -> bool:
        """Whether ``?share=`` holds a token of a live share for this very cover, or
        ``?session=`` one of an active listening session showing it."""
        if artwork_hash is None:
            return False
        token = request.query_params.get(ART_PARAM)
        if token:
            share_id = services.share_signer.art_grant(token, artwork_hash)
            return share_id is not None and await shares.artwork(share_id, artwork_hash)
        token = request.query_params.get(SESSION_ART_PARAM)
        if token:
            session_id = session_covers.grant(token, artwork_hash)
            return session_id is not None and await sessions.artwork(session_id, artwork_hash)
        return False

    async def serve_artwork(request: Request) -> Response:
        artwork_hash = hash_from_path(request.path_params["artwork_hash"])
        size = size_from_path(request.path_params["size"])
        cache_control = CACHE_CONTROL
        if not await signed_in(request):
            # Anonymous: only a share's page (or a listening session), only its covers;
            # anything else is the same 401 as before (a token for another cover says
            # nothing more).
            if not await shared(request, artwork_hash):
                return _refusal(401)
            cache_control = SHARE_CACHE_CONTROL
        if artwork_hash is None or size is None:
            return _refusal(404)
        headers = {
            "ETag": entity_tag(artwork_hash, size),
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
        }
        return await _thumbnail(request, files, artwork_hash, size, headers, redirects=redirects)

    return Route(ART_PATH, serve_artwork, methods=["GET", "HEAD"], name="artwork")


__all__ = ["ArtworkFiles", "SignedInCheck", "artwork_route", "entity_tag", "is_not_modified"]
