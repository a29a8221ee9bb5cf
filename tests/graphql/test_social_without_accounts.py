"""With ``TONEARM_AUTH=none`` the viewer has no account: no likes, plays or comments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graphql.social_fixtures import As, Library, as_user, library, people
from tonearm.settings import Settings

__all__ = ["as_user", "library", "people"]


@pytest.fixture
def settings(make_settings: Any, database_url_for_test: str, media_root: Path) -> Settings:
    """Accounts off: every request reads as the local admin."""
    settings: Settings = make_settings(
        database_url=database_url_for_test, media_root=media_root, auth="none"
    )
    return settings


@pytest.mark.parametrize(
    "mutation",
    [
        'setLiked(id: "$T", liked: true) { __typename }',
        'recordPlay(trackId: "$T", playedSeconds: 200) { __typename }',
        'addComment(targetId: "$T", body: "hi") { __typename }',
    ],
)
async def test_personal_mutations_ask_to_sign_in(
    as_user: As, library: Library, mutation: str
) -> None:
    body = await as_user(None, "mutation { " + mutation.replace("$T", library.open_track) + " }")
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


async def test_personal_lists_are_empty_and_flags_false(as_user: As, library: Library) -> None:
    body = await as_user(
        None,
        """query($id: ID!) { liked { totalCount edges { cursor } }
          history { totalCount edges { cursor } }
          topTracks(period: ALL, scope: MINE) { playCount }
          everyone: topTracks(period: ALL, scope: EVERYONE) { playCount }
          track(id: $id) { title viewerHasLiked viewerPlayCount lastPlayedAt likeCount } }""",
        {"id": library.hidden_track},
    )
    assert body == {
        "data": {
            "liked": {"totalCount": 0, "edges": []},
            "history": {"totalCount": 0, "edges": []},
            "topTracks": [],
            "everyone": [],
            "track": {
                "title": "Secretsong",
                "viewerHasLiked": False,
                "viewerPlayCount": 0,
                "lastPlayedAt": None,
                "likeCount": 0,
            },
        }
    }
