"""Shared fixtures: a migrated database per test on SQLite *and* PostgreSQL, generated audio.

PostgreSQL runs as one throwaway cluster per test run (see ``support/postgres.py``); each
test gets its own database cloned from a template migrated once. Set
``TONEARM_TEST_BACKENDS=sqlite`` to run only the SQLite half while iterating.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

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
    """Dispose the engine of every app a test builds.

    In-process clients (``httpx.ASGITransport``) do not run the app's lifespan, whose exit
    would dispose it; left to the garbage collector, pooled connections warn
    (``ResourceWarning``), and warnings are errors in this suite.
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
    for services in built:
        await services.engine.dispose()
