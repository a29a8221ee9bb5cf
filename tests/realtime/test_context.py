"""The WebSocket side of the GraphQL context: one context per operation, with its own
DataLoaders, and a database session per ``db()`` block instead of one per connection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import text

from tonearm.schema.context import Context
from tonearm.schema.sockets import SocketCredentials, _BadToken, socket_credentials
from tonearm.services import build_services
from tonearm.settings import Settings


async def test_each_operation_gets_its_own_loaders_and_short_sessions(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> None:
    settings = make_settings(database_url=database_url_for_test, media_root=media_root)
    services = build_services(settings)
    try:
        connection = Context(services=services, session=None, viewer=None)
        first, second = connection.for_operation(), connection.for_operation()
        assert first.track_loader is not second.track_loader
        assert first.album_loader is not connection.album_loader
        async with first.db() as one, first.db() as two:
            # Concurrent blocks of one operation: separate sessions, no lock to wait for.
            assert one is not two
            assert await one.scalar(text("SELECT 1")) == 1
        assert not one.in_transaction()  # closed at the block's end: no connection held
    finally:
        await services.engine.dispose()


@pytest.mark.parametrize("key", ["authorization", "Authorization", "AUTHORIZATION"])
def test_the_payload_authorization_is_read_in_any_case(key: str) -> None:
    # GraphiQL sends its Headers tab as typed, usually "Authorization".
    credentials = socket_credentials(cast(Context, None), {key: "Bearer tnrm_x"})
    assert credentials == SocketCredentials(bearer="tnrm_x", cookie=None)


def test_two_authorizations_that_differ_only_in_case_are_refused() -> None:
    with pytest.raises(_BadToken):
        socket_credentials(
            cast(Context, None), {"authorization": "Bearer a", "Authorization": "Bearer b"}
        )
