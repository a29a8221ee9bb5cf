"""Sparse position keys of ordered items (playlist items, a listening session's queue):
inserts and moves touch only the rows they move.

Items sort by ``position``, a BIGINT unique within their list (a playlist, a session).
Appended items get keys ``GAP`` (2^32) apart; an item put between two neighbours gets their
midpoint (several at once share the gap evenly). Only when no integer fits between two
neighbours is the whole list renumbered, in one statement (``renumber``): keys ``GAP, 2·GAP,
…`` again. With a gap of 2^32 that takes ~32 inserts at the very same spot, so it is rare.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import PlaylistItemRecord

GAP = 2**32
KEY_MIN, KEY_MAX = -(2**63) + 1, 2**63 - 1


def keys_between(before: int | None, after: int | None, count: int) -> list[int] | None:
    """``count`` increasing keys strictly between ``before`` and ``after`` (None: open end).

    None when they do not fit (the playlist must be renumbered first).
    """
    if count <= 0:
        return []
    if before is None and after is None:
        return [GAP * (index + 1) for index in range(count)]
    if after is None:
        assert before is not None
        last = before + GAP * count
        return None if last > KEY_MAX else [before + GAP * (i + 1) for i in range(count)]
    if before is None:
        first = after - GAP * count
        return None if first < KEY_MIN else [first + GAP * i for i in range(count)]
    step = (after - before) // (count + 1)
    if step < 1:
        return None
    return [before + step * (index + 1) for index in range(count)]


async def renumber(
    session: AsyncSession,
    list_id: uuid.UUID,
    *,
    item: Any = PlaylistItemRecord,
    list_column: str = "playlist_id",
) -> None:
    """Give the items of one list keys ``GAP`` apart again, keeping their order.

    ``item`` is the mapped class of the items (with ``id`` and ``position``) and
    ``list_column`` the name of its column naming the list (a playlist's items by default;
    a session's queue is ``SessionQueueItemRecord`` by ``session_id``).

    One ``UPDATE … FROM`` over a window (so both databases compute every rank before any row
    changes). Unique keys are checked row by row, so the new keys must avoid every old one:
    ``GAP·n`` when that whole range lies outside the old keys, else above the largest.
    """
    ranked = (
        select(
            item.id.label("item_id"),
            func.row_number().over(order_by=item.position).label("n"),
            func.count().over().label("total"),
            func.min(item.position).over().label("low"),
            func.max(item.position).over().label("high"),
        )
        .where(getattr(item, list_column) == list_id)
        .subquery("ranked")
    )
    gap = literal(GAP, BigInteger())
    fresh = ranked.c.n * gap
    disjoint = (ranked.c.low > ranked.c.total * gap) | (ranked.c.high < gap)
    statement = (
        update(item)
        .where(item.id == ranked.c.item_id)
        .values(position=case((disjoint, fresh), else_=ranked.c.high + fresh))
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)
