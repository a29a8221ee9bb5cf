"""tonearm with the GraphQL flat-field fast path off: every field through graphql-core.

Served by granian next to the real server in ``benchmarks/graphql_api.py`` so the fast path
is measured against the execution it replaces, in the same run.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from tonearm.app import create_app_from_environment
from tonearm.schema import router
from tonearm.schema.build import build_schema


def create_app() -> FastAPI:
    """The app of ``create_app_from_environment`` with a schema built ``fast_path=False``."""
    router.build_schema = partial(build_schema, fast_path=False)  # type: ignore[assignment]
    return create_app_from_environment()
