"""GraphQL API throughput and latency against a 100,000-track, 10,000-album registry.

    .venv/bin/python benchmarks/graphql_api.py [--tracks 100000] [--duration 10] [--connections 8]
        [--stream-url]

(Not ``graphql.py``: run as a script, that name would shadow the ``graphql`` package.)

Builds a temporary SQLite registry (track rows from the catalog's row builder inserted in
bulk, then the scan's own grouping phase makes the albums, artists and links; nine albums
in ten get an artwork row), starts the real server (``tonearm serve``, granian, one worker)
and, for comparison, a minimal FastAPI app that returns the same 100 rows as plain JSON
(``benchmarks/plain_app.py``, same granian), both on loopback. Each scenario is measured
with ``wrk`` (fixed connections and duration):

  (a) ``tracks(first: 100)`` with every scalar field
  (b) the same page after the 50,000th track (keyset cursor built from that row)
  (c) a two-word search, first 100 matches
  (d) ``albums(first: 50)`` with title, credit, year, cover art and album artists
  (e) ``album(id)`` with its tracks (title, duration, number)
  plain: ``GET /tracks`` on the plain app
  reference: (a) on tonearm with the flat-field fast path off (``benchmarks/reference_app.py``,
  every field through graphql-core), to show what the fast path buys

Targets (issue 3): (a) and (b) p50 < 25 ms, (b) within 20 % of (a), (c) p50 < 50 ms,
GraphQL at least 50 % of the plain endpoint's requests/s; (issue 10): (d) p50 < 15 ms,
(e) p50 < 10 ms. ``--stream-url`` also selects ``streamUrl { url expiresAt }`` on every
track (one signed token per row).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from strawberry.relay import GlobalID

from tonearm.accounts.api_tokens import create_api_token
from tonearm.accounts.users import create_user
from tonearm.catalog.pagination import TrackOrder, encode_cursor
from tonearm.catalog.rows import track_row
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.migrations import upgrade_to_head
from tonearm.db.models import AlbumRecord, ArtworkRecord, TrackRecord
from tonearm.library.grouping import GroupingChanges, group_tracks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
# Every scalar of a track: 17 fields, as many as the plain app returns (``format`` stands in
# for the album title, which is an object now).
FIELDS = (
    "id title artist format albumArtist trackNumber discNumber year genre durationSeconds "
    "bitrate sampleRate channels sizeBytes mimeType createdAt updatedAt"
)
PAGE = (
    "query($after: String, $search: String) { tracks(first: 100, after: $after, "
    f"search: $search) {{ edges {{ cursor node {{ {FIELDS} }} }} "
    "pageInfo { hasNextPage endCursor } } }"
)
STREAM_URL = "streamUrl { url expiresAt }"
ALBUMS = (
    "{ albums(first: 50) { edges { node { title artistCredit year "
    "coverArt { url placeholder } artists { name } } } } }"
)
ALBUM = "query($id: ID!) { album(id: $id) { title tracks { title durationSeconds trackNumber } } }"
TRACKS_PER_ALBUM = 10
SEARCH = "love ni"
WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def vocabulary(rng: random.Random, size: int, syllables: list[str]) -> list[str]:
    """Pseudo-words built from syllables, capitalized."""
    return [
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(size)
    ]


def build_rows(count: int) -> list[dict[str, Any]]:
    """``count`` tracks: 2,000 artists, ``count / 10`` albums of ten tracks, titles from a
    600-word vocabulary; every seventh track has a guest (``feat.``)."""
    rng = random.Random(3)
    syllables = ["ka", "lo", "mi", "ra", "ve", "ni", "to", "su", "be", "at", "el", "on", "ja"]
    words = [*vocabulary(rng, 600, syllables), "Love", "Night", "Beyoncé", "Björk"]
    artists = vocabulary(rng, 2000, syllables)
    epoch = datetime(2025, 1, 1, tzinfo=UTC)
    album_titles = [
        f"{rng.choice(words)} {rng.choice(words)}" for _ in range(count // TRACKS_PER_ALBUM + 1)
    ]
    rows = []
    for index in range(count):
        number = index // TRACKS_PER_ALBUM
        artist = artists[number % len(artists)]
        guest = f" feat. {artists[(number * 7 + index) % len(artists)]}" if index % 7 == 0 else ""
        title = f"{rng.choice(words)} {rng.choice(words)}"
        row = track_row(
            path=f"{artist}/{number}/{index:06d}.mp3",
            title=title,
            artist=f"{artist}{guest}",
            album=f"{album_titles[number]} {number}",
            album_artist=artist,
            track_number=index % TRACKS_PER_ALBUM + 1,
            disc_number=1,
            year=1960 + number % 60,
            genre="Rock",
            duration_seconds=float(rng.randint(60, 600)),
            bitrate=256_000,
            sample_rate=44_100,
            channels=2,
            size_bytes=5_000_000 + index,
            mtime_ns=index,
            mime_type="audio/mpeg",
        )
        moment = epoch + timedelta(seconds=index)
        rows.append(
            {
                **row,
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "created_at": moment,
                "updated_at": moment,
            }
        )
    return rows


async def add_artworks(engine: Any) -> int:
    """An artwork row (as the artwork phase records one) for nine albums in ten."""
    async with engine.begin() as connection:
        album_ids = (
            await connection.scalars(select(AlbumRecord.id).order_by(AlbumRecord.row_id))
        ).all()
        covered = [album_id for number, album_id in enumerate(album_ids) if number % 10]
        moment = datetime(2025, 1, 1, tzinfo=UTC)
        artworks = [
            {
                "hash": album_id.hex * 2,
                "width": 1400,
                "height": 1400,
                "sizes": [64, 300, 600, 1200],
                "color": f"#{album_id.hex[:6]}",
                "created_at": moment,
            }
            for album_id in covered
        ]
        for start in range(0, len(artworks), 5000):
            await connection.execute(insert(ArtworkRecord), artworks[start : start + 5000])
        await connection.execute(
            update(AlbumRecord)
            .where(AlbumRecord.id == bindparam("album"))
            .values(artwork_hash=bindparam("artwork")),
            [{"album": album_id, "artwork": album_id.hex * 2} for album_id in covered],
        )
    return len(covered)


async def build_registry(url: str, count: int) -> tuple[str, str, str]:
    """Insert the rows, group them into albums, add artworks and a listener with a token.

    Returns the ARTIST-order cursor of the 50,000th track (or the middle one), the token and
    the global id of the middle album.
    """
    engine = create_engine(url)
    rows = build_rows(count)
    async with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(TrackRecord), rows[start : start + 5000])
    started = time.perf_counter()
    sessions = create_session_factory(engine)
    await group_tracks(sessions, GroupingChanges(written_paths=[row["path"] for row in rows]))
    covered = await add_artworks(engine)
    print(f"grouping and artworks: {time.perf_counter() - started:.1f} s ({covered} covers)")
    async with sessions.begin() as session:
        user = await create_user(session, username="bench", password="benchmark-password")
        _, token = await create_api_token(session, user=user, name="benchmark")
    async with engine.connect() as connection:
        middle = (
            await connection.execute(
                select(TrackRecord.sort_library, TrackRecord.id)
                .order_by(TrackRecord.sort_library, TrackRecord.id)
                .offset(min(50_000, count // 2) - 1)
                .limit(1)
            )
        ).one()
        albums = int(await connection.scalar(select(func.count()).select_from(AlbumRecord)) or 0)
        album_id = await connection.scalar(
            select(AlbumRecord.id).order_by(AlbumRecord.sort_artist).offset(albums // 2).limit(1)
        )
    await engine.dispose()
    print(f"albums: {albums}")
    cursor = encode_cursor(TrackOrder.ARTIST, TrackRecord(sort_library=middle[0], id=middle[1]))
    return cursor, token, str(GlobalID("Album", str(album_id)))


def wait_until_up(url: str, timeout: float = 60) -> None:
    """Poll ``url`` until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answered: up (the plain app wants a token)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


