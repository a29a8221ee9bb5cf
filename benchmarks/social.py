"""Most played and recording plays over 1,000,000 recorded plays, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/social.py [--plays 1000000] [--tracks 5000] [--users 50]
        [--runs 40] [--backends sqlite,postgresql]

Builds a registry of ``--tracks`` tracks and ``--users`` listeners, then bulk-loads
``--plays`` plays spread over the last 365 days (a few tracks much more played than the
rest) — executemany on SQLite, COPY on PostgreSQL (a throwaway cluster, as the tests use) —
and derives ``play_counts`` and ``tracks.play_count`` from them as ``recordPlay`` keeps
them. Then it times, through the same service functions the resolvers call and a fresh
session each time (as a request has), as a listener (so the visibility predicate applies):

  topTracks(MONTH, MINE), topTracks(MONTH, EVERYONE) with the chart of everyone's plays kept
  and made afresh (``social.top``), topTracks(ALL, EVERYONE),
  recordPlay (a counted play: checks, the play row, both counters, popularity; committed)

against references measured in the same run: the first page of ``tracks(first: 20)`` and a
bare ``count(*)`` of the month's plays (the least a period's ranking must read).
Target (issue 13): ``topTracks(MONTH)`` p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update

from tonearm.catalog.access import Reader
from tonearm.catalog.pagination import TrackOrder, page_request
from tonearm.catalog.queries import list_tracks
from tonearm.catalog.rows import track_row
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.migrations import upgrade_to_head
from tonearm.db.models import PlayCountRecord, PlayRecord, TrackRecord, UserRecord
from tonearm.social.plays import record_play
from tonearm.social.top import PlayPeriod, PlayScope, forget_charts, top_tracks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_MS = 50.0


def track_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` published tracks of 2 to 8 minutes."""
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(count):
        row = track_row(
            path=f"bench/{index:06d}.mp3",
            title=f"Song {index}",
            artist=f"Artist {index % 400}",
            album=None,
            album_artist=None,
            track_number=None,
            disc_number=None,
            year=2000,
            genre="Rock",
            duration_seconds=float(rng.randint(120, 480)),
            bitrate=256_000,
            sample_rate=44_100,
            channels=2,
            size_bytes=5_000_000 + index,
            mtime_ns=index,
            mime_type="audio/mpeg",
        )
        rows.append(
            {
                **row,
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "created_at": moment,
                "updated_at": moment,
            }
        )
    return rows


