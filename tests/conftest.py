"""Shared fixtures: a migrated database per test on SQLite *and* PostgreSQL, generated audio.

PostgreSQL runs as one throwaway cluster per test run (see ``support/postgres.py``); each
test gets its own database cloned from a template migrated once. Set
``TONEARM_TEST_BACKENDS=sqlite`` to run only the SQLite half while iterating.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.moto import (
    ROOT_ACCESS_KEY,
    ROOT_SECRET_KEY,
    set_authentication,
    temporary_moto,
)
from tests.support.postgres import database_url, temporary_cluster
from tests.support.run_services import (  # the hooks: one cluster and one Redis under xdist too
    pytest_configure_node,  # noqa: F401
    pytest_sessionstart,  # noqa: F401
    pytest_unconfigure,  # noqa: F401
    shared_service,
)
from tonearm.db.engine import create_engine
from tonearm.db.migrations import upgrade_to_head
from tonearm.library.demo import write_demo_library
from tonearm.services import Services
from tonearm.settings import Settings

BACKENDS = [b for b in os.environ.get("TONEARM_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
TEST_SECRET = "test-secret-key-0123456789abcdef"
_database_numbers = itertools.count()
_bucket_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_socket(pytestconfig: pytest.Config) -> Iterator[str]:
    """The socket directory of this run's PostgreSQL cluster."""
    shared = shared_service(pytestconfig, "postgres_socket")
    if shared is not None:
        yield shared
        return
    with temporary_cluster() as socket_dir:
        yield socket_dir


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per run; tests copy it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_socket: str) -> str:
    """A PostgreSQL database migrated to head once per run (per xdist worker); tests clone it."""
    name = f"tonearm_template_{os.getpid()}"
    asyncio.run(_admin(postgres_socket, f'CREATE DATABASE "{name}"'))
    upgrade_to_head(database_url(postgres_socket, name))
    return name


async def _admin(socket_dir: str, statement: str) -> None:
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return str(request.param)


@pytest.fixture
def database_url_for_test(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tonearm.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    socket_dir: str = request.getfixturevalue("postgres_socket")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"tonearm_test_{os.getpid()}_{next(_database_numbers)}"
    asyncio.run(_admin(socket_dir, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield database_url(socket_dir, name)
    asyncio.run(_admin(socket_dir, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url_for_test: str) -> AsyncIterator[AsyncEngine]:
    """An async engine on this test's database."""
    engine = create_engine(database_url_for_test)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo library, generated once per run (treat it as read-only)."""
    root = tmp_path_factory.mktemp("demo-library")
    write_demo_library(root)
    return root


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """An empty media root for one test."""
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build ``Settings`` for a test without reading the environment or a .env file."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "secret_key": TEST_SECRET,
            "frontend_dir": tmp_path / "no-frontend",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture(autouse=True)
async def dispose_app_engines(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Close what every app a test builds leaves running: its session hub, its bus's
    listener and its engine.

    In-process clients (``httpx.ASGITransport``) do not run the app's lifespan, whose exit
    would close them; left behind, pooled connections warn (``ResourceWarning``, and
    warnings are errors in this suite) and a PostgreSQL bus listener keeps reconnecting
    to the dropped test database, logging into later tests' captured output.
    """
    from tonearm import app as app_module

    built: list[Services] = []
    real_build = app_module.build_services

    def build_and_remember(settings: Settings) -> Services:
        services = real_build(settings)
        built.append(services)
        return services

    monkeypatch.setattr(app_module, "build_services", build_and_remember)
    yield
    from tonearm.resolvers.sessions import session_runtime

    for services in built:
        await session_runtime(services).hub.close()
        await services.bus.close()
        await services.storage.close()
        await services.engine.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint URL of this run's S3-compatible server (moto, one per test process)."""
    with temporary_moto() as url:
        yield url


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard AWS variables, set to moto's throwaway account for one test."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ROOT_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ROOT_SECRET_KEY)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def s3_bucket(s3_endpoint: str, s3_credentials: None) -> str:
    """A new, empty bucket of its own for one test."""
    from aiobotocore.session import get_session

    name = f"tonearm-test-{os.getpid()}-{next(_bucket_numbers)}"
    creator = get_session().create_client("s3", region_name="us-east-1", endpoint_url=s3_endpoint)
    async with creator as client:
        await client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(
    make_settings: Callable[..., Settings], s3_endpoint: str, s3_bucket: str
) -> Callable[..., Settings]:
    """``make_settings`` with ``TONEARM_STORAGE=s3`` on this test's bucket (delivery:
    redirect unless overridden). Requests keep the server's default retries: a pooled
    connection that moto closed as it was reused is retried, as in production. Tests of an
    endpoint that is down set ``s3_max_attempts=1`` themselves, so the fault shows at once."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "storage": "s3",
            "s3_endpoint_url": s3_endpoint,
            "s3_bucket": s3_bucket,
            "s3_region": "us-east-1",
        }
        values.update(overrides)
        return make_settings(**values)

    return build


@pytest.fixture
async def reader_keys(s3_endpoint: str, s3_bucket: str) -> AsyncIterator[tuple[str, str]]:
    """An IAM user who may list the bucket but not read or write its objects, and moto's
    authentication turned on for the test (off again after it)."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "*"},
        ],
    }
    name = f"reader-{uuid.uuid4().hex[:8]}"
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "iam", region_name="us-east-1", endpoint_url=s3_endpoint
    ) as iam:
        await iam.create_user(UserName=name)
        await iam.put_user_policy(
            UserName=name, PolicyName="list-only", PolicyDocument=json.dumps(policy)
        )
        created = await iam.create_access_key(UserName=name)
    set_authentication(s3_endpoint, enforced=True)
    try:
        access = created["AccessKey"]
        yield access["AccessKeyId"], access["SecretAccessKey"]
    finally:
        set_authentication(s3_endpoint, enforced=False)
