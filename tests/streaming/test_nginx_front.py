"""``TONEARM_ACCEL=nginx`` with a real nginx in front of a real ``tonearm serve`` (granian).

nginx runs the configuration ``tonearm nginx-config --standalone`` prints; tonearm checks
every request and answers with ``X-Accel-Redirect``, nginx sends the bytes (and does Range,
If-Range, HEAD and 304 itself). Both run on loopback ports in a temp dir, once per database
backend. One tonearm worker, so its per-worker memo of confinement results is the one the
symlink-swap test primes.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from tests.conftest import BACKENDS, TEST_SECRET
from tests.streaming.test_real_server import _free_port, _wait_healthy
from tests.support.accounts import make_user
from tests.support.audio import write_mp3
from tests.support.postgres import database_url
from tonearm.catalog.access import Reader
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.db.engine import create_engine, create_session_factory
from tonearm.db.models import TrackRecord
from tonearm.shares import service
from tonearm.shares.access import ShareKind
from tonearm.streaming.accel import front_secret
from tonearm.streaming.tokens import StreamSigner
from tonearm.streaming.urls import stream_url
from tonearm.transcoding.store import VariantStore

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SONG = "Artist/Album/01 Song.mp3"
SWAP = "Artist/Album/02 Swap.mp3"
GONE = "Artist/Album/03 Gone.mp3"
LATE = "Artist/Album/04 Late.mp3"
# Latin-1 bytes, and characters an URI would otherwise take for a query, an escape, a fragment.
LATIN1 = b"Alb\xfcm/caf\xe9 100% #1?.mp3"
# Names a decision hands to nginx as they are: spaces, "%", "#", UTF-8, a Latin-1 byte.
SPACED = "Artist/Album/05 Ünïcode 100% & #2.mp3"
NAIVE = b"Alb\xfcm/na\xefve 50%.mp3"
SECRET_TEXT = b"root:x:0:0:outside the media root\n"
OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
NOT_FOUND = {"error": "not_found"}


@dataclass
class Front:
    """nginx in front of tonearm, and what the tests need to reach behind them."""

    base_url: str
    workdir: Path
    media: Path
    database: str
    ids: dict[bytes, uuid.UUID]
    user_id: uuid.UUID
    tonearm_url: str  # tonearm itself, bypassing nginx
    tokens: list[str] = field(default_factory=list)

    def url(
        self,
        name: bytes | str,
        *,
        variant: VariantKey | None = None,
        share_id: uuid.UUID | None = None,
        now: float | None = None,
        ttl: int = 3600,
    ) -> str:
        """A stream URL through nginx for the track at ``name`` (its token remembered)."""
        track_id = self.ids[os.fsencode(name)]
        minted = StreamSigner([TEST_SECRET], ttl).mint(
            track_id,
            user_id=None if share_id else self.user_id,
            variant=variant,
            share_id=share_id,
            now=now,
        )
        self.tokens.append(minted.token)
        return self.base_url + stream_url(track_id, minted.token)

    def path(self, name: bytes | str) -> Path:
        """The file of ``name`` under the media root."""
        return Path(os.fsdecode(os.path.join(os.fsencode(self.media), os.fsencode(name))))

    @property
    def access_log(self) -> bytes:
        """nginx's access log so far."""
        return (self.workdir / "nginx" / "access.log").read_bytes()

    @property
    def error_log(self) -> str:
        """nginx's error log so far."""
        return (self.workdir / "nginx" / "error.log").read_text(errors="replace")


def nginx_etag(path: Path) -> str:
    """The ETag nginx gives a file: its mtime in seconds and its size, in hex."""
    info = path.stat()
    return f'"{int(info.st_mtime):x}-{info.st_size:x}"'


async def _admin(socket_dir: str, statement: str) -> None:
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _prepare(database: str) -> tuple[uuid.UUID, dict[bytes, uuid.UUID]]:
    engine = create_engine(database)
    try:
        user = await make_user(engine, "listener")
        async with engine.connect() as connection:
            rows = (await connection.execute(select(TrackRecord.path, TrackRecord.id))).all()
    finally:
        await engine.dispose()
    return user.record.id, {os.fsencode(path): track_id for path, track_id in rows}