def post(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    """One JSON POST (to check a scenario answers correctly before loading it)."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
    return result


@dataclass
class Measurement:
    """What wrk reported for one scenario."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    name: str,
    url: str,
    body: dict[str, Any] | None,
    *,
    duration: int,
    connections: int,
    workdir: Path,
    token: str,
) -> Measurement:
    """Load ``url`` with wrk (one thread, ``connections`` connections)."""
    script = workdir / f"{name}.lua"
    script.write_text(
        WRK_SCRIPT.format(
            method="POST" if body else "GET",
            body=json.dumps(json.dumps(body)) if body else '""',
            token=token,
        )
    )
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output:
        raise RuntimeError(f"{name}: errors under load\n{output}")
    return Measurement(name, rps, p50, p99)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server process, its output going to ``log``."""
    handle = log.open("wb")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


def granian(factory: str, port: int, env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    """One granian worker serving the app ``factory`` builds, logging into ``workdir``."""
    command = [
        str(VENV_BIN / "granian"),
        *("--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port)),
        *("--no-log", factory),
    ]
    module = factory.partition(":")[0].rpartition(".")[2]
    return start(command, env, workdir / f"{module}.log")


def main() -> int:
    """Build the registry, start both servers, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--stream-url", action="store_true", help="select Track.streamUrl too")
    args = parser.parse_args()
    page = PAGE.replace(FIELDS, f"{FIELDS} {STREAM_URL}") if args.stream_url else PAGE
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="tonearm-bench-"))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        url = f"sqlite+aiosqlite:///{workdir / 'tonearm.db'}"
        upgrade_to_head(url)
        started = time.perf_counter()
        cursor, token, album_id = asyncio.run(build_registry(url, args.tracks))
        print(f"registry: {args.tracks} tracks in {time.perf_counter() - started:.1f} s")
        (workdir / "media").mkdir()
        env = {
            **os.environ,
            "TONEARM_DATABASE_URL": url,
            "TONEARM_DATA_DIR": str(workdir),
            "TONEARM_MEDIA_ROOT": str(workdir / "media"),
            "TONEARM_LOG_LEVEL": "warning",
            "TONEARM_SECRET_KEY": "benchmark-secret-key-0123456789",
            "PYTHONPATH": str(ROOT),
        }
        api_port, plain_port, reference_port = free_port(), free_port(), free_port()
        servers.append(
            start(
                [
                    str(VENV_BIN / "tonearm"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(api_port),
                ],
                env,
                workdir / "api.log",
            )
        )
        servers.append(granian("benchmarks.plain_app:create_app", plain_port, env, workdir))
        servers.append(granian("benchmarks.reference_app:create_app", reference_port, env, workdir))
        reference = f"http://127.0.0.1:{reference_port}/graphql"
        wait_until_up(f"http://127.0.0.1:{reference_port}/healthz")
        api = f"http://127.0.0.1:{api_port}/graphql"
        plain = f"http://127.0.0.1:{plain_port}/tracks"
        wait_until_up(f"http://127.0.0.1:{api_port}/healthz")
        wait_until_up(plain)

        scenarios = {
            "(a) tracks(first:100)": {"query": page, "variables": {}},
            "(b) after 50,000th": {"query": page, "variables": {"after": cursor}},
            f"(c) search {SEARCH!r}": {"query": page, "variables": {"search": SEARCH}},
            "(d) albums(first:50)": {"query": ALBUMS, "variables": {}},
            "(e) album(id) + tracks": {"query": ALBUM, "variables": {"id": album_id}},
        }
        for name, body in scenarios.items():
            answer = post(api, body, token)
            data = answer.get("data") or {}
            found = (
                data["album"]["tracks"] if "album" in data else next(iter(data.values()))["edges"]
            )
            if "errors" in answer or not found:
                raise RuntimeError(f"{name}: unexpected answer {answer}")
            print(f"{name}: {len(found)} items")
        targets: list[tuple[str, str, dict[str, Any] | None]] = [
            (f"s{i}", api, body) for i, body in enumerate(scenarios.values())
        ]
        targets.append(("plain", plain, None))
        targets.append(("reference", reference, scenarios["(a) tracks(first:100)"]))
        if post(reference, scenarios["(a) tracks(first:100)"], token) != post(
            api, scenarios["(a) tracks(first:100)"], token
        ):
            raise RuntimeError("the reference server answers (a) differently")
        names = [*scenarios, "plain FastAPI GET /tracks", "(a) without the fast path"]
        loaded = [
            run_wrk(
                key,
                url,
                body,
                duration=args.duration,
                connections=args.connections,
                workdir=workdir,
                token=token,
            )
            for key, url, body in targets
        ]
        unloaded = [
            run_wrk(
                key, url, body, duration=args.duration, connections=1, workdir=workdir, token=token
            )
            for key, url, body in targets
        ]
        print_table(names, loaded, unloaded, args)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def print_table(
    names: list[str],
    loaded: list[Measurement],
    unloaded: list[Measurement],
    args: argparse.Namespace,
) -> None:
    """Both passes, the ratio GraphQL/plain, and the targets."""
    c = args.connections
    print(
        f"\n{args.tracks} tracks, wrk 1 thread, {args.duration} s per run, loopback, one "
        f"granian worker per server; c=1 is one connection, c={c} is {c} connections\n"
    )
    print(
        f"{'scenario':<28}{'req/s c=1':>11}{'p50 c=1':>9}{'p99 c=1':>9}"
        f"{f'req/s c={c}':>11}{f'p50 c={c}':>9}{f'p99 c={c}':>9}   (ms)"
    )
    for name, one, many in zip(names, unloaded, loaded, strict=True):
        print(
            f"{name:<28}{one.requests_per_second:>11.1f}{one.p50_ms:>9.2f}{one.p99_ms:>9.2f}"
            f"{many.requests_per_second:>11.1f}{many.p50_ms:>9.2f}{many.p99_ms:>9.2f}"
        )
    first, deep, search, albums, album, plain, reference = unloaded
    ratio = loaded[0].requests_per_second / loaded[5].requests_per_second
    print(f"\nGraphQL (a) / plain throughput at c={c}: {ratio:.2f}")
    gain = loaded[0].requests_per_second / loaded[6].requests_per_second
    print(
        f"fast path: (a) req/s at c={c} x{gain:.2f} of graphql-core's execution; "
        f"p50 at c=1 {first.p50_ms:.2f} ms against {reference.p50_ms:.2f} ms"
    )
    checks = {
        "(a) p50 < 25 ms (c=1)": first.p50_ms < 25,
        "(b) p50 < 25 ms (c=1)": deep.p50_ms < 25,
        "(b) within 20 % of (a) (c=1)": deep.p50_ms <= first.p50_ms * 1.2,
        "(c) p50 < 50 ms (c=1)": search.p50_ms < 50,
        f"GraphQL >= 50 % of plain (c={c})": ratio >= 0.5,
        "(d) p50 < 15 ms (c=1)": albums.p50_ms < 15,
        "(e) p50 < 10 ms (c=1)": album.p50_ms < 10,
    }
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {label}")
    del plain


if __name__ == "__main__":
    raise SystemExit(main())
