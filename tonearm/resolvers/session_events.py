"""``sessionEvents``: a member's live view of a session's log.

The subscriber replays the log after ``afterSequence`` (none: only what comes next), then
goes live on this worker's shared reader of the session (``sessions.hub``), skipping what it
already delivered, so a reconnect neither misses nor repeats an event. While it runs the
member is online (heartbeats every 20 s); it ends after the ENDED event, or once a MEMBERS
event no longer lists the member (they left or were removed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from tonearm.resolvers.sessions import (
    caller_of,
    rendering,
    session_id_argument,
    session_runtime,
)
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.session_types import Rendering, SessionEvent
from tonearm.sessions import service
from tonearm.sessions.errors import Missing
from tonearm.sessions.hub import LoggedEvent, SessionHub
from tonearm.sessions.rules import MAX_EVENTS_PAGE, EventKind, SessionStatus

Info = strawberry.Info[Context, None]


def _event(event: LoggedEvent, shown: Rendering) -> SessionEvent:
    """The GraphQL event of a logged one, built once per worker for all its subscribers."""
    built = event.shared.get("event")
    if not isinstance(built, SessionEvent):
        built = SessionEvent.from_log(event.sequence, event.kind, event.at_ms, event.payload, shown)
        event.shared["event"] = built
    return built


def _lists_member(event: LoggedEvent, member_hex: str) -> bool:
    """Whether a MEMBERS event still lists the member (other kinds: True)."""
    if event.kind != EventKind.MEMBERS.value:
        return True
    return any(member.get("id") == member_hex for member in event.payload.get("members", []))


async def _ends_for(info: Info, event: LoggedEvent, member_hex: str) -> bool:
    """Whether the subscription stops after delivering ``event``: the session ended, or the
    member is gone (a MEMBERS event without them — replayed ones from before they joined
    too, so the membership is checked afresh then)."""
    if event.kind == EventKind.ENDED.value:
        return True
    if _lists_member(event, member_hex):
        return False
    async with info.context.db() as db:
        found = await service.find_for_caller(db, caller_of(info.context), event.session_id)
    return found is None or found[1].id.hex != member_hex


async def resolve_session_events(
    info: Info, session_id: strawberry.ID, after_sequence: int | None = None
) -> AsyncGenerator[SessionEvent, None]:
    """The session's events as they happen (members only; a stranger: NOT_FOUND)."""
    sid = session_id_argument(session_id)
    if after_sequence is not None and after_sequence < 0:
        raise api_error(ErrorCode.BAD_USER_INPUT, "afterSequence must be at least 0.")
    caller = caller_of(info.context)
    async with info.context.db() as db:
        found = await service.find_for_caller(db, caller, sid)
    if found is None:
        raise api_error(ErrorCode.NOT_FOUND, Missing.SESSION.value)
    record, member = found
    hub = session_runtime(info.context.services).hub
    shown = rendering(info, sid)
    if record.status != SessionStatus.ACTIVE.value:
        # Ended: a reconnect gets the rest of the log (the ENDED event last); nothing is live.
        if after_sequence is None:
            raise api_error(ErrorCode.SESSION_ENDED, "This listening session has ended.")
        for event in await hub.read_log(sid, after_sequence, MAX_EVENTS_PAGE):
            yield _event(event, shown)
        return
    async with hub.listen(sid) as live:
        last = after_sequence if after_sequence is not None else await hub.current_sequence(sid)
        async with hub.presence(sid, member.id):
            async for event in _in_order(hub, sid, live, last):
                yield _event(event, shown)
                if await _ends_for(info, event, member.id.hex):
                    return


async def _in_order(
    hub: SessionHub, session_id: uuid.UUID, live: asyncio.Queue[LoggedEvent], last: int
) -> AsyncIterator[LoggedEvent]:
    """The log after ``last``, then the live events, each sequence exactly once and in
    order (a gap in the live ones is filled from the log)."""
    while True:  # the replay, in pages
        events = await hub.read_log(session_id, last, MAX_EVENTS_PAGE)
        for event in events:
            last = event.sequence
            yield event
        if len(events) < MAX_EVENTS_PAGE:
            break
    while True:
        event = await live.get()
        if event.sequence <= last:
            continue
        if event.sequence > last + 1:
            for missed in await hub.read_log(session_id, last, event.sequence - last - 1):
                last = missed.sequence
                yield missed
        last = event.sequence
        yield event