def _write_library(media: Path, outside: Path) -> None:
    for number, name in enumerate((SONG, SWAP, GONE, LATE), start=1):
        write_mp3(media / name, title=f"Song {number}", artist="Artist", seconds=12.0)
    latin1 = Path(os.fsdecode(os.path.join(os.fsencode(media), LATIN1)))
    write_mp3(latin1, title="Café", artist="Old Drive", seconds=6.0)
    write_mp3(media / SPACED, title="Ünïcode", artist="Artist", seconds=6.0)
    naive = Path(os.fsdecode(os.path.join(os.fsencode(media), NAIVE)))
    write_mp3(naive, title="Naïve", artist="Old Drive", seconds=6.0)
    outside.mkdir()
    (outside / "passwd").write_bytes(SECRET_TEXT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module", params=BACKENDS)
def front(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Front]:
    """``tonearm serve`` (TONEARM_ACCEL=nginx) and nginx with the generated config."""
    workdir = tmp_path_factory.mktemp(f"nginx-front-{request.param}")
    media = workdir / "media"
    _write_library(media, workdir / "outside")
    pg_database: str | None = None
    if request.param == "postgresql":
        socket_dir: str = request.getfixturevalue("postgres_socket")
        pg_database = f"tonearm_nginx_{os.getpid()}"
        asyncio.run(_admin(socket_dir, f'CREATE DATABASE "{pg_database}"'))
        database = database_url(socket_dir, pg_database)
    else:
        database = f"sqlite+aiosqlite:///{workdir / 'data' / 'tonearm.db'}"
    tonearm_port, nginx_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(workdir / "data"),
        "TONEARM_DATABASE_URL": database,
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(media),
        "TONEARM_FRONTEND_DIR": str(workdir / "no-frontend"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_ACCEL": "nginx",
        "TONEARM_WORKERS": "1",
        "TONEARM_WORKERS_EMBEDDED": "false",
    }
    nginx_dir = workdir / "nginx"
    (nginx_dir / "temp").mkdir(parents=True)
    tonearm = [sys.executable, "-m", "tonearm.cli"]
    config = subprocess.run(
        [
            *tonearm,
            "nginx-config",
            "--standalone",
            str(nginx_dir),
            "--listen",
            f"127.0.0.1:{nginx_port}",
            "--upstream",
            f"127.0.0.1:{tonearm_port}",
        ],
        env=env,
        capture_output=True,
        check=True,
    )
    (nginx_dir / "nginx.conf").write_bytes(config.stdout)
    # Started as root (as here), nginx's workers would drop to nobody, who cannot enter
    # pytest's private temp folders.
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    server_log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [*tonearm, "serve", "--scan", "--host", "127.0.0.1", "--port", str(tonearm_port)],
        cwd=workdir,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    nginx_out = (nginx_dir / "stdout.log").open("wb")
    nginx = subprocess.Popen(
        [NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-g", globals_],
        stdout=nginx_out,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{nginx_port}"
    try:
        _wait_healthy(server, base_url, workdir / "server.log")  # through nginx
        user_id, ids = asyncio.run(_prepare(database))
        yield Front(
            base_url, workdir, media, database, ids, user_id, f"http://127.0.0.1:{tonearm_port}"
        )
    finally:
        _stop(nginx)
        _stop(server)
        server_log.close()
        nginx_out.close()
        if pg_database is not None:
            asyncio.run(_admin(socket_dir, f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)'))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client that sends exactly the headers a test gives."""
    with httpx.Client(timeout=30) as client:
        yield client


def test_the_whole_file_comes_from_nginx_with_the_headers_tonearm_owns(
    front: Front, http: httpx.Client
) -> None:
    data = front.path(SONG).read_bytes()

    response = http.get(front.url(SONG))

    assert response.status_code == 200
    assert response.content == data
    headers = response.headers
    assert headers["server"] == "nginx"
    assert headers["content-length"] == str(len(data))
    assert headers["content-type"] == "audio/mpeg"
    assert headers["content-disposition"] == 'inline; filename="Artist - Song 1.mp3"'
    # Floored by the decision's keep (2 s): what nginx passes on still holds when it is used.
    assert re.fullmatch(r"private, max-age=(359[6-9]|3600)", headers["cache-control"])
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"] == nginx_etag(front.path(SONG))
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "x-accel-redirect" not in headers


def test_a_range_is_answered_by_nginx_byte_exact(front: Front, http: httpx.Client) -> None:
    data = front.path(SONG).read_bytes()

    response = http.get(front.url(SONG), headers={"Range": "bytes=1000-66535"})

    assert response.status_code == 206
    assert response.content == data[1000:66536]
    assert response.headers["content-range"] == f"bytes 1000-66535/{len(data)}"
    assert response.headers["content-length"] == "65536"


@pytest.mark.parametrize("forged", [None, "0" * 64, ""])
def test_a_client_reaching_tonearm_directly_gets_the_bytes_and_no_path(
    front: Front, http: httpx.Client, forged: str | None
) -> None:
    data = front.path(SONG).read_bytes()
    url = front.url(SONG).replace(front.base_url, front.tonearm_url)
    headers = {"Range": "bytes=1000-66535"}
    if forged is not None:
        headers["X-Tonearm-Front"] = forged

    response = http.get(url, headers=headers)

    assert response.status_code == 206
    assert response.content == data[1000:66536]
    assert "x-accel-redirect" not in response.headers
    assert response.headers["content-range"] == f"bytes 1000-66535/{len(data)}"


def test_a_suffix_range(front: Front, http: httpx.Client) -> None:
    data = front.path(SONG).read_bytes()

    response = http.get(front.url(SONG), headers={"Range": "bytes=-500"})

    assert response.status_code == 206
    assert response.content == data[-500:]
    assert (
        response.headers["content-range"] == f"bytes {len(data) - 500}-{len(data) - 1}/{len(data)}"
    )


def test_several_ranges_come_as_multipart_byteranges(front: Front, http: httpx.Client) -> None:
    data = front.path(SONG).read_bytes()

    response = http.get(front.url(SONG), headers={"Range": "bytes=0-99,5000-5999"})

    assert response.status_code == 206
    match = re.fullmatch(r"multipart/byteranges; boundary=(\d+)", response.headers["content-type"])
    assert match is not None
    delimiter = b"--" + match.group(1).encode()
    expected = (
        b"\r\n"
        + delimiter
        + b"\r\nContent-Type: audio/mpeg\r\n"
        + f"Content-Range: bytes 0-99/{len(data)}\r\n\r\n".encode()
        + data[:100]
        + b"\r\n"
        + delimiter
        + b"\r\nContent-Type: audio/mpeg\r\n"
        + f"Content-Range: bytes 5000-5999/{len(data)}\r\n\r\n".encode()
        + data[5000:6000]
        + b"\r\n"
        + delimiter
        + b"--\r\n"
    )
    assert response.content == expected


def test_an_unsatisfiable_range_is_416(front: Front, http: httpx.Client) -> None:
    size = front.path(SONG).stat().st_size

    response = http.get(front.url(SONG), headers={"Range": f"bytes={size}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


def test_if_range_with_nginx_etag_gives_the_range_and_with_another_the_whole_file(
    front: Front, http: httpx.Client
) -> None:
    data = front.path(SONG).read_bytes()
    etag = nginx_etag(front.path(SONG))

    matching = http.get(front.url(SONG), headers={"Range": "bytes=10-19", "If-Range": etag})
    other = http.get(front.url(SONG), headers={"Range": "bytes=10-19", "If-Range": '"1-2"'})

    assert (matching.status_code, matching.content) == (206, data[10:20])
    assert (other.status_code, other.content) == (200, data)


def test_if_none_match_is_304(front: Front, http: httpx.Client) -> None:
    etag = nginx_etag(front.path(SONG))

    response = http.get(front.url(SONG), headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_head_describes_the_file_without_a_body(front: Front, http: httpx.Client) -> None:
    size = front.path(SONG).stat().st_size

    response = http.head(front.url(SONG))

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(size)
    assert response.headers["content-type"] == "audio/mpeg"


def test_a_name_that_is_not_utf8_is_served_byte_exact(front: Front, http: httpx.Client) -> None:
    data = front.path(LATIN1).read_bytes()

    whole = http.get(front.url(LATIN1))
    part = http.get(front.url(LATIN1), headers={"Range": "bytes=100-199"})

    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["content-disposition"] == (
        'inline; filename="Old Drive - Cafe.mp3"; '
        "filename*=UTF-8''Old%20Drive%20-%20Caf%C3%A9.mp3"
    )
    assert (part.status_code, part.content) == (206, data[100:200])


@pytest.mark.parametrize(
    ("mangle", "status", "body"),
    [
        (lambda url: url.split("?")[0], 401, {"error": "missing_token"}),
        (
            lambda url: url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"),
            403,
            {"error": "invalid_token"},
        ),
    ],
)
def test_a_bad_token_gets_tonearms_refusal_unchanged(
    front: Front, http: httpx.Client, mangle: object, status: int, body: dict[str, str]
) -> None:
    url = mangle(front.url(SONG))  # type: ignore[operator]

    response = http.get(url)

    assert response.status_code == status
    assert response.json() == body
    assert response.headers["content-type"] == "application/json"
    # nginx keeps tonearm's Cache-Control of the redirect and adds no-store, which wins.
    assert "no-store" in response.headers["cache-control"].split(", ")
    if status == 401:
        assert response.headers["www-authenticate"] == 'StreamToken realm="tonearm"'


def test_an_expired_token_is_403(front: Front, http: httpx.Client) -> None:
    response = http.get(front.url(SONG, now=time.time() - 7200, ttl=60))

    assert response.status_code == 403
    assert response.json() == {"error": "expired_token"}


def test_the_internal_locations_cannot_be_asked_for_directly(
    front: Front, http: httpx.Client
) -> None:
    response = http.get(front.base_url + "/_tonearm/accel/media/Artist/Album/01%20Song.mp3")

    assert response.status_code == 404
    assert b"ID3" not in response.content[:3]


def test_a_file_gone_before_tonearm_looks_is_404(front: Front, http: httpx.Client) -> None:
    front.path(GONE).rename(front.workdir / "gone.mp3")
    try:
        response = http.get(front.url(GONE))
    finally:
        (front.workdir / "gone.mp3").rename(front.path(GONE))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_file_gone_after_tonearms_decision_is_nginxs_404_in_tonearms_words(
    front: Front, http: httpx.Client
) -> None:
    assert http.get(front.url(LATE), headers={"Range": "bytes=0-1"}).status_code == 206
    front.path(LATE).rename(front.workdir / "late.mp3")
    try:
        response = http.get(front.url(LATE))  # tonearm remembers the location (≤ 5 s)
    finally:
        (front.workdir / "late.mp3").rename(front.path(LATE))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    # nginx keeps tonearm's Cache-Control of the redirect and adds no-store, which wins.
    assert "no-store" in response.headers["cache-control"].split(", ")


def test_a_symlink_swapped_in_after_tonearms_check_is_refused_by_nginx(
    front: Front, http: httpx.Client
) -> None:
    original = front.path(SWAP)
    kept = front.workdir / "swap.mp3"
    outside = front.workdir / "outside" / "passwd"
    for _attempt in range(5):
        before = front.error_log
        # tonearm confines the real file and remembers that for a few seconds ...
        assert http.get(front.url(SWAP), headers={"Range": "bytes=0-1"}).status_code == 206
        original.rename(kept)
        original.symlink_to(outside)  # ... then it becomes a symlink out of the root
        try:
            response = http.get(front.url(SWAP))
        finally:
            original.unlink()
            kept.rename(original)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert SECRET_TEXT not in response.content
        if "Too many levels of symbolic links" in front.error_log[len(before) :]:
            return  # nginx itself refused the path tonearm had named
        # Slower than tonearm's memo here: tonearm looked afresh and refused it itself.
    pytest.fail("tonearm never named the swapped path to nginx within its memo's life")


def test_a_symlink_out_of_the_root_is_refused_by_tonearm(front: Front, http: httpx.Client) -> None:
    original = front.path(SWAP)
    kept = front.workdir / "swap-2.mp3"
    original.rename(kept)
    original.symlink_to(front.workdir / "outside" / "passwd")
    try:
        time.sleep(5.5)  # let any remembered location of it run out
        response = http.get(front.url(SWAP))
    finally:
        original.unlink()
        kept.rename(original)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert SECRET_TEXT not in response.content


def test_a_stored_variant_comes_from_nginx_and_a_first_play_from_tonearm(
    front: Front, http: httpx.Client
) -> None:
    track_id = front.ids[SONG.encode()]
    stored = VariantStore.in_data_dir(front.workdir / "data").path_for(track_id, OPUS_96)

    first = http.get(front.url(SONG, variant=OPUS_96))

    assert first.status_code == 200
    assert first.headers["x-tonearm-variant"] == "encoding"  # tonearm's own response
    assert first.headers["accept-ranges"] == "none"
    assert "content-length" not in first.headers
    assert first.content == stored.read_bytes()

    again = http.get(front.url(SONG, variant=OPUS_96))
    part = http.get(front.url(SONG, variant=OPUS_96), headers={"Range": "bytes=100-299"})

    assert again.status_code == 200
    assert again.content == stored.read_bytes()
    assert again.headers["content-type"] == "audio/ogg"
    assert again.headers["content-length"] == str(stored.stat().st_size)
    assert again.headers["etag"] == nginx_etag(stored)
    assert again.headers["content-disposition"] == 'inline; filename="Artist - Song 1.ogg"'
    assert "x-tonearm-variant" not in again.headers
    assert (part.status_code, part.content) == (206, stored.read_bytes()[100:300])


def test_a_time_offset_is_encoded_by_tonearm(front: Front, http: httpx.Client) -> None:
    response = http.get(front.url(SONG, variant=OPUS_96) + "&start=6")

    assert response.status_code == 200
    assert response.headers["x-tonearm-variant"] == "encoding"
    assert response.content.startswith(b"OggS")


async def _share_and_revoke(
    database: str, track_id: uuid.UUID, *, revoke: uuid.UUID | None
) -> uuid.UUID:
    engine = create_engine(database)
    try:
        async with create_session_factory(engine)() as session:
            if revoke is not None:
                assert await service.revoke_share(
                    session, reader=Reader(None, is_admin=True), share_id=revoke
                )
                await session.commit()
                return revoke
            owner = await make_user(engine, f"owner-{uuid.uuid4().hex[:8]}")
            record = await service.create_share(
                session,
                reader=Reader(owner.record.id),
                request=service.ShareRequest(kind=ShareKind.TRACK, target_id=track_id),
                max_days=90,
            )
            await session.commit()
            return record.id
    finally:
        await engine.dispose()


def test_a_revoked_share_stops_within_its_bound(front: Front, http: httpx.Client) -> None:
    track_id = front.ids[SONG.encode()]
    share_id = asyncio.run(_share_and_revoke(front.database, track_id, revoke=None))
    url = front.url(SONG, share_id=share_id)
    ranged = {"Range": "bytes=0-99"}
    assert http.get(url, headers=ranged).status_code == 206

    asyncio.run(_share_and_revoke(front.database, track_id, revoke=share_id))
    revoked_at = time.monotonic()
    statuses: list[int] = []
    # tonearm's own memo (5 s) and nginx's keep of a decision (2 s).
    while time.monotonic() - revoked_at < 10.0 and statuses[-2:] != [404, 404]:
        statuses.append(http.get(url, headers=ranged).status_code)
        time.sleep(0.2)

    assert statuses[-2:] == [404, 404], statuses
    assert set(statuses) <= {206, 404}
    assert http.get(url).json() == NOT_FOUND


def _decisions(front: Front, agent: str, sent: int) -> list[bytes]:
    """The decision status (nginx's cache status) of the ``sent`` requests made as ``agent``.

    nginx logs a request after its response has gone, so a client can read the log before
    the last line is there: wait (a few seconds at most) until every request is logged.
    """
    deadline = time.monotonic() + 10
    while True:
        log = front.access_log.splitlines()
        lines = [line for line in log if f'"{agent}"'.encode() in line]
        if len(lines) >= sent or time.monotonic() > deadline:
            return [line.rsplit(b" ", 1)[1] for line in lines]
        time.sleep(0.02)


@pytest.mark.parametrize("name", [SONG, SPACED, NAIVE], ids=["plain", "utf8-spaces", "latin1"])
def test_seeks_are_decided_once_then_served_from_nginxs_memory(
    front: Front, http: httpx.Client, name: str | bytes
) -> None:
    data = front.path(name).read_bytes()
    url = front.url(name)
    agent = f"seeker-{uuid.uuid4()}"

    parts = [
        http.get(url, headers={"Range": f"bytes={start}-{start + 999}", "User-Agent": agent})
        for start in (0, 5000, 20000, 1000, 9000)
    ]

    for start, part in zip((0, 5000, 20000, 1000, 9000), parts, strict=True):
        assert (part.status_code, part.content) == (206, data[start : start + 1000])
        assert part.headers["content-type"] == "audio/mpeg"
    decisions = _decisions(front, agent, len(parts))
    assert decisions[0] == b"MISS"
    assert b"HIT" in decisions[1:]  # the four quick seeks that followed: kept for 2 s


def test_a_name_a_decision_cannot_carry_is_declined_each_time_and_served_in_full(
    front: Front, http: httpx.Client
) -> None:
    data = front.path(LATIN1).read_bytes()  # its "?" would end a try_files URI
    url = front.url(LATIN1)
    agent = f"declined-{uuid.uuid4()}"

    parts = [http.get(url, headers={"Range": "bytes=0-99", "User-Agent": agent}) for _ in "ab"]

    assert [(p.status_code, p.content) for p in parts] == [(206, data[:100])] * 2
    assert _decisions(front, agent, len(parts)) == [b"MISS", b"MISS"]  # a decline is never kept


def _ask(front: Front, http: httpx.Client, url: str, **headers: str) -> httpx.Response:
    """Ask tonearm itself for a decision, as nginx's auth_request does."""
    asked = {"X-Tonearm-Front": front_secret(TEST_SECRET), "X-Tonearm-Decide": "1", **headers}
    return http.get(front.tonearm_url + url.removeprefix(front.base_url), headers=asked)


def test_a_decision_names_the_raw_file_and_is_never_kept_past_the_token(
    front: Front, http: httpx.Client
) -> None:
    long = _ask(front, http, front.url(NAIVE))
    short = _ask(front, http, front.url(NAIVE, ttl=2))

    assert (long.status_code, long.content) == (200, b"")
    assert dict(long.headers.raw)[b"x-tonearm-file"] == (b"/_tonearm/accel/media/" + NAIVE)
    assert long.headers["x-tonearm-type"] == "audio/mpeg"
    assert long.headers["x-accel-expires"] == "2"
    assert re.fullmatch(r"private, max-age=359[6-8]", long.headers["x-tonearm-cache-control"])
    assert "x-accel-redirect" not in long.headers
    assert short.headers["x-accel-expires"] in {"0", "1"}  # never as long as the token lives


@pytest.mark.parametrize(
    ("url_of", "headers"),
    [
        (lambda front: front.url(SONG)[:-3] + "AAA", {}),  # a bad signature
        (lambda front: f"{front.base_url}/api/tracks/{uuid.uuid4()}/stream?token=x", {}),
        (lambda front: front.url(SONG), {"X-Tonearm-Ranges": "several"}),
        (lambda front: front.url(LATIN1), {}),
    ],
    ids=["bad-token", "unknown-track", "several-ranges", "unnameable"],
)
def test_everything_else_is_declined_with_an_empty_403(
    front: Front, http: httpx.Client, url_of: object, headers: dict[str, str]
) -> None:
    response = _ask(front, http, url_of(front), **headers)  # type: ignore[operator]

    assert (response.status_code, response.content) == (403, b"")
    assert not any(name.startswith("x-tonearm") for name in response.headers)
    assert "x-accel-expires" not in response.headers


def test_a_client_cannot_ask_for_a_decision_without_nginxs_secret(
    front: Front, http: httpx.Client
) -> None:
    url = front.tonearm_url + front.url(SONG).removeprefix(front.base_url)

    response = http.get(url, headers={"X-Tonearm-Decide": "1", "Range": "bytes=0-9"})

    assert (response.status_code, response.content) == (206, front.path(SONG).read_bytes()[:10])
    assert not any(name.startswith("x-tonearm") for name in response.headers)


def test_zz_no_token_ever_reaches_nginxs_access_log(front: Front, http: httpx.Client) -> None:
    http.get(front.url(SONG), headers={"Range": "bytes=0-1"})
    log = front.access_log

    assert front.tokens
    assert b"/api/tracks/" in log
    assert b"token" not in log
    for token in front.tokens:
        assert token.encode() not in log
    # A stream is logged by the path it was asked for, not by the internal URI of its file.
    streams = [line for line in log.splitlines() if b"/api/tracks/" in line]
    assert streams
    assert all(b"_tonearm/accel" not in line for line in streams)
    assert all(
        re.search(rb'"(GET|HEAD) /api/tracks/[0-9a-f-]{36}/stream HTTP', line) for line in streams
    )
