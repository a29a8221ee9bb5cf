"""``serverTime``: the server's clock for NTP-style offset estimates (public, no database)."""

from __future__ import annotations

import math
import time

import strawberry

from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.event_types import ServerTime


def resolve_server_time(info: strawberry.Info[Context, None], client_sent_at: float) -> ServerTime:
    """Echo the client's time with the server's receive and send times (ms)."""
    if not math.isfinite(client_sent_at):
        raise api_error(ErrorCode.BAD_USER_INPUT, "clientSentAt must be a finite number of ms.")
    return ServerTime(
        client_sent_at=client_sent_at,
        server_received_at=info.context.received_at_ms,
        server_sent_at=time.time() * 1000,
    )
