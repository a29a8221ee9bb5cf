"""The ASGI application factory.

``create_app(settings)`` builds a complete app — GraphQL API, stream route, health check and
the web player — with no import-time globals, so tests can build as many as they need.
``create_app_from_environment`` is what the ASGI server imports in each worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware.cors import CORSMiddleware

from tonearm import __version__
from tonearm.artwork.routes import artwork_route
from tonearm.resolvers.sessions import session_runtime
from tonearm.schema.first_screen import FirstScreen
from tonearm.schema.router import GRAPHQL_PATH, mount_graphql
from tonearm.services import Services, build_services
from tonearm.sessions.hub import sweep_idle_periodically
from tonearm.settings import Settings
from tonearm.storage.setup import presigned_origins
from tonearm.streaming.routes import StreamLane, stream_route
from tonearm.trash.retention import sweep_periodically
from tonearm.uploads.tus import EXPOSED_HEADERS, REQUEST_HEADERS, tus_routes
from tonearm.web import health
from tonearm.web.access_log import AccessLogMiddleware
from tonearm.web.outages import install_outage_handlers
from tonearm.web.player import PlayerFiles
from tonearm.web.proxies import ForwardedHeadersMiddleware
from tonearm.web.security_headers import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

PLAYER_MISSING = (
    "<!doctype html><title>tonearm</title><h1>The web player is not built</h1>"
    "<p>Run <code>make run</code> (or <code>npm ci && npm run build</code> in "
    "<code>frontend/</code>). The API is at <a href='/graphql'>/graphql</a>.</p>"
)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the tonearm app for ``settings``."""
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Every worker schedules the trash's retention sweep; one at a time does it.
        sweeper = (
            asyncio.create_task(sweep_periodically(services))
            if settings.trash_retention_days > 0
            else None
        )
        # The same for idle listening sessions.
        sessions = session_runtime(services)
        session_sweeper = asyncio.create_task(
            sweep_idle_periodically(sessions.hub, services.engine)
        )
        try:
            yield
        finally:
            session_sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await session_sweeper
            await sessions.hub.close()
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            await services.bus.close()
            await services.storage.close()
            await services.engine.dispose()

    app = FastAPI(
        title="tonearm",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.include_router(health.router)
    router = mount_graphql(app)
    install_outage_handlers(app, graphql_path=GRAPHQL_PATH)
    app.router.routes.append(artwork_route(services))  # ahead of the player's catch-all mount
    app.router.routes.extend(tus_routes(services))  # resumable uploads, off GraphQL
    _mount_player(app, settings, FirstScreen(services, router))
    # Streams bypass FastAPI's routing and exception layers (see StreamLane) but still pass
    # through CORS, the security headers and the access log added after it.
    app.add_middleware(StreamLane, route=stream_route(services))
    _add_middleware(app, settings)
    return app


def _mount_player(app: FastAPI, settings: Settings, first_screen: FirstScreen) -> None:
    if (settings.frontend_dir / "index.html").is_file():
        # With a bucket the player PUTs direct uploads there, and with redirect delivery its
        # <audio> and <img> follow 302s there: the CSP must name its origin.
        bucket = presigned_origins(settings)
        player = PlayerFiles(
            settings.frontend_dir,
            first_screen,
            connect_origins=bucket,
            media_origins=bucket if settings.s3_delivery == "redirect" else [],
        )
        app.mount("/", player, name="player")
        return
    logger.warning(
        "web player not built (%s missing); serving the API only",
        settings.frontend_dir / "index.html",
    )

    @app.get("/", include_in_schema=False)
    async def player_missing() -> HTMLResponse:
        return HTMLResponse(PLAYER_MISSING, status_code=503)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS", "PATCH", "DELETE"],
            allow_headers=[
                *["Content-Type", "Range", "If-Range", "Authorization", "Accept"],
                *REQUEST_HEADERS,
            ],
            expose_headers=[
                *["Content-Range", "Accept-Ranges", "Content-Length", "ETag"],
                *EXPOSED_HEADERS,
            ],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, instance_name=settings.instance_name)
    app.add_middleware(AccessLogMiddleware)
    # Outermost: everything inside sees the client and scheme a trusted proxy forwarded.
    app.add_middleware(ForwardedHeadersMiddleware, trusted=settings.trusted_proxy_networks())


def create_app_from_environment() -> FastAPI:
    """The app for the current ``TONEARM_*`` environment (used by the ASGI server)."""
    from tonearm.logging_setup import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
