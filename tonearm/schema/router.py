"""GraphQL over HTTP: Strawberry's FastAPI router, made to follow the GraphQL-over-HTTP spec.

Strawberry 0.341 answers everything as ``application/json``, refuses a GET mutation with
400, an unknown content type with 400, and renders a GraphiQL page that loads its code from
unpkg.com. ``TonearmGraphQLRouter`` changes exactly those, in one place:

* ``Accept: application/graphql-response+json`` is honoured: the response carries that
  media type, and a request error (the document did not parse or validate, or variables
  did not coerce; the body then has no ``data``) is a 400. Under ``application/json`` (the
  default) such responses stay 200, as the spec requires for that media type.
* A mutation over GET is 405 with ``Allow: POST``; a POST that is not JSON is 415.
* Errors raised before execution come back as a GraphQL-shaped JSON body.
* GraphiQL is served from vendored files with a strict CSP (``schema/graphiql.py``).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from tonearm.schema.build import build_schema
from tonearm.schema.context import Context, get_context
from tonearm.schema.graphiql import ASSETS_DIR, GRAPHIQL_CSP, graphiql_html

GRAPHQL_PATH = "/graphql"
ASSETS_SUFFIX = "/assets"
JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_REQUEST_ERROR = "tonearm_graphql_request_error"


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
    """Strawberry's router plus content negotiation, spec status codes and local GraphiQL."""

    def __init__(self, schema: BaseSchema, *, assets_path: str) -> None:
        super().__init__(
            schema,
            # A FastAPI dependency with ``yield`` (it closes the session); Strawberry's
            # annotation does not know that form.
            context_getter=get_context,  # type: ignore[arg-type]
            graphql_ide="graphiql",
        )
        self.assets_path = assets_path

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
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as exc:
            headers = {"Allow": "POST"} if isinstance(exc, _MethodNotAllowed) else None
            body = json.dumps({"errors": [{"message": exc.reason}]})
            return Response(
                body, status_code=exc.status_code, media_type=media_type, headers=headers
            )
        if isinstance(response, HTMLResponse) or response.media_type != JSON:
            return response
        if media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if getattr(request.state, _REQUEST_ERROR, False):
                response.status_code = 400
        return response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Refuse a POST body that is not JSON with 415 before reading it."""
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type != JSON:
                raise HTTPException(415, "Send the request as application/json.")
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
            headers={"Content-Security-Policy": GRAPHIQL_CSP, "Cache-Control": "no-cache"},
        )


def mount_graphql(app: FastAPI, *, path: str = GRAPHQL_PATH) -> None:
    """Serve the API at ``path`` and GraphiQL's files below it, with a fresh schema."""
    assets_path = path + ASSETS_SUFFIX
    app.mount(assets_path, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")
    app.include_router(TonearmGraphQLRouter(build_schema(), assets_path=assets_path), prefix=path)
