"""The play rule and the pure plausibility checks, at their boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tonearm.social.plays import (
    ImplausiblePlay,
    PlayRejection,
    check_report,
    counts_as_play,
    leaves_room,
)
from tonearm.social.popularity import EPOCH, HALF_LIFE, LIKE_WEIGHT, PLAY_WEIGHT, term

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "played", "counted"),
    [
        (300.0, 149.999, False),
        (300.0, 150.0, True),  # half of a 5-minute track
        (600.0, 239.999, False),
        (600.0, 240.0, True),  # four minutes of a 10-minute track
        (480.0, 240.0, True),  # both rules meet at 8 minutes
        (480.0, 239.9, False),
        (1.0, 0.5, True),
        (1.0, 0.4, False),
    ],
)
def test_half_the_track_or_four_minutes(duration: float, played: float, counted: bool) -> None:
    assert counts_as_play(duration, played) is counted


def _refusal(**overrides: object) -> PlayRejection | None:
    report: dict[str, object] = {
        "duration_seconds": 300.0,
        "played_seconds": 200.0,
        "started_at": NOW - timedelta(seconds=200),
        "now": NOW,
    }
    report.update(overrides)
    try:
        check_report(**report)  # type: ignore[arg-type]
    except ImplausiblePlay as refused:
        return refused.reason
    return None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({}, None),
        ({"played_seconds": -0.001}, PlayRejection.NEGATIVE),
        ({"played_seconds": float("nan")}, PlayRejection.NEGATIVE),
        ({"played_seconds": 302.0, "started_at": NOW - timedelta(seconds=302)}, None),
        (
            {"played_seconds": 302.001, "started_at": NOW - timedelta(seconds=303)},
            PlayRejection.LONGER_THAN_TRACK,
        ),
        ({"started_at": NOW + timedelta(seconds=1)}, PlayRejection.IN_THE_FUTURE),
        ({"started_at": NOW - timedelta(seconds=140)}, None),  # ends 60 s from now
        ({"started_at": NOW - timedelta(seconds=139)}, PlayRejection.IN_THE_FUTURE),
        ({"started_at": NOW - timedelta(days=14)}, None),
        ({"started_at": NOW - timedelta(days=14, seconds=1)}, PlayRejection.TOO_OLD),
    ],
)
def test_each_implausible_report_names_its_reason(
    overrides: dict[str, object], reason: PlayRejection | None
) -> None:
    assert _refusal(**overrides) is reason


def test_back_to_back_plays_fit_and_simultaneous_ones_do_not() -> None:
    first = (NOW - timedelta(seconds=400), 200.0)
    assert leaves_room([first], NOW - timedelta(seconds=200), 200.0)  # starts as it ends
    assert leaves_room([first], NOW - timedelta(seconds=201), 200.0)  # within the slack
    assert not leaves_room([first], NOW - timedelta(seconds=300), 200.0)  # half at once
    assert not leaves_room([first], first[0], 200.0)


def test_a_play_term_doubles_every_half_life_and_a_like_weighs_three() -> None:
    assert term(PLAY_WEIGHT, EPOCH) == 1.0
    assert term(PLAY_WEIGHT, EPOCH + HALF_LIFE) == pytest.approx(2.0)
    assert term(PLAY_WEIGHT, EPOCH - 2 * HALF_LIFE) == pytest.approx(0.25)
    assert term(LIKE_WEIGHT, EPOCH + HALF_LIFE) == pytest.approx(6.0)
