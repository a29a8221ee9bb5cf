"""One PostgreSQL cluster and one redis-server per run, also under ``pytest -n 2`` (xdist).

Without xdist the session fixtures in ``tests/conftest.py`` and ``tests/transcoding/conftest.py``
start each server the first time a test needs it. With xdist each worker is a process of
its own, so session fixtures would start one server per worker; instead the controller
starts both before the workers exist, hands their addresses to each worker
(``workerinput``), and stops them once every worker has finished. Workers keep apart by
name: each clones its own template database and uses its own Redis database number.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any

import pytest

from tests.support.postgres import temporary_cluster
from tests.support.redis import temporary_redis

_KEY = "tonearm_run_services"
_stack = pytest.StashKey[ExitStack]()
_services = pytest.StashKey[dict[str, str]]()


def _backends() -> list[str]:
    return [b for b in os.environ.get("TONEARM_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the xdist controller, start the servers before the workers (xdist's hook runs last)."""
    config = session.config
    if not config.pluginmanager.has_plugin("dsession"):
        return  # no xdist, or a worker: the session fixtures start what is needed
    stack = ExitStack()
    config.stash[_stack] = stack
    services: dict[str, str] = {"redis_url": stack.enter_context(temporary_redis())}
    if "postgresql" in _backends():
        services["postgres_socket"] = stack.enter_context(temporary_cluster())
    config.stash[_services] = services


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker where the run's servers are."""
    node.workerinput[_KEY] = node.config.stash.get(_services, {})


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the servers the controller started (after every worker is done)."""
    stack = config.stash.get(_stack, None)
    if stack is not None:
        stack.close()


def shared_service(config: pytest.Config, name: str) -> str | None:
    """The address the xdist controller started for ``name``; None outside xdist."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    value: str | None = workerinput.get(_KEY, {}).get(name)
    return value


def worker_number(config: pytest.Config) -> int:
    """0 outside xdist, else N for worker ``gwN``."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        return 0
    return int(str(workerinput["workerid"]).removeprefix("gw"))
