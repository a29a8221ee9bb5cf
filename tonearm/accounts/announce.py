"""Telling every process that a user lost access (disabled, password reset), so their
WebSockets close at once (``schema/sockets.py``). Publish after the commit."""

from __future__ import annotations

import uuid

from tonearm.pubsub.bus import Bus
from tonearm.pubsub.channels import ACCOUNTS, user_gone


async def announce_access_lost(bus: Bus, user_id: uuid.UUID) -> None:
    """Publish on ``ACCOUNTS`` that ``user_id``'s sockets must close."""
    await bus.publish(ACCOUNTS, user_gone(user_id))
