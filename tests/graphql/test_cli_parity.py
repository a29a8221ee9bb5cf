"""The ``tonearm user`` commands and the GraphQL user management run the same domain code.

Each pair below is one action done both ways; a recording wrapper around the domain
function (which still does the real work) must see both calls. A command or resolver that
grew its own copy of a rule would fail here.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.test_accounts import ORIGIN
from tests.support.accounts import PASSWORD, make_user
from tonearm.accounts import users
from tonearm.cli import build_parser
from tonearm.schema.ids import USER_TYPE_NAME, global_id
from tonearm.settings import Settings

CREATE = 'mutation { createUser(input: {username: "dora"}) { __typename } }'
UPDATE = """mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { __typename } }"""
RESET = "mutation($id: ID!) { resetUserPassword(id: $id) { __typename } }"
CHANGE = """mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { __typename } }"""

# (domain function, CLI arguments, stdin for the CLI, GraphQL document, variables, as whom)
PAIRS: list[tuple[str, list[str], str, str, dict[str, Any], str]] = [
    ("create_user", ["user", "add", "erin"], "erins own password\n", CREATE, {}, "admin"),
    (
        "update_user",
        ["user", "disable", "listener"],
        "",
        UPDATE,
        {"input": {"disabled": True}},
        "admin",
    ),
    (
        "update_user",
        ["user", "role", "listener", "admin"],
        "",
        UPDATE,
        {"input": {"role": "ADMIN"}},
        "admin",
    ),
    (
        "update_user",
        ["user", "set", "listener", "--can-upload"],
        "",
        UPDATE,
        {"input": {"canUpload": True}},
        "admin",
    ),
    ("reset_password", ["user", "reset", "listener"], "", RESET, {}, "admin"),
    (
        "set_password",
        ["user", "passwd", "listener"],
        "a brand new password\n",
        CHANGE,
        {"c": PASSWORD, "n": "my-very-own-password"},
        "listener",
    ),
    ("list_users", ["user", "list"], "", "{ users { id } }", {}, "admin"),
]


def run_cli(arguments: list[str], stdin: str) -> int:
    """One ``tonearm`` command in this process (the parser and handler ``main`` uses)."""
    sys.stdin = io.StringIO(stdin)
    try:
        args = build_parser().parse_args(arguments)
        handler: Callable[[Any], int] = args.handler
        return handler(args)
    finally:
        sys.stdin = sys.__stdin__


@pytest.mark.parametrize(
    ("function", "arguments", "stdin", "document", "variables", "caller"),
    PAIRS,
    ids=[f"{pair[0]}:{pair[1][1]}" for pair in PAIRS],
)
async def test_cli_and_graphql_call_the_same_domain_function(  # noqa: PLR0917
    function: str,
    arguments: list[str],
    stdin: str,
    document: str,
    variables: dict[str, Any],
    caller: str,
    gql: Gql,
    anonymous: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener = await make_user(engine, "listener")
    await make_user(engine, "second-admin", users.Role.ADMIN)  # so demoting is allowed
    monkeypatch.setenv("TONEARM_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONEARM_DATA_DIR", str(settings.data_dir))
    calls: list[str] = []
    original: Callable[..., Awaitable[Any]] = getattr(users, function)

    async def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append("call")
        return await original(*args, **kwargs)

    monkeypatch.setattr(users, function, recording)
    variables = {"id": global_id(USER_TYPE_NAME, listener.record.id), **variables}

    if caller == "admin":
        body = await gql(document, variables)
    else:
        response = await anonymous.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"authorization": f"Bearer {listener.token}", "origin": ORIGIN},
        )
        body = response.json()
    via_graphql = len(calls)
    status = await asyncio.to_thread(run_cli, arguments, stdin)

    assert "errors" not in body, body
    assert status == 0
    assert via_graphql >= 1, f"the GraphQL operation did not call users.{function}"
    assert len(calls) > via_graphql, f"`tonearm {' '.join(arguments)}` did not call it"
