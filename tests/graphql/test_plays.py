"""Plays over GraphQL: recordPlay's rule and refusals, counters, history, topTracks,
tracks(orderBy: POPULAR); nobody sees another user's listening."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.social_fixtures import (
    OPEN,
    As,
    Library,
    as_user,
    library,
    people,
)
from tests.support.accounts import SignedInUser
from tonearm.db.models import PlayCountRecord, PlayRecord, TrackRecord
from tonearm.social import top as top_module

__all__ = ["as_user", "library", "people"]

RECORD = """mutation($track: ID!, $seconds: Float!, $at: DateTime) {
  recordPlay(trackId: $track, playedSeconds: $seconds, startedAt: $at) {
    __typename
    ... on RecordedPlay { counted play { id startedAt playedSeconds track { title } }
      track { title playCount viewerPlayCount lastPlayedAt } }
    ... on ImplausiblePlayError { message reason }
    ... on TrackNotFoundError { message trackId } } }"""
COUNTS = """query($id: ID!) { track(id: $id) { playCount viewerPlayCount lastPlayedAt } }"""
HISTORY = """query($first: Int, $after: String) { history(first: $first, after: $after) {
  totalCount edges { cursor node { startedAt playedSeconds track { title } } }
  pageInfo { hasNextPage endCursor } } }"""
TOP = """query($period: PlayPeriod!, $scope: PlayScope!, $first: Int) {
  topTracks(period: $period, scope: $scope, first: $first) { playCount track { title } } }"""


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def play(
    as_user: As, user: SignedInUser, track: str, seconds: float, at: str | None = None
) -> dict[str, Any]:
    body = await as_user(user, RECORD, {"track": track, "seconds": seconds, "at": at})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["recordPlay"]
    return result


async def test_a_play_past_half_counts_and_moves_every_counter(
    as_user: As, people: dict[str, SignedInUser], library: Library, engine: AsyncEngine
) -> None:
    alice = people["alice"]
    async with engine.connect() as connection:
        updated_at = await connection.scalar(
            select(TrackRecord.updated_at).where(TrackRecord.id == OPEN)
        )
    at = ago(minutes=10)
    result = await play(as_user, alice, library.open_track, 150.0, at)
    assert result["__typename"] == "RecordedPlay"
    assert result["counted"] is True
    assert result["play"]["playedSeconds"] == 150.0
    assert result["play"]["track"] == {"title": "Opensong"}
    assert datetime.fromisoformat(result["play"]["startedAt"]) == datetime.fromisoformat(at)
    assert result["track"]["playCount"] == 1
    assert result["track"]["viewerPlayCount"] == 1
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                select(
                    TrackRecord.play_count, TrackRecord.popularity, TrackRecord.updated_at
                ).where(TrackRecord.id == OPEN)
            )
        ).one()
        counts = (await connection.execute(select(PlayCountRecord.play_count))).all()
    assert stored[0] == 1
    assert stored[1] > 1.0  # this year's plays weigh more than one of 2026-01-01
    assert stored[2] == updated_at  # listening is not an edit
    assert [row[0] for row in counts] == [1]


async def test_a_play_below_half_stores_nothing(
    as_user: As, people: dict[str, SignedInUser], library: Library, engine: AsyncEngine
) -> None:
    result = await play(as_user, people["alice"], library.open_track, 149.9)
    assert (result["counted"], result["play"], result["track"]["playCount"]) == (False, None, 0)
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(PlayRecord)) == 0


async def test_four_minutes_of_a_long_track_count(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    below = await play(as_user, people["alice"], library.long_track, 239.5)
    at_rule = await play(as_user, people["alice"], library.long_track, 240.0, ago(minutes=30))
    assert (below["counted"], at_rule["counted"]) == (False, True)


@pytest.mark.parametrize(
    ("seconds", "started", "reason"),
    [
        (-1.0, None, "NEGATIVE"),
        (303.0, {"minutes": 10}, "LONGER_THAN_TRACK"),
        (200.0, {"seconds": -30}, "IN_THE_FUTURE"),
        (200.0, {"seconds": 100}, "IN_THE_FUTURE"),
        (200.0, {"days": 15}, "TOO_OLD"),
    ],
)
async def test_implausible_reports_are_refused_with_their_reason(  # noqa: PLR0917 - fixtures
    as_user: As,
    people: dict[str, SignedInUser],
    library: Library,
    engine: AsyncEngine,
    seconds: float,
    started: dict[str, float] | None,
    reason: str,
) -> None:
    at = ago(**started) if started else None
    result = await play(as_user, people["alice"], library.open_track, seconds, at)
    assert result["__typename"] == "ImplausiblePlayError"
    assert result["reason"] == reason
    assert result["message"]
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(PlayRecord)) == 0


async def test_more_plays_than_wall_time_allows_are_refused(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    first = await play(as_user, alice, library.open_track, 300.0, ago(minutes=20))
    same_time = await play(as_user, alice, library.long_track, 300.0, ago(minutes=18))
    right_after = await play(as_user, alice, library.long_track, 300.0, ago(minutes=15))
    someone_else = await play(as_user, bob, library.long_track, 300.0, ago(minutes=18))
    assert first["counted"] is True
    assert (same_time["__typename"], same_time["reason"]) == (
        "ImplausiblePlayError",
        "OVERLAPS_PLAYS",
    )
    assert right_after["counted"] is True
    assert someone_else["counted"] is True


async def test_a_track_you_cannot_see_is_not_found_like_a_random_id(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    result = await play(as_user, people["bob"], library.hidden_track, 150.0)
    assert result == {
        "__typename": "TrackNotFoundError",
        "message": "No track has this ID.",
        "trackId": library.hidden_track,
    }
    owner = await play(as_user, people["alice"], library.hidden_track, 150.0)
    assert owner["counted"] is True


async def test_viewer_counts_and_history_are_your_own(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    await play(as_user, alice, library.open_track, 200.0, ago(hours=3))
    await play(as_user, alice, library.short_track, 60.0, ago(hours=2))
    latest = ago(hours=1)
    await play(as_user, alice, library.open_track, 200.0, latest)
    await play(as_user, bob, library.short_track, 60.0, ago(hours=1))

    mine = (await as_user(alice, COUNTS, {"id": library.open_track}))["data"]["track"]
    theirs = (await as_user(bob, COUNTS, {"id": library.open_track}))["data"]["track"]
    assert (mine["playCount"], mine["viewerPlayCount"]) == (2, 2)
    assert datetime.fromisoformat(mine["lastPlayedAt"]) == datetime.fromisoformat(latest)
    assert theirs == {"playCount": 2, "viewerPlayCount": 0, "lastPlayedAt": None}

    page = (await as_user(alice, HISTORY, {"first": 2}))["data"]["history"]
    assert page["totalCount"] == 3
    assert [e["node"]["track"]["title"] for e in page["edges"]] == ["Opensong", "Shortsong"]
    rest = await as_user(alice, HISTORY, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    history = rest["data"]["history"]
    assert [e["node"]["track"]["title"] for e in history["edges"]] == ["Opensong"]
    assert history["pageInfo"]["hasNextPage"] is False
    bobs = (await as_user(bob, HISTORY, {}))["data"]["history"]
    assert (bobs["totalCount"], [e["node"]["track"]["title"] for e in bobs["edges"]]) == (
        1,
        ["Shortsong"],
    )


async def test_top_tracks_by_period_and_scope(
    as_user: As,
    people: dict[str, SignedInUser],
    library: Library,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    for hours in (30, 20, 10):
        await play(as_user, bob, library.short_track, 60.0, ago(hours=hours))
    await play(as_user, alice, library.open_track, 200.0, ago(days=10))
    await play(as_user, alice, library.open_track, 200.0, ago(hours=5))
    await play(as_user, alice, library.hidden_track, 150.0, ago(hours=4))
    await play(as_user, alice, library.long_track, 300.0, ago(hours=3))

    async def top(user: SignedInUser, period: str, scope: str) -> list[tuple[str, int]]:
        body = await as_user(user, TOP, {"period": period, "scope": scope})
        return [(row["track"]["title"], row["playCount"]) for row in body["data"]["topTracks"]]

    # Ties go to the smaller track id: Secretsong …0a, Opensong …0b, Longsong …0d.
    assert await top(alice, "WEEK", "MINE") == [
        ("Secretsong", 1),
        ("Opensong", 1),
        ("Longsong", 1),
    ]
    assert await top(alice, "MONTH", "MINE") == [
        ("Opensong", 2),
        ("Secretsong", 1),
        ("Longsong", 1),
    ]
    assert await top(alice, "ALL", "MINE") == await top(alice, "MONTH", "MINE")
    # bob never sees alice's unpublished track, and his own list is his.
    assert await top(bob, "MONTH", "EVERYONE") == [
        ("Shortsong", 3),
        ("Opensong", 2),
        ("Longsong", 1),
    ]
    assert await top(bob, "ALL", "EVERYONE") == await top(bob, "MONTH", "EVERYONE")
    assert await top(bob, "MONTH", "MINE") == [("Shortsong", 3)]
    assert await top(admin, "MONTH", "MINE") == []
    assert ("Secretsong", 1) in await top(admin, "ALL", "EVERYONE")
    # A period only counts plays that started in it. (Changed behind the app's back, so
    # this process's charts of everyone's plays must not be kept.)
    monkeypatch.setattr(top_module, "CHART_TTL", 0.0)
    monkeypatch.setattr(top_module, "_CHARTS", weakref.WeakKeyDictionary())
    async with engine.begin() as connection:
        await connection.execute(
            update(PlayRecord).values(started_at=datetime.now(UTC) - timedelta(days=40))
        )
    assert await top(bob, "MONTH", "EVERYONE") == []
    assert await top(bob, "YEAR", "EVERYONE") == await top(bob, "ALL", "EVERYONE")


async def test_everyone_s_chart_follows_plays_and_falls_back_when_cut(
    as_user: As,
    people: dict[str, SignedInUser],
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice, bob = people["alice"], people["bob"]
    for hours in (30, 20):
        await play(as_user, alice, library.hidden_track, 150.0, ago(hours=hours))
    await play(as_user, bob, library.short_track, 60.0, ago(hours=10))

    async def top(user: SignedInUser, first: int) -> list[tuple[str, int]]:
        body = await as_user(user, TOP, {"period": "MONTH", "scope": "EVERYONE", "first": first})
        return [(row["track"]["title"], row["playCount"]) for row in body["data"]["topTracks"]]

    assert await top(bob, 5) == [("Shortsong", 1)]
    # A play counted in this process is in the very next answer.
    await play(as_user, bob, library.open_track, 200.0, ago(hours=5))
    await play(as_user, bob, library.open_track, 200.0, ago(hours=4))
    assert await top(bob, 5) == [("Opensong", 2), ("Shortsong", 1)]
    # A chart cut at two tracks holds alice's hidden track, which bob may not see: the
    # exact count answers him, and alice still gets her own view.
    monkeypatch.setattr(top_module, "CHART_SIZE", 2)
    await play(as_user, bob, library.long_track, 300.0, ago(hours=3))
    assert await top(bob, 3) == [("Opensong", 2), ("Shortsong", 1), ("Longsong", 1)]
    assert await top(alice, 2) == [("Secretsong", 2), ("Opensong", 2)]


async def test_top_tracks_refuses_more_than_a_page(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    body = await as_user(people["bob"], TOP, {"period": "ALL", "scope": "MINE", "first": 101})
    assert body["errors"][0]["extensions"]["code"] == "PAGE_TOO_LARGE"


async def test_popular_order_weighs_recent_plays_more(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    alice, bob = people["alice"], people["bob"]
    # Longsong: 3 plays 13 days ago (3 · 2^(-13/30) ≈ 2.22); Opensong: 2 plays now (2);
    # Shortsong: 2 plays 13 days ago (≈ 1.48): a fresh play outweighs an old one.
    for index, user in enumerate((alice, bob, alice)):
        await play(as_user, user, library.long_track, 300.0, ago(days=13, hours=index))
    for user in (alice, bob):
        await play(as_user, user, library.open_track, 200.0, ago(minutes=5))
    for user in (alice, bob):
        await play(as_user, user, library.short_track, 60.0, ago(days=13, hours=5))
    body = await as_user(bob, "{ tracks(orderBy: POPULAR) { edges { node { title playCount } } } }")
    assert [e["node"] for e in body["data"]["tracks"]["edges"]] == [
        {"title": "Longsong", "playCount": 3},
        {"title": "Opensong", "playCount": 2},
        {"title": "Shortsong", "playCount": 2},
    ]


async def test_without_an_account_plays_need_signing_in_and_lists_are_empty(
    as_user: As, people: dict[str, SignedInUser], library: Library
) -> None:
    body = await as_user(None, RECORD, {"track": library.open_track, "seconds": 200.0})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
