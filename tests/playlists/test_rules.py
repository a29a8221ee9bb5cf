"""Smart rules: validation names the rule and field; the issue's four examples on both DBs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.graphql.seed import insert_rows, track
from tests.support.accounts import SignedInUser, make_user
from tonearm.catalog.access import Reader
from tonearm.catalog.pagination import SmartOrder, encode_cursor, page_request
from tonearm.db.models import (
    LikeRecord,
    PlayCountRecord,
    PlayRecord,
    TrackCollaboratorRecord,
)
from tonearm.playlists.queries import compile_rules, compiled_stats, smart_items
from tonearm.playlists.rules import InvalidSmartRules, parse_rules

NOW = datetime.now(UTC)


def rule(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.parametrize(
    ("raw", "index", "field", "message"),
    [
        ({"rules": [rule("mood", "is", "x")]}, 0, "field", "Unknown field 'mood'"),
        (
            {"rules": [rule("title", "is", "a"), rule("year", "contains", "19")]},
            1,
            "operator",
            "Unknown operator 'contains' for year",
        ),
        ({"rules": [rule("year", "eq", "1959")]}, 0, "value", "must be a whole number"),
        ({"rules": [rule("year", "eq", 1959.5)]}, 0, "value", "must be a whole number"),
        ({"rules": [rule("title", "is", 5)]}, 0, "value", "must be a string"),
        ({"rules": [rule("title", "is", "")]}, 0, "value", "1 to 1000 characters"),
        ({"rules": [rule("liked", "isTrue", True)]}, 0, "value", "takes no value"),
        ({"rules": [rule("year", "between", [1969, 1950])]}, 0, "value", "range is empty"),
        ({"rules": [rule("year", "between", [1950])]}, 0, "value", "two numbers"),
        ({"rules": [rule("durationSeconds", "gt", True)]}, 0, "value", "must be a number"),
        ({"rules": [rule("addedAt", "inTheLast", 0)]}, 0, "value", "number of days"),
        ({"rules": [rule("addedAt", "before", "yesterday")]}, 0, "value", "ISO 8601"),
        ({"rules": ["genre"]}, 0, None, "must be an object"),
        ({"rules": [], "limit": 0}, None, "limit", "limit must be from 1 to 10000"),
        ({"rules": [], "limit": 10_001}, None, "limit", "limit must be from 1 to 10000"),
        ({"rules": [], "orderPeriodDays": 30}, None, "orderPeriodDays", "MOST_PLAYED only"),
        ({"rules": [], "orderBy": "SHUFFLE"}, None, "orderBy", "Unknown orderBy"),
        ({"rules": [], "match": "SOME"}, None, "match", "ALL or ANY"),
        ({"rules": [rule("title", "is", "a")] * 51}, None, "rules", "At most 50"),
    ],
)
def test_invalid_rules_name_the_rule_and_field(
    raw: dict[str, Any], index: int | None, field: str | None, message: str
) -> None:
    with pytest.raises(InvalidSmartRules) as invalid:
        parse_rules(raw)
    assert (invalid.value.rule_index, invalid.value.field) == (index, field)
    assert message in invalid.value.message


def test_valid_rules_round_trip_through_storage() -> None:
    raw = {
        "match": "ANY",
        "rules": [
            rule("genre", "is", "Jazz"),
            rule("year", "between", [1950, 1969]),
            rule("addedAt", "after", "2026-01-01"),
            rule("liked", "isTrue"),
        ],
        "orderBy": "MOST_PLAYED",
        "orderPeriodDays": 30,
        "limit": 50,
    }
    stored = parse_rules(raw).to_json()
    assert stored["rules"][2]["value"] == "2026-01-01T00:00:00+00:00"
    assert parse_rules(stored) == parse_rules(raw)


class Library:
    """Tracks by title, with the owner's and a stranger's likes and plays."""

    def __init__(self) -> None:
        self.ids: dict[str, uuid.UUID] = {}
        self.rows: list[dict[str, Any]] = []

    def add(self, title: str, **fields: Any) -> uuid.UUID:
        track_id = uuid.uuid4()
        created = fields.pop("created_at", None)
        row = track(len(self.rows), title=title, artist="A", track_id=track_id, created_at=created)
        self.rows.append({**row, "origin": "library", "is_published": True, **fields})
        self.ids[title] = track_id
        return track_id


@pytest.fixture
async def people(engine: AsyncEngine) -> tuple[SignedInUser, SignedInUser]:
    return await make_user(engine, "owner"), await make_user(engine, "stranger")


async def titles(
    session: AsyncSession,
    raw: dict[str, Any],
    owner: uuid.UUID,
    reader: Reader,
    *,
    first: int = 100,
) -> list[str]:
    compiled = compile_rules(session, parse_rules(raw), owner, reader)
    order = parse_rules(raw).order_by
    page = await smart_items(
        session, compiled, page=page_request(order, first=first, after=None, last=None, before=None)
    )
    return [row.track.title for row in page.records]


async def test_genre_is_jazz_and_year_between_1950_and_1969(
    engine: AsyncEngine, session: AsyncSession, people: tuple[SignedInUser, SignedInUser]
) -> None:
    owner, stranger = people
    library = Library()
    library.add("Kind of Blue", genre="Jazz", genres=["Jazz"], year=1959)
    library.add("Late Jazz", genre="Jazz", genres=["Jazz"], year=1975)
    library.add("Rock 60", genre="Rock", genres=["Rock"], year=1960)
    library.add("Pop Jazz 65", genre="Pop", genres=["Pop", "jazz"], year=1965)
    library.add("Boundary 1950", genre="Jazz", genres=["Jazz"], year=1950)
    library.add("No Year", genre="Jazz", genres=["Jazz"], year=None)
    hidden = library.add(
        "Stranger Demo",
        genre="Jazz",
        genres=["Jazz"],
        year=1960,
        is_published=False,
        origin="upload",
    )
    await insert_rows(engine, library.rows)
    async with engine.begin() as connection:
        await connection.execute(
            insert(TrackCollaboratorRecord).values(
                track_id=hidden, user_id=stranger.record.id, role="owner"
            )
        )
    raw = {
        "rules": [rule("genre", "is", "Jazz"), rule("year", "between", [1950, 1969])],
        "orderBy": "YEAR",
    }
    reader = Reader(owner.record.id)
    assert await titles(session, raw, owner.record.id, reader) == [
        "Boundary 1950",
        "Kind of Blue",
        "Pop Jazz 65",
    ]
    # The stranger sees their own unpublished upload in the owner's (public) rules.
    seen = await titles(session, raw, owner.record.id, Reader(stranger.record.id))
    assert seen == ["Boundary 1950", "Kind of Blue", "Stranger Demo", "Pop Jazz 65"]
    anything = {"match": "ANY", "rules": raw["rules"], "orderBy": "TITLE"}
    assert len(await titles(session, anything, owner.record.id, reader)) == 6
    not_jazz = {"rules": [rule("genre", "isNot", "jazz")], "orderBy": "TITLE"}
    assert await titles(session, not_jazz, owner.record.id, reader) == ["Rock 60"]
    compiled = compile_rules(session, parse_rules(raw), owner.record.id, reader)
    stats = await compiled_stats(session, compiled)
    assert (stats.track_count, stats.duration_seconds) == (3, 540.0)


async def _likes_and_plays(
    engine: AsyncEngine,
    user: uuid.UUID,
    *,
    liked: list[uuid.UUID],
    plays: list[tuple[uuid.UUID, timedelta]],
) -> None:
    counts: dict[uuid.UUID, tuple[int, datetime]] = {}
    for track_id, ago in plays:
        moment = NOW - ago
        count, last = counts.get(track_id, (0, moment))
        counts[track_id] = (count + 1, max(last, moment))
    async with engine.begin() as connection:
        if liked:
            await connection.execute(
                insert(LikeRecord),
                [{"user_id": user, "kind": "track", "target_id": t} for t in liked],
            )
        if plays:
            await connection.execute(
                insert(PlayRecord),
                [
                    {
                        "user_id": user,
                        "track_id": t,
                        "started_at": NOW - ago,
                        "played_seconds": 100.0,
                    }
                    for t, ago in plays
                ],
            )
            await connection.execute(
                insert(PlayCountRecord),
                [
                    {"user_id": user, "track_id": t, "play_count": c, "last_played_at": last}
                    for t, (c, last) in counts.items()
                ],
            )


async def test_liked_and_not_played_in_90_days(
    engine: AsyncEngine, session: AsyncSession, people: tuple[SignedInUser, SignedInUser]
) -> None:
    owner, stranger = people
    library = Library()
    never = library.add("Liked never played")
    long_ago = library.add("Liked played 100 days ago")
    recent = library.add("Liked played 10 days ago")
    library.add("Not liked")
    strangers = library.add("Liked by the stranger")
    await insert_rows(engine, library.rows)
    await _likes_and_plays(
        engine,
        owner.record.id,
        liked=[never, long_ago, recent],
        plays=[(long_ago, timedelta(days=100)), (recent, timedelta(days=10))],
    )
    await _likes_and_plays(
        engine, stranger.record.id, liked=[strangers], plays=[(never, timedelta(days=1))]
    )
    raw = {
        "rules": [rule("liked", "isTrue"), rule("lastPlayedAt", "notInTheLast", 90)],
        "orderBy": "TITLE",
    }
    expected = ["Liked never played", "Liked played 100 days ago"]
    assert await titles(session, raw, owner.record.id, Reader(owner.record.id)) == expected
    # Anyone reading the owner's playlist sees the owner's likes and plays.
    assert await titles(session, raw, owner.record.id, Reader(stranger.record.id)) == expected
    not_liked = {"rules": [rule("liked", "isFalse")], "orderBy": "TITLE"}
    assert await titles(session, not_liked, owner.record.id, Reader(owner.record.id)) == [
        "Liked by the stranger",
        "Not liked",
    ]
    played = {"rules": [rule("playCount", "gte", 1)], "orderBy": "TITLE"}
    assert await titles(session, played, owner.record.id, Reader(owner.record.id)) == [
        "Liked played 10 days ago",
        "Liked played 100 days ago",
    ]


async def test_most_played_in_the_last_30_days_limit_50(
    engine: AsyncEngine, session: AsyncSession, people: tuple[SignedInUser, SignedInUser]
) -> None:
    owner, stranger = people
    library = Library()
    three = library.add("Three")
    five = library.add("Five")
    old = library.add("Old favourite")
    theirs = library.add("Stranger's")
    library.add("Never")
    await insert_rows(engine, library.rows)
    day = timedelta(days=1)
    await _likes_and_plays(
        engine,
        owner.record.id,
        liked=[],
        plays=[
            *[(three, day * (i + 1)) for i in range(3)],
            *[(five, day * (i + 1) + timedelta(hours=1)) for i in range(5)],
            *[(old, day * (40 + i)) for i in range(9)],
        ],
    )
    await _likes_and_plays(
        engine, stranger.record.id, liked=[], plays=[(theirs, day * i) for i in range(1, 11)]
    )
    raw = {"rules": [], "orderBy": "MOST_PLAYED", "orderPeriodDays": 30, "limit": 50}
    reader = Reader(owner.record.id)
    assert await titles(session, raw, owner.record.id, reader) == ["Five", "Three"]
    all_time = {"rules": [], "orderBy": "MOST_PLAYED", "limit": 50}
    assert await titles(session, all_time, owner.record.id, reader) == [
        "Old favourite",
        "Five",
        "Three",
    ]
    limited = {**all_time, "limit": 2}
    assert await titles(session, limited, owner.record.id, reader) == ["Old favourite", "Five"]
    # Keyset pages in the rules' order, within the limit.
    compiled = compile_rules(session, parse_rules(all_time), owner.record.id, reader)
    first = await smart_items(
        session,
        compiled,
        page=page_request(SmartOrder.MOST_PLAYED, first=1, after=None, last=None, before=None),
    )
    cursor = encode_cursor(SmartOrder.MOST_PLAYED, first.records[0])
    rest = await smart_items(
        session,
        compiled,
        page=page_request(SmartOrder.MOST_PLAYED, first=5, after=cursor, last=None, before=None),
    )
    assert [(r.track.title, r.index) for r in rest.records] == [("Five", 1), ("Three", 2)]
    recent = {"rules": [], "orderBy": "RECENTLY_PLAYED"}
    assert await titles(session, recent, owner.record.id, reader) == [
        "Three",
        "Five",
        "Old favourite",
    ]


async def test_recently_added(
    engine: AsyncEngine, session: AsyncSession, people: tuple[SignedInUser, SignedInUser]
) -> None:
    owner, _ = people
    library = Library()
    for days in (3, 1, 45, 2):
        library.add(f"{days} days old", created_at=NOW - timedelta(days=days))
    await insert_rows(engine, library.rows)
    reader = Reader(owner.record.id)
    raw = {"rules": [rule("addedAt", "inTheLast", 30)], "orderBy": "RECENTLY_ADDED"}
    assert await titles(session, raw, owner.record.id, reader) == [
        "1 days old",
        "2 days old",
        "3 days old",
    ]
    newest = {"rules": [], "orderBy": "RECENTLY_ADDED", "limit": 2}
    assert await titles(session, newest, owner.record.id, reader) == ["1 days old", "2 days old"]
    before = (NOW - timedelta(days=10)).isoformat()
    old = {"rules": [rule("addedAt", "before", before)], "orderBy": "RECENTLY_ADDED"}
    assert await titles(session, old, owner.record.id, reader) == ["45 days old"]


async def test_text_operators_fold_case_and_escape_wildcards(
    engine: AsyncEngine, session: AsyncSession, people: tuple[SignedInUser, SignedInUser]
) -> None:
    owner, _ = people
    library = Library()
    library.add("Blue in Green")
    library.add("100% Blue")
    library.add("Red_Light")
    library.add("RedXLight")
    await insert_rows(engine, library.rows)
    reader, owner_id = Reader(owner.record.id), owner.record.id

    async def by(operator: str, value: str) -> list[str]:
        raw = {"rules": [rule("title", operator, value)], "orderBy": "TITLE"}
        return await titles(session, raw, owner_id, reader)

    assert await by("contains", "BLUE") == ["100% Blue", "Blue in Green"]
    assert await by("startsWith", "blue") == ["Blue in Green"]
    assert await by("contains", "0%") == ["100% Blue"]
    assert await by("contains", "d_l") == ["Red_Light"]
    assert await by("is", "blue in green") == ["Blue in Green"]
    assert await by("notContains", "blue") == ["Red_Light", "RedXLight"]