def play_rows(  # noqa: PLR0917 - the shape of the data
    count: int,
    users: list[uuid.UUID],
    tracks: list[uuid.UUID],
    rng: random.Random,
    now: datetime,
    days: int,
) -> list[tuple[uuid.UUID, uuid.UUID, datetime, float, datetime]]:
    """``count`` plays over the last ``days``: each user's evenly spread, tracks Zipf-like."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(tracks))]
    per_user = count // len(users)
    year = timedelta(days=days).total_seconds()
    rows = []
    for user in users:
        chosen = rng.choices(tracks, weights=weights, k=per_user)
        # Evenly spaced starts (one every ~26 min for 20,000 plays a year) never overlap.
        step = year / per_user
        for index, track in enumerate(chosen):
            started = now - timedelta(seconds=year - index * step - rng.random() * step / 4)
            rows.append((user, track, started, 150.0, started + timedelta(seconds=150)))
    return rows


async def bulk_load(url: str, args: argparse.Namespace, now: datetime) -> list[uuid.UUID]:
    """Tracks, users and plays in bulk, then the counters derived from the plays."""
    rng = random.Random(13)
    engine = create_engine(url)
    tracks = track_rows(args.tracks, rng)
    users = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(args.users + 1)]
    started = time.perf_counter()
    async with engine.begin() as connection:
        for start in range(0, len(tracks), 5000):
            await connection.execute(insert(TrackRecord), tracks[start : start + 5000])
        await connection.execute(
            insert(UserRecord),
            [
                {
                    "id": user,
                    "username": f"listener{n}",
                    "username_key": f"listener{n}",
                    "password_hash": "-",
                    "role": "listener",
                    "is_active": True,
                }
                for n, user in enumerate(users)
            ],
        )
    plays = play_rows(args.plays, users[:-1], [row["id"] for row in tracks], rng, now, args.days)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            raw = await connection.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "plays",
                records=plays,
                columns=["user_id", "track_id", "started_at", "played_seconds", "recorded_at"],
            )
        else:
            keys = ("user_id", "track_id", "started_at", "played_seconds", "recorded_at")
            for start in range(0, len(plays), 50_000):
                chunk = [dict(zip(keys, row, strict=True)) for row in plays[start : start + 50_000]]
                await connection.execute(insert(PlayRecord), chunk)
        await connection.execute(
            insert(PlayCountRecord).from_select(
                ["user_id", "track_id", "play_count", "last_played_at"],
                select(
                    PlayRecord.user_id,
                    PlayRecord.track_id,
                    func.count(),
                    func.max(PlayRecord.started_at),
                ).group_by(PlayRecord.user_id, PlayRecord.track_id),
            )
        )
        counted = (
            select(func.count()).where(PlayRecord.track_id == TrackRecord.id).scalar_subquery()
        )
        await connection.execute(update(TrackRecord).values(play_count=counted))
        await connection.execute(text("ANALYZE"))
    print(
        f"  loaded {args.tracks:,} tracks, {args.users} users, {len(plays):,} plays "
        f"in {time.perf_counter() - started:.1f} s"
    )
    await engine.dispose()
    return users


async def timed(runs: int, call: Callable[[int], Awaitable[Any]]) -> float:
    """p50 of ``runs`` calls, in ms (two warm-up calls first)."""
    for warm in range(2):
        await call(-1 - warm)
    samples = []
    for index in range(runs):
        started = time.perf_counter()
        await call(index)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(url: str, users: list[uuid.UUID], runs: int, now: datetime) -> dict[str, float]:
    """The p50s of every scenario on one database."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    listeners = users[:-1]
    results: dict[str, float] = {}

    async def first_page(index: int) -> None:
        async with sessions() as session:
            page = page_request(TrackOrder.ARTIST, first=20, after=None, last=None, before=None)
            reader = Reader(listeners[index % len(listeners)])
            await list_tracks(
                session, reader=reader, order=TrackOrder.ARTIST, page=page, search=None
            )

    async def month_scan(_index: int) -> None:
        async with sessions() as session:
            since = now - timedelta(days=30)
            await session.scalar(
                select(func.count()).select_from(PlayRecord).where(PlayRecord.started_at >= since)
            )

    def top(
        period: PlayPeriod, scope: PlayScope, *, cold: bool = False
    ) -> Callable[[int], Awaitable[None]]:
        async def call(index: int) -> None:
            user = listeners[index % len(listeners)]
            async with sessions() as session:
                if cold:
                    forget_charts(session)  # as after a play counted in this process
                rows = await top_tracks(
                    session,
                    reader=Reader(user),
                    user_id=user,
                    period=period,
                    scope=scope,
                    limit=20,
                )
            assert len(rows) == 20

        return call

    fresh = users[-1]  # a listener without plays, so reports never overlap
    async with sessions() as session:
        found = await session.execute(
            select(TrackRecord.id, TrackRecord.duration_seconds).limit(runs + 2)
        )
        reported = [(row[0], row[1]) for row in found]

    async def report(index: int) -> None:
        async with sessions() as session:
            recorded = await record_play(
                session,
                reader=Reader(fresh),
                user_id=fresh,
                track_id=reported[index + 2][0],
                played_seconds=reported[index + 2][1],
                started_at=datetime.now(UTC) - timedelta(days=13) + timedelta(minutes=10 * index),
            )
        assert recorded.counted

    results["reference: tracks(first: 20)"] = await timed(runs, first_page)
    results["reference: count(*) of the month's plays"] = await timed(runs, month_scan)
    results["topTracks(MONTH, MINE)"] = await timed(runs, top(PlayPeriod.MONTH, PlayScope.MINE))
    results["topTracks(MONTH, EVERYONE), chart kept"] = await timed(
        runs, top(PlayPeriod.MONTH, PlayScope.EVERYONE)
    )
    results["topTracks(MONTH, EVERYONE), chart made"] = await timed(
        runs, top(PlayPeriod.MONTH, PlayScope.EVERYONE, cold=True)
    )
    results["topTracks(ALL, EVERYONE)"] = await timed(runs, top(PlayPeriod.ALL, PlayScope.EVERYONE))
    results["recordPlay"] = await timed(runs, report)
    await engine.dispose()
    return results


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    """Migrate, load and measure one database."""
    print(f"{name}:")
    upgrade_to_head(url)
    now = datetime.now(UTC)
    users = asyncio.run(bulk_load(url, args, now))
    return asyncio.run(measure(url, users, args.runs, now))


def main() -> int:
    """Parse arguments, run every backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--days", type=int, default=365, help="the plays span this many days")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    table: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tonearm-social-bench-") as folder:
        if "sqlite" in backends:
            table["sqlite"] = run_backend(
                "sqlite", f"sqlite+aiosqlite:///{folder}/tonearm.db", args
            )
        if "postgresql" in backends:
            import asyncpg

            from tests.support.postgres import database_url, temporary_cluster

            with temporary_cluster() as socket_dir:

                async def create() -> None:
                    connection = await asyncpg.connect(
                        host=socket_dir, user="postgres", database="postgres"
                    )
                    await connection.execute("CREATE DATABASE tonearm_bench")
                    await connection.close()

                asyncio.run(create())
                table["postgresql"] = run_backend(
                    "postgresql", database_url(socket_dir, "tonearm_bench"), args
                )
    names = list(next(iter(table.values())))
    print(f"\np50 in ms over {args.runs} runs ({args.plays:,} plays; target topTracks < 50 ms)")
    print(f"{'scenario':44}" + "".join(f"{backend:>12}" for backend in table))
    for name in names:
        cells = "".join(f"{table[backend][name]:12.2f}" for backend in table)
        print(f"{name:44}{cells}")
    missed = [
        f"{backend} {name}"
        for backend, results in table.items()
        for name, value in results.items()
        if name.startswith("topTracks(MONTH") and value >= TARGET_MS
    ]
    print("target met" if not missed else f"target missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
