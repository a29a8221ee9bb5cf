"""``tracks(search:)``: folded word-prefix matching through the full-text index."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql
from tests.graphql.seed import insert_rows, track
from tonearm.catalog.search import search_condition
from tonearm.db.models import TrackRecord

SEARCH = """
query Search($search: String) {
  tracks(search: $search, first: 50, orderBy: TITLE) { totalCount edges { node { title } } }
}
"""


@pytest.fixture
async def seeded(engine: AsyncEngine) -> None:
    await insert_rows(
        engine,
        [
            track(1, title="Hey Jude", artist="The Beatles", album="Hey Jude"),
            track(2, title="Love Me Do", artist="The Beatles", album="Please Please Me"),
            track(3, title="Halo", artist="Beyoncé", album="I Am... Sasha Fierce"),
            track(4, title="Crazy in Love", artist="Beyoncé", album="Dangerously in Love"),
            track(5, title="Beat It", artist="Michael Jackson", album="Thriller"),
            track(6, title="Jóga", artist="Björk", album="Homogenic", album_artist="BJÖRK"),
            track(7, title="Lovely Day", artist="Bill Withers", album="Menagerie"),
        ],
    )


async def titles(gql: Gql, search: str | None) -> tuple[int, list[str]]:
    body = await gql(SEARCH, {"search": search})
    assert "errors" not in body, body
    connection = body["data"]["tracks"]
    return connection["totalCount"], [edge["node"]["title"] for edge in connection["edges"]]


async def test_word_prefix_matches_title_and_artist(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "beat") == (3, ["Beat It", "Hey Jude", "Love Me Do"])


async def test_search_ignores_case_and_accents(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "BEYONCE") == (2, ["Crazy in Love", "Halo"])


async def test_accented_input_matches_too(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "björk") == (1, ["Jóga"])


async def test_every_word_must_match(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "beat love") == (1, ["Love Me Do"])


async def test_prefix_of_a_word_matches_longer_words(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "lov") == (3, ["Crazy in Love", "Love Me Do", "Lovely Day"])


async def test_album_matches(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "thrill") == (1, ["Beat It"])


async def test_middle_of_a_word_does_not_match(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "eatles") == (0, [])


async def test_no_match_gives_empty_connection(gql: Gql, seeded: None) -> None:
    assert await titles(gql, "zzzz") == (0, [])


async def test_search_without_words_is_no_search(gql: Gql, seeded: None) -> None:
    counts = [(await titles(gql, search))[0] for search in ["", "   ", "!!! ***", '"']]
    assert counts == [7, 7, 7, 7]


async def test_fts_syntax_in_input_is_just_words(gql: Gql, seeded: None) -> None:
    searches = ['love" "beat', "love*) (beat", "love:* | beat", "love & !beat", "-love ^beat'--"]
    results = [await titles(gql, search) for search in searches]
    assert results == [(1, ["Love Me Do"])] * len(searches)


async def test_search_pages_with_cursors(gql: Gql, seeded: None) -> None:
    query = """query($after: String) { tracks(search: "love", first: 2, after: $after,
               orderBy: TITLE) { edges { node { title } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql(query, {"after": None}))["data"]["tracks"]
    second = (await gql(query, {"after": first["pageInfo"]["endCursor"]}))["data"]["tracks"]
    assert [e["node"]["title"] for e in first["edges"] + second["edges"]] == [
        "Crazy in Love",
        "Love Me Do",
        "Lovely Day",
    ]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


async def test_search_uses_the_full_text_index(engine: AsyncEngine, seeded: None) -> None:
    from sqlalchemy import select

    statement = select(TrackRecord.id).where(search_condition(["beat"], engine.dialect))
    compiled = statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("SET enable_seqscan = off"))
            plan = (await connection.execute(text(f"EXPLAIN {compiled}"))).scalars().all()
            assert any("ix_tracks_search_vector" in line for line in plan), plan
        else:
            rows = (await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
            assert any("VIRTUAL TABLE INDEX" in row[-1] for row in rows), rows


async def test_overlong_search_is_a_clear_error(gql: Gql, seeded: None) -> None:
    at_limit = await gql(SEARCH, {"search": "beat " + "x" * 195})
    too_long = await gql(SEARCH, {"search": "beat " + "x" * 196})

    assert at_limit["data"]["tracks"]["totalCount"] == 0
    assert too_long["data"] is None
    assert too_long["errors"][0]["message"] == "Search text is limited to 200 characters."
    assert too_long["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
