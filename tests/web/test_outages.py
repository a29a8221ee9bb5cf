"""A database that cannot be reached: every surface answers 503 with ``Retry-After`` (GraphQL:
``SERVICE_UNAVAILABLE``), logs one line without a traceback, and other errors stay 500s.

In process, on a SQLite file that cannot be opened (its folder is not there); the real
PostgreSQL restart under load is tests/replicas/test_postgres_restart.py."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.requests import Request

from tonearm.app import create_app
from tonearm.db.outages import UNAVAILABLE_MESSAGE, database_unavailable, log_failure
from tonearm.schema.context import get_context
from tonearm.services import build_services
from tonearm.settings import Settings
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url

TRACK = uuid.UUID("00000000-0000-0000-0000-000000000001")
UNAVAILABLE = b'{"error":"database_unavailable"}'


@pytest.fixture
async def client(
    make_settings: Callable[..., Settings], tmp_path: Path, media_root: Path
) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'not-there' / 'tonearm.db'}"
    app = create_app(make_settings(database_url=url, media_root=media_root))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tonearm.test") as http:
        yield http


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"


async def test_a_stream_request_is_a_503(
    client: httpx.AsyncClient, make_settings: Callable[..., Settings]
) -> None:
    token = StreamSigner(make_settings().signing_keys(), 60).mint(TRACK, user_id=uuid.uuid4())

    response = await client.get(stream_url(TRACK, token.token))

    _assert_unavailable(response)
    assert response.content == UNAVAILABLE


async def test_a_graphql_request_whose_viewer_cannot_be_read_is_a_graphql_503(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ library { trackCount } }"},
        headers={"Authorization": "Bearer tnrm_whatever"},
    )

    _assert_unavailable(response)
    assert response.json() == {
        "errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}]
    }


async def test_a_resolver_meeting_the_outage_answers_service_unavailable(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    login = 'mutation { login(username: "a", password: "b") { __typename } }'

    with caplog.at_level(logging.WARNING):
        response = await client.post(
            "/graphql", json={"query": login}, headers={"Origin": "http://tonearm.test"}
        )

    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": UNAVAILABLE_MESSAGE,
                "locations": [{"line": 1, "column": 12}],
                "path": ["login"],
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ],
    }
    records = [r for r in caplog.records if r.name == "tonearm.web.outages"]
    assert [r.getMessage() for r in records] == [
        "GraphQL operation at ['login']: database unavailable "
        "(OperationalError: unable to open database file)"
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_a_tus_upload_is_a_503(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/uploads",
        headers={
            "Authorization": "Bearer tnrm_whatever",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
        },
    )

    _assert_unavailable(response)
    assert response.content == UNAVAILABLE


async def test_the_health_check_says_unreachable(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def _raise_in_here() -> None:
    raise FileNotFoundError(2, "No such file or directory")


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: tracks"), False),
        (
            sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")),
            True,
        ),
        (sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (
            sa_exc.DBAPIError("SELECT 1", {}, Exception("syntax"), connection_invalidated=False),
            False,
        ),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (ValueError("not a database error"), False),
    ],
)
def test_which_errors_are_an_outage(error: BaseException, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable


class _Driver(Exception):
    sqlstate = "57P03"  # cannot_connect_now: the server is starting up


def test_a_server_starting_up_is_an_outage_and_a_file_error_of_ours_is_not() -> None:
    wrapped = sa_exc.DBAPIError("SELECT 1", {}, _Driver("starting up"))
    try:
        _raise_in_here()
    except FileNotFoundError as error:
        ours = error

    assert database_unavailable(wrapped)
    assert not database_unavailable(ours)


async def test_background_work_logs_an_outage_in_one_line_and_a_bug_with_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'not-there' / 'tonearm.db'}")
    try:
        with pytest.raises(sa_exc.OperationalError) as outage:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    logger = logging.getLogger("tonearm.test.background")

    with caplog.at_level(logging.WARNING, logger=logger.name):
        log_failure(logger, outage.value, "session %s: heartbeat failed", "s-1")
        log_failure(logger, ValueError("a bug"), "session %s: heartbeat failed", "s-1")

    first, second = caplog.records
    assert first.levelno == logging.WARNING
    assert first.getMessage() == (
        "session s-1: heartbeat failed: database unavailable "
        "(OperationalError: unable to open database file)"
    )
    assert first.exc_info is None
    assert second.levelno == logging.ERROR
    assert second.getMessage() == "session s-1: heartbeat failed"
    assert second.exc_info is not None
    assert isinstance(second.exc_info[1], ValueError)


async def test_a_request_whose_database_goes_away_after_its_answer_ends_in_one_line(
    backend: str,
    database_url_for_test: str,
    make_settings: Callable[..., Settings],
    media_root: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The GraphQL context's session is closed after the response went out (FastAPI runs a
    dependency's exit then): an outage there must not raise, which would be a traceback."""
    if backend != "postgresql":
        pytest.skip("a server that drops the connection is PostgreSQL's case")
    services = build_services(
        make_settings(database_url=database_url_for_test, media_root=media_root)
    )
    app = SimpleNamespace(state=SimpleNamespace(services=services))
    request = Request({"type": "http", "app": app, "headers": [], "method": "POST", "path": "/"})
    try:
        contexts = get_context(request)
        context = await anext(contexts)
        async with context.db() as session:  # a resolver's read: the transaction stays open
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(database_url_for_test.replace("+asyncpg", ""))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()

        with caplog.at_level(logging.WARNING), pytest.raises(StopAsyncIteration):
            await anext(contexts)  # the response has gone out; FastAPI ends the dependency
    finally:
        await services.engine.dispose()
    records = [r for r in caplog.records if r.name == "tonearm.schema.context"]
    assert len(records) == 1
    assert (
        records[0]
        .getMessage()
        .startswith("closing a request's database session: database unavailable (")
    )
    assert all(r.exc_info is None for r in caplog.records)
