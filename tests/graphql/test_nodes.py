"""Looking tracks up by global ID: ``track``, ``node``, and the ID policy."""

from __future__ import annotations

import base64
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql.conftest import Gql, error_codes
from tests.graphql.seed import insert_and_group, track

TRACK_ID = uuid.UUID("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f")
GLOBAL_ID = base64.b64encode(f"Track:{TRACK_ID}".encode()).decode()
ALL_FIELDS = """id title artist artists { name } album { title artistCredit } albumArtist
    trackNumber discNumber discSubtitle year genre durationSeconds format bitrate bitDepth
    sampleRate channels sizeBytes mimeType createdAt updatedAt coverArt { url }"""


@pytest.fixture
async def one_track(engine: AsyncEngine) -> None:
    await insert_and_group(
        engine,
        [
            track(
                3,
                title="Halo",
                artist="Beyoncé",
                album="I Am... Sasha Fierce",
                album_artist="Beyoncé",
                track_number=2,
                duration_seconds=261.5,
                track_id=TRACK_ID,
            ),
        ],
    )


async def test_track_by_global_id_has_every_contract_field(gql: Gql, one_track: None) -> None:
    body = await gql(f'{{ track(id: "{GLOBAL_ID}") {{ {ALL_FIELDS} }} }}')
    # Linking the track to its album (the grouping phase) changed its row.
    updated_at = body["data"]["track"]["updatedAt"]
    assert updated_at > "2026-01-01T00:00:03+00:00"
    assert body == {
        "data": {
            "track": {
                "id": GLOBAL_ID,
                "title": "Halo",
                "artist": "Beyoncé",
                "artists": [{"name": "Beyoncé"}],
                "album": {"title": "I Am... Sasha Fierce", "artistCredit": "Beyoncé"},
                "albumArtist": "Beyoncé",
                "trackNumber": 2,
                "discNumber": 1,
                "discSubtitle": None,
                "year": 2001,
                "genre": "Pop",
                "durationSeconds": 261.5,
                "format": "MP3",
                "bitrate": 128000,
                "bitDepth": None,
                "sampleRate": 44100,
                "channels": 2,
                "sizeBytes": 1000003,
                "mimeType": "audio/mpeg",
                "createdAt": "2026-01-01T00:00:03+00:00",
                "updatedAt": updated_at,
                "coverArt": None,
            }
        }
    }


async def test_path_is_not_part_of_the_schema(gql: Gql, one_track: None) -> None:
    body = await gql(f'{{ track(id: "{GLOBAL_ID}") {{ path }} }}')
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Cannot query field 'path' on type 'Track'."


async def test_node_resolves_a_track(gql: Gql, one_track: None) -> None:
    body = await gql(f'{{ node(id: "{GLOBAL_ID}") {{ __typename id ... on Track {{ title }} }} }}')
    assert body == {"data": {"node": {"__typename": "Track", "id": GLOBAL_ID, "title": "Halo"}}}


async def test_unknown_track_is_null_without_errors(gql: Gql, one_track: None) -> None:
    unknown = base64.b64encode(f"Track:{uuid.uuid4()}".encode()).decode()
    body = await gql(f'{{ track(id: "{unknown}") {{ id }} node(id: "{unknown}") {{ id }} }}')
    assert body == {"data": {"track": None, "node": None}}


async def test_malformed_id_is_invalid_id(gql: Gql) -> None:
    body = await gql('{ track(id: "garbage") { id } }')
    assert body["data"] == {"track": None}
    assert error_codes(body) == ["INVALID_ID"]
    assert body["errors"][0]["message"] == "Not a valid track ID."
    assert body["errors"][0]["path"] == ["track"]


async def test_node_with_malformed_id_is_invalid_id(gql: Gql) -> None:
    other_type = base64.b64encode(f"User:{TRACK_ID}".encode()).decode()
    body = await gql(f'{{ node(id: "{other_type}") {{ id }} }}')
    assert body["data"] == {"node": None}
    assert error_codes(body) == ["INVALID_ID"]
