"""Sparse position keys: midpoints, ends, and the rare one-statement renumber."""

from __future__ import annotations

import random
import uuid

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader
from tonearm.db.models import PlaylistItemRecord
from tonearm.playlists import service
from tonearm.playlists.positions import GAP, KEY_MAX, keys_between


def test_keys_between_ends_and_midpoints() -> None:
    assert keys_between(None, None, 3) == [GAP, 2 * GAP, 3 * GAP]
    assert keys_between(GAP, None, 2) == [2 * GAP, 3 * GAP]
    assert keys_between(None, GAP, 2) == [-GAP, 0]
    assert keys_between(0, 8, 1) == [4]
    assert keys_between(0, 9, 2) == [3, 6]
    assert keys_between(0, 1, 1) is None
    assert keys_between(0, 2, 1) == [1]
    assert keys_between(0, 3, 3) is None
    assert keys_between(KEY_MAX - GAP, None, 2) is None
    assert keys_between(5, 6, 0) == []


async def _order(session: AsyncSession, playlist_id: uuid.UUID) -> list[uuid.UUID]:
    item = PlaylistItemRecord
    statement = select(item.id).where(item.playlist_id == playlist_id).order_by(item.position)
    return list((await session.scalars(statement)).all())


async def _keys(session: AsyncSession, playlist_id: uuid.UUID) -> list[int]:
    item = PlaylistItemRecord
    statement = select(item.position).where(item.playlist_id == playlist_id).order_by(item.position)
    return list((await session.scalars(statement)).all())


def _renumbers(statements: list[str]) -> int:
    return sum(
        "row_number()" in s.lower() and s.lstrip().upper().startswith("UPDATE") for s in statements
    )


async def test_inserting_at_one_spot_renumbers_once_when_the_gap_is_used_up(
    session: AsyncSession, reader: Reader, tracks: list[uuid.UUID], statements: list[str]
) -> None:
    playlist = await service.create_playlist(session, reader=reader, name="p")
    await service.add_to_playlist(
        session, reader=reader, playlist_id=playlist.id, track_ids=tracks[:2]
    )
    expected = [tracks[0], tracks[1]]
    statements.clear()
    for round_ in range(40):
        chosen = tracks[2 + round_ % 8]
        await service.add_to_playlist(
            session, reader=reader, playlist_id=playlist.id, track_ids=[chosen], position=1
        )
        expected.insert(1, chosen)
    await session.commit()
    # 2^32 halves 32 times before two neighbours touch: exactly one renumber in 40 inserts.
    assert _renumbers(statements) == 1
    item = PlaylistItemRecord
    rows = (
        await session.execute(
            select(item.track_id).where(item.playlist_id == playlist.id).order_by(item.position)
        )
    ).all()
    assert [row[0] for row in rows] == expected
    keys = await _keys(session, playlist.id)
    assert len(set(keys)) == len(keys) == 42


async def test_random_inserts_moves_and_removals_keep_a_model_order(
    session: AsyncSession, reader: Reader, tracks: list[uuid.UUID], statements: list[str]
) -> None:
    rng = random.Random(13)
    playlist = await service.create_playlist(session, reader=reader, name="p")
    await service.add_to_playlist(
        session, reader=reader, playlist_id=playlist.id, track_ids=tracks * 3
    )
    model = await _order(session, playlist.id)
    statements.clear()
    for step in range(150):
        action = rng.random()
        if action < 0.6:
            item_id = rng.choice(model)
            # Moving to the same few spots again and again wears a gap out.
            target = rng.choice([0, 1, len(model) - 1, rng.randrange(len(model))])
            await service.move_playlist_item(
                session, reader=reader, playlist_id=playlist.id, item_id=item_id, to_position=target
            )
            model.remove(item_id)
            model.insert(target, item_id)
        elif action < 0.85:
            at = rng.randrange(len(model) + 1)
            before = set(await _order(session, playlist.id))
            await service.add_to_playlist(
                session,
                reader=reader,
                playlist_id=playlist.id,
                track_ids=[tracks[step % 10]],
                position=at,
            )
            (new,) = set(await _order(session, playlist.id)) - before
            model.insert(at, new)
        elif len(model) > 5:
            item_id = model.pop(rng.randrange(len(model)))
            await service.remove_from_playlist(
                session, reader=reader, playlist_id=playlist.id, item_ids=[item_id]
            )
        assert await _order(session, playlist.id) == model, step
    await session.commit()


async def test_moving_to_one_spot_renumbers_once_when_the_gap_is_used_up(
    session: AsyncSession, reader: Reader, tracks: list[uuid.UUID], statements: list[str]
) -> None:
    playlist = await service.create_playlist(session, reader=reader, name="p")
    await service.add_to_playlist(
        session, reader=reader, playlist_id=playlist.id, track_ids=tracks * 5
    )
    model = await _order(session, playlist.id)
    statements.clear()
    for _ in range(40):
        last = model.pop()
        await service.move_playlist_item(
            session, reader=reader, playlist_id=playlist.id, item_id=last, to_position=1
        )
        model.insert(1, last)
    assert _renumbers(statements) == 1
    assert await _order(session, playlist.id) == model


async def test_a_move_changes_one_row(
    session: AsyncSession, reader: Reader, tracks: list[uuid.UUID], statements: list[str]
) -> None:
    playlist = await service.create_playlist(session, reader=reader, name="p")
    await service.add_to_playlist(session, reader=reader, playlist_id=playlist.id, track_ids=tracks)
    order = await _order(session, playlist.id)
    statements.clear()
    await service.move_playlist_item(
        session, reader=reader, playlist_id=playlist.id, item_id=order[0], to_position=5
    )
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE PLAYLIST_ITEMS")]
    assert len(updates) == 1
    assert (await _order(session, playlist.id))[5] == order[0]


async def test_the_item_cap(session: AsyncSession, reader: Reader, tracks: list[uuid.UUID]) -> None:
    playlist = await service.create_playlist(session, reader=reader, name="p")
    await session.execute(
        insert(PlaylistItemRecord),
        [
            {"id": uuid.uuid4(), "playlist_id": playlist.id, "track_id": tracks[0], "position": n}
            for n in range(49_999)
        ],
    )
    await service.add_to_playlist(
        session, reader=reader, playlist_id=playlist.id, track_ids=[tracks[1]]
    )
    with pytest.raises(service.PlaylistTooLong) as refused:
        await service.add_to_playlist(
            session, reader=reader, playlist_id=playlist.id, track_ids=[tracks[0]]
        )
    assert refused.value.limit == 50_000
    assert await service.item_count(session, playlist.id) == 50_000
