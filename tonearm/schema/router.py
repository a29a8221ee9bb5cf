"""GraphQL over HTTP: Strawberry's FastAPI router, made to follow the GraphQL-over-HTTP spec.

Strawberry 0.341 answers everything as ``application/json``, refuses a GET mutation with
400, an unknown content type with 400, and renders a GraphiQL page that loads its code from
unpkg.com. ``TonearmGraphQLRouter`` changes exactly those, in one place:

* ``Accept: application/graphql-response+json`` is honoured: the response carries that
  media type, and a request error (the document did not parse or validate, or variables
  did not coerce; the body then has no ``data``) is a 400. Under ``application/json`` (the
  default) such responses stay 200, as the spec requires for that media type.
* A mutation over GET is 405 with ``Allow: POST``; a POST that is neither JSON nor a
  GraphQL multipart request is 415.
* A multipart request (file uploads) is parsed as it streams, each file straight into the
  uploads staging area (``schema/multipart.py``), never by Strawberry's ``request.form()``,
  which spools files to the system temp folder. Cookie-borne, it needs an allowed
  ``Origin`` and the ``Tonearm-CSRF: 1`` header (a form cannot send one) before a byte of
  it is read; a refusal is 403 with code ``CSRF_REJECTED``.
* Errors raised before execution come back as a GraphQL-shaped JSON body.
* GraphiQL is served from vendored files with a strict CSP (``schema/graphiql.py``).
* WebSocket speaks ``graphql-transport-ws`` only (the legacy ``graphql-ws`` is closed with
  4406); sockets authenticate on ``connection_init`` and get a context per operation
  (``schema/sockets.py``). The handshake is accepted from any ``Origin``: the Origin rule
  decides whether the session cookie counts, as it does for HTTP writes.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from tonearm.accounts.users import may_upload
from tonearm.accounts.viewer import AuthMethod
from tonearm.db.models import UserRecord
from tonearm.schema.build import build_schema
from tonearm.schema.context import Context, get_context
from tonearm.schema.errors import ErrorCode
from tonearm.schema.graphiql import ASSETS_DIR, graphiql_csp, graphiql_html
from tonearm.schema.multipart import (
    MULTIPART,
    MultipartRefused,
    ReceivedFile,
    discard_received,
    parse_graphql_multipart,
)
from tonearm.schema.sockets import (
    OwnerClosingWebSocketAdapter,
    TonearmTransportWSHandler,
    on_connect,
)
from tonearm.uploads.staging import staging_dir
from tonearm.web.credentials import origin_allowed

GRAPHQL_PATH = "/graphql"
CONNECTION_INIT_TIMEOUT = timedelta(seconds=15)  # then the socket closes with 4408
ASSETS_SUFFIX = "/assets"
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_REQUEST_ERROR = "tonearm_graphql_request_error"
CSRF_HEADER = "tonearm-csrf"
MULTIPART_CSRF_MESSAGE = (
    "Cross-site upload refused: a cookie-authenticated multipart request needs an allowed "
    "Origin and the header Tonearm-CSRF: 1."
)
# The operation of the multipart request being answered (parsed in ``run``, read by
# ``parse_http_body``, which Strawberry calls within the same task).
_MULTIPART_OPERATION: ContextVar[dict[str, Any] | None] = ContextVar(
    "tonearm_multipart_operation", default=None
)


class _MethodNotAllowed(HTTPException):
    """A mutation sent with GET."""


def preferred_media_type(accept: str | None) -> str:
    """``application/graphql-response+json`` when the client prefers it, else JSON.

    Without an Accept header, or one naming neither type, the legacy ``application/json``
    is used (the spec allows that rather than a 406, and it is what older clients expect).
    """
    best, best_q = JSON, -1.0
    for media_range in (accept or "").split(","):
        media_type, params = parse_content_type(media_range)
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 0.0
        if q <= 0:
            continue
        # On a tie the spec's own media type wins.
        if media_type == GRAPHQL_RESPONSE_JSON and q >= best_q:
            best, best_q = GRAPHQL_RESPONSE_JSON, q
        elif media_type in (JSON, "application/*", "*/*") and q > best_q:
            best, best_q = JSON, q
    return best


def _is_request_error(result: ExecutionResult) -> bool:
    # Field errors carry a path; errors from parsing, validation and variable coercion
    # happen before execution and have none.
    return (
        bool(result.errors)
        and result.data is None
        and all(error.path is None for error in result.errors or [])
    )


class TonearmGraphQLRouter(GraphQLRouter[Context, None]):
    """Strawberry's router plus content negotiation, spec status codes, local GraphiQL and
    authenticated ``graphql-transport-ws`` sockets."""

    graphql_transport_ws_handler_class = TonearmTransportWSHandler
    websocket_adapter_class = OwnerClosingWebSocketAdapter

    def __init__(self, schema: BaseSchema, *, assets_path: str) -> None:
        super().__init__(
            schema,
            # A FastAPI dependency with ``yield`` (it closes the session); Strawberry's
            # annotation does not know that form.
            context_getter=get_context,  # type: ignore[arg-type]
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )
        self.assets_path = assets_path

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """Every origin may connect; only an allowed one's cookie authenticates
        (``schema/sockets.py``), so a cross-site page gets an anonymous socket."""
        return True

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate the socket from its ``connection_init`` payload or cookie."""
        await on_connect(context)
        return UnsetType()  # the ack carries no payload

    async def run(
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Any:
        """Answer one request, choosing the media type from its Accept header."""
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        media_type = preferred_media_type(request.headers.get("accept"))
        received: list[ReceivedFile] = []
        try:
            if request.method == "POST" and _is_multipart(request.headers.get("content-type")):
                refused = await self._receive_multipart(request, context, media_type, received)
                if refused is not None:
                    return refused
            response = await super().run(request, context, root_value)
        except HTTPException as exc:
            headers = {"Allow": "POST"} if isinstance(exc, _MethodNotAllowed) else None
            body = json.dumps({"errors": [{"message": exc.reason}]})
            return Response(
                body, status_code=exc.status_code, media_type=media_type, headers=headers
            )
        finally:
            await discard_received(received)
        if isinstance(response, HTMLResponse) or response.media_type != JSON:
            return response
        if media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if getattr(request.state, _REQUEST_ERROR, False):
                response.status_code = 400
        return response

    def _multipart_refusal(self, request: Request, context: Context) -> str | None:
        """Why a multipart request may not be read (CSRF), or None."""
        viewer = context.viewer
        if viewer is None or viewer.method is not AuthMethod.SESSION:
            return None
        allowed = origin_allowed(request, context.services.settings.cors_origins)
        if allowed and request.headers.get(CSRF_HEADER) == "1":
            return None
        return MULTIPART_CSRF_MESSAGE

    async def _receive_multipart(
        self,
        request: Request,
        context: Context,
        media_type: str,
        received: list[ReceivedFile],
    ) -> Response | None:
        """Parse the body into ``received``, staging its files when the viewer may upload,
        and remember the operation for ``parse_http_body``; a response when refused."""
        refused = self._multipart_refusal(request, context)
        if refused is not None:
            return _error_response(403, refused, media_type, ErrorCode.CSRF_REJECTED)
        try:
            operation, files = await self._parse_multipart(request, context)
        except MultipartRefused as exc:
            return _error_response(exc.status, exc.message, media_type)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening; nothing was kept
        received += files
        _MULTIPART_OPERATION.set(operation)
        return None

    async def _parse_multipart(
        self, request: Request, context: Context
    ) -> tuple[dict[str, Any], list[ReceivedFile]]:
        settings = context.services.settings
        staging = None
        viewer = context.viewer
        if viewer is not None and viewer.user_id is not None:
            async with context.db() as session:
                user = await session.get(UserRecord, viewer.user_id)
                if user is not None and may_upload(user):
                    staging = staging_dir(context.services.uploads_root)
        declared = request.headers.get("content-length")
        return await parse_graphql_multipart(
            request.stream(),
            content_type=request.headers.get("content-type", ""),
            declared_length=int(declared) if declared and declared.isdigit() else None,
            staging=staging,
            limit_bytes=settings.max_upload_bytes,
        )

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Refuse a POST body that is neither JSON nor multipart with 415 before reading it;
        a multipart one was parsed already (``run``)."""
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type == MULTIPART:
                return _multipart_request_data(_MULTIPART_OPERATION.get())
            if content_type != JSON:
                raise HTTPException(
                    415, "Send the request as application/json (or multipart/form-data)."
                )
        return await super().parse_http_body(request)

    async def execute_single(  # noqa: PLR0917 - Strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """As Strawberry's, but a mutation over GET is "method not allowed" (405)."""
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise _MethodNotAllowed(405, "Mutations must be sent with POST.") from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Drop ``data`` from request errors (the GraphQL spec) and remember them."""
        processed = await super().process_result(request, result)
        if _is_request_error(result):
            processed.pop("data", None)
            setattr(request.state, _REQUEST_ERROR, True)
        return processed

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """The vendored GraphiQL page, with a CSP that only allows same-origin code."""
        assets = request.scope.get("root_path", "") + self.assets_path
        return HTMLResponse(
            graphiql_html(assets),
            headers={
                "Content-Security-Policy": graphiql_csp(request.headers.get("host")),
                "Cache-Control": "no-cache",
            },
        )


def _is_multipart(content_type: str | None) -> bool:
    return parse_content_type(content_type or "")[0] == MULTIPART


def _error_response(
    status: int, message: str, media_type: str, code: ErrorCode | None = None
) -> Response:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code.value}
    return Response(json.dumps({"errors": [error]}), status_code=status, media_type=media_type)


def _multipart_request_data(operation: dict[str, Any] | None) -> GraphQLRequestData:
    if operation is None:
        raise HTTPException(400, "The multipart body holds no operation.")
    query, variables = operation.get("query"), operation.get("variables")
    name, extensions = operation.get("operationName"), operation.get("extensions")
    if not isinstance(query, str | None) or not isinstance(name, str | None):
        raise HTTPException(400, "The operation's `query` must be a string.")
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        raise HTTPException(400, "The operation's `variables` must be an object.")
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=name,
        extensions=extensions,
        protocol="http",
    )


def mount_graphql(app: FastAPI, *, path: str = GRAPHQL_PATH) -> TonearmGraphQLRouter:
    """Serve the API at ``path`` and GraphiQL's files below it, with a fresh schema; the
    router is returned for what else answers through it (the player's first screen)."""
    assets_path = path + ASSETS_SUFFIX
    app.mount(assets_path, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
    router = TonearmGraphQLRouter(build_schema(), assets_path=assets_path)
    app.include_router(router, prefix=path)
    return router
