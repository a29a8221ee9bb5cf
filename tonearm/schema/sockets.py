"""GraphQL over WebSocket (``graphql-transport-ws``): who a socket is, one context per
operation, and closing the sockets of someone who lost access.

A socket authenticates like an HTTP request, once, when its ``connection_init`` arrives:
``{"authorization": "Bearer <api token | tgs_ guest token>"}`` in the payload wins; else
the session cookie of the handshake counts when its ``Origin`` is allowed (the rule of
cookie-borne mutations, so a hostile page cannot ride a listener's cookie); else the socket
is anonymous (public fields such as ``serverTime`` answer, the rest say
``UNAUTHENTICATED``). A token that names nobody closes the socket with 4403.

A socket with a viewer or a guest then watches ``ACCOUNTS``: a message naming its user
(``{"user": hex}``) or its guest membership (``{"member": hex}``) closes it with 4403 at
once, and every ``RECHECK_SECONDS`` its credentials are resolved again (a disabled account,
an ended browser session, a revoked token, a guest who left), so a missed message costs at
most that long.

Closing from another task. The watch, Strawberry's 4408 ``connection_init`` timeout and an
operation whose document does not parse all close the socket from a task other than the
handler's, which meanwhile waits in ``receive``. The ASGI contract leaves it to the server
whether a ``websocket.close`` sent while another ``receive`` is pending goes out, and
granian's does not: its ``receive`` holds the connection's read half locked until the
client sends something, and its ``close`` needs that lock before it writes the close frame,
so the frame waits for the client's next message (forever, for a quiet client).
``OwnerClosingWebSocketAdapter`` therefore closes only from the task that reads: another
task's ``close`` asks for it, the reader cancels its pending ``receive`` (granian drops the
lock when the awaitable is cancelled), sends the close and wakes the asker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import suppress
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any

from graphql import GraphQLSyntaxError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,  # Strawberry is pinned exactly (pyproject.toml)
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
)
from strawberry.utils.aio import aclosing

from tonearm.db.outages import log_failure
from tonearm.pubsub.channels import ACCOUNTS, closes_socket_of
from tonearm.schema.context import Context, bearer_guest, credentials_viewer, reader_of
from tonearm.web.credentials import origin_allowed, session_cookie

logger = logging.getLogger("tonearm.websocket")

FORBIDDEN_CLOSE = 4403  # the protocol's "Forbidden"
RECHECK_SECONDS = 15.0  # a disabled account's sockets close within this even unannounced
AUTHORIZATION_KEY = "authorization"
MAX_CLOSE_REASON_BYTES = 123


class OwnerClosingWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's ASGI WebSocket adapter whose ``close`` always happens in the task that
    reads the socket (see the module's docstring): from any other task it is a request the
    reader carries out between two messages or by cancelling the ``receive`` it waits in."""

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any],
        request: WebSocket,
        response: WebSocket,
    ) -> None:
        super().__init__(view, request, response)
        self._reader: asyncio.Task[Any] | None = None
        self._close_wanted: asyncio.Future[tuple[int, str]] | None = None
        self._closed = asyncio.Event()

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """Each text message as JSON, until the socket closes or another task closes it."""
        self._reader = asyncio.current_task()
        wanted = self._close_wanted = asyncio.get_running_loop().create_future()
        receive: asyncio.Future[str] | None = None
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                if not wanted.done():
                    receive = asyncio.ensure_future(self.ws.receive_text())
                    await asyncio.wait((receive, wanted), return_when=asyncio.FIRST_COMPLETED)
                    if receive.done():
                        text, receive = receive.result(), None
                        try:
                            yield self.view.decode_json(text)
                        except JSONDecodeError as error:
                            if not ignore_parsing_errors:
                                raise NonJsonMessageReceived from error
                        continue
                    await _cancelled(receive)
                    receive = None
                await self._close_now(*wanted.result())
                return
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass
        finally:
            if receive is not None:
                await _cancelled(receive)
            self._reader = None
            wanted.cancel()
            self._closed.set()

    async def close(self, code: int, reason: str) -> None:
        """Close the socket now from the reading task (or while nobody reads), else ask the
        reader to and wait until it did."""
        wanted, reader = self._close_wanted, self._reader
        if reader is None or reader is asyncio.current_task() or wanted is None:
            await self._close_now(code, reason)
            return
        if not wanted.done():
            wanted.set_result((code, reason))
        await self._closed.wait()

    async def _close_now(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return  # closed already (by the client, or by an earlier close)
        # A close frame's reason is at most 123 bytes (RFC 6455, 5.5): a long message
        # (a syntax error's) is cut at a character boundary rather than failing the close.
        fitted = reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")
        await super().close(code, fitted)


async def _cancelled(future: asyncio.Future[Any]) -> None:
    """Cancel ``future`` and wait until it has let go of what it held."""
    future.cancel()
    with suppress(asyncio.CancelledError, Exception):
        await future


class _BadToken(Exception):
    """The payload's authorization is not a bearer token that names anybody."""


@dataclass(frozen=True, slots=True)
class SocketCredentials:
    """What a socket proved itself with: a bearer token from the payload or the cookie."""

    bearer: str | None
    cookie: str | None

    @property
    def present(self) -> bool:
        """Whether the socket sent any credentials at all."""
        return self.bearer is not None or self.cookie is not None


def socket_credentials(context: Context, payload: dict[str, Any]) -> SocketCredentials:
    """The credentials of a socket's ``connection_init`` payload, else its cookie (only
    when the handshake's ``Origin`` is allowed); raises ``_BadToken`` for an
    ``authorization`` that is not ``Bearer <token>``."""
    # Any case, as an HTTP header name: GraphiQL sends its Headers tab here as typed.
    keys = [key for key in payload if isinstance(key, str) and key.lower() == AUTHORIZATION_KEY]
    if keys:
        value = payload[keys[0]]
        if len(keys) > 1 or not isinstance(value, str):
            raise _BadToken
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _BadToken
        return SocketCredentials(bearer=token.strip(), cookie=None)
    connection = context.connection
    if origin_allowed(connection, context.services.settings.cors_origins):
        return SocketCredentials(bearer=None, cookie=session_cookie(connection))
    return SocketCredentials(bearer=None, cookie=None)


async def authenticate(context: Context, credentials: SocketCredentials) -> bool:
    """Set the context's viewer (or guest) from ``credentials``; False when a bearer token
    names nobody (the socket must close)."""
    services = context.services
    async with services.sessions() as session:
        viewer = await credentials_viewer(
            services, session, bearer=credentials.bearer, cookie=credentials.cookie
        )
        guest = await bearer_guest(session, credentials.bearer) if viewer is None else None
    context.viewer, context.guest = viewer, guest
    context.reader = reader_of(viewer)
    return credentials.bearer is None or viewer is not None or guest is not None


async def still_allowed(context: Context, credentials: SocketCredentials) -> bool:
    """Whether the socket's credentials still name the same user (enabled) or guest."""
    services = context.services
    async with services.sessions() as session:
        viewer = await credentials_viewer(
            services, session, bearer=credentials.bearer, cookie=credentials.cookie
        )
        if context.viewer is not None:
            return viewer is not None and viewer.user_id == context.viewer.user_id
        guest = await bearer_guest(session, credentials.bearer)
    return guest is not None and context.guest is not None and guest == context.guest


async def on_connect(context: Context) -> None:
    """``on_ws_connect``: authenticate the socket or refuse it (4403)."""
    payload = context.connection_params
    if not isinstance(payload, dict):
        payload = {}
    try:
        credentials = socket_credentials(context, payload)
    except _BadToken:
        raise ConnectionRejectionError from None
    if not await authenticate(context, credentials):
        raise ConnectionRejectionError
    context.socket_credentials = credentials


class TonearmTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's ``graphql-transport-ws`` handler with a context per operation and the
    watch that closes the socket of someone who lost access."""

    _watch: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """Acknowledge (or refuse) as Strawberry does, then start the access watch."""
        await super().handle_connection_init(message)
        context = self.context
        if self.connection_acknowledged and (
            context.viewer is not None or context.guest is not None
        ):
            credentials = getattr(context, "socket_credentials", None)
            if isinstance(credentials, SocketCredentials) and credentials.present:
                self._watch = asyncio.create_task(self._watch_access(credentials))

    async def _watch_access(self, credentials: SocketCredentials) -> None:
        context = self.context
        user_id = context.viewer.user_id if context.viewer is not None else None
        member_id = context.guest.member_id if context.guest is not None else None
        try:
            async with context.services.bus.subscribe(ACCOUNTS) as messages:
                while True:
                    try:
                        message = await asyncio.wait_for(messages.get(), RECHECK_SECONDS)
                    except TimeoutError:
                        if not await still_allowed(context, credentials):
                            break
                        continue
                    if closes_socket_of(message, user_id=user_id, member_id=member_id):
                        break
            await self.websocket.close(code=FORBIDDEN_CLOSE, reason="Forbidden")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log_failure(logger, error, "the access watch of a WebSocket failed")

    async def shutdown(self) -> None:
        """Stop the access watch, then Strawberry's shutdown of the operations."""
        if self._watch is not None:
            self._watch.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._watch
        await super().shutdown()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's ``run_operation`` with a fresh context (DataLoaders, short
        database sessions) for each operation instead of the connection's, and a document
        that does not parse closing the socket with 4400 as the protocol says (Strawberry
        does that only when the parse fails inside its own try, not in ``ParserCache``'s
        hook, where ours fails)."""
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context.for_operation(),
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except _OperationStreamClosed:
            return
        except GraphQLSyntaxError as error:
            self.operations.pop(operation.id, None)
            await self.websocket.close(code=4400, reason=error.message)
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
