"""The global ID format, parsed strictly (pure functions)."""

from __future__ import annotations

import base64
import uuid

import pytest

from tonearm.schema.ids import TRACK_TYPE_NAME, InvalidGlobalId, parse_global_id, track_global_id

TRACK_ID = uuid.UUID("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f")
GLOBAL_ID = base64.b64encode(f"Track:{TRACK_ID}".encode()).decode()


def test_global_id_is_base64_of_type_and_uuid() -> None:
    expected = "VHJhY2s6NmYxYzJkM2UtNGI1YS00YzdkLThlOWYtMGExYjJjM2Q0ZTVm"
    assert track_global_id(TRACK_ID) == GLOBAL_ID == expected


def test_global_id_round_trips() -> None:
    assert parse_global_id(GLOBAL_ID, TRACK_TYPE_NAME) == TRACK_ID


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "garbage",
        str(TRACK_ID),
        base64.b64encode(f"User:{TRACK_ID}".encode()).decode(),
        base64.b64encode(b"Track:not-a-uuid").decode(),
        base64.b64encode(f"Track:{TRACK_ID.hex}".encode()).decode(),
        base64.b64encode(f"Track:{str(TRACK_ID).upper()}".encode()).decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        GLOBAL_ID + "!",
        GLOBAL_ID.rstrip("=") + "\n",
    ],
    ids=[
        "empty",
        "garbage",
        "bare-uuid",
        "other-type",
        "not-uuid",
        "uuid-hex-form",
        "upper-case-uuid",
        "not-utf8",
        "stray-char",
        "newline",
    ],
)
def test_anything_but_the_canonical_form_is_refused(bad_id: str) -> None:
    with pytest.raises(InvalidGlobalId):
        parse_global_id(bad_id, TRACK_TYPE_NAME)
