"""Benchmark uploads: tus and GraphQL multipart into ``tonearm serve`` against nginx PUT.

In one run, on loopback:

* tonearm: the real ``tonearm serve`` (granian), accounts on, a bearer token;
  (a) one 500 MB file by tus: a creation ``POST``, then raw ``PATCH`` requests of 8 MiB
      (httpx, one keep-alive connection), each fsynced by the server before it answers;
      then ``finishUpload`` of it, timed apart (SHA-256 and probe; random bytes: NotAudio);
  (b) 200 small MP3s (~256 KB each, tagged apart so no two are duplicates) in one
      ``uploadTracks`` GraphQL multipart request (each is probed, stored and registered);
* nginx (the reference): a generated config with a ``dav_methods PUT`` location and
  ``client_max_body_size 0``; ``curl -T`` PUTs of the same bytes: (a) the one file,
  (b) the 200 files over one connection (curl's ``-T "{a,b,…}"``).

Figures: MB/s (10^6 bytes per second of wall time, request start to last answer) and the
peak resident memory of each server's process tree (VmRSS summed over the supervisor and
its workers, sampled every 20 ms), with the idle memory before the case for reference. No
assertions: this prints figures.

Usage: ``.venv/bin/python benchmarks/uploads.py [--size-mb 500] [--small 200] [--workers N]``.
The small MP3s are generated once and cached under ``~/.cache/tonearm-bench/uploads``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import free_port, running, tree_rss_mb, wait_http  # noqa: E402
from tonearm.settings import choose_worker_count  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdef"  # noqa: S105 - throwaway, loopback only
CHUNK = 8 * 1024 * 1024
CACHE = Path.home() / ".cache" / "tonearm-bench" / "uploads"
SMALL_SECONDS = 16  # 16 s at 128 kbps: ~256 KB
UPLOAD_TRACKS = """
mutation Upload($files: [Upload!]!) {
  uploadTracks(files: $files) {
    __typename
    ... on UploadBatch { results { __typename } }
  }
}
"""


@dataclass
class Figure:
    """One case on one server."""

    seconds: float
    bytes: int
    idle_rss_mb: float
    peak_rss_mb: float
    note: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds


def measured(pid: int, size: int, work: Callable[[], str]) -> Figure:
    """Time ``work`` while sampling the memory of ``pid``'s tree."""
    idle = tree_rss_mb(pid)
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        note = work()
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    return Figure(elapsed, size, idle, peak[0], note)


def big_file(path: Path, size: int) -> None:
    """``size`` random-looking bytes (not audio: the transfer is what is timed)."""
    block = os.urandom(CHUNK)
    with path.open("wb") as out:
        left = size
        while left:
            piece = block[: min(left, len(block))]
            out.write(piece)
            left -= len(piece)
            block = block[1:] + block[:1]  # no two chunks alike


def small_files(count: int) -> list[Path]:
    """``count`` tagged MP3s of ~256 KB, generated once and cached."""
    from mutagen.id3 import ID3, TALB, TIT2, TPE1

    from tonearm.library.demo import encode_mp3, synthesize

    CACHE.mkdir(parents=True, exist_ok=True)
    paths = [CACHE / f"small-{number:03d}.mp3" for number in range(count)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"generating {len(missing)} small MP3s into {CACHE} (once)")
        audio = encode_mp3(synthesize(SMALL_SECONDS, 3, seed=3), kbps=128)
        for path in missing:
            number = int(path.stem.split("-")[1])
            partial = path.with_suffix(".part")
            partial.write_bytes(audio)
            tags = ID3()
            tags.add(TIT2(encoding=3, text=f"Bench upload {number}"))
            tags.add(TPE1(encoding=3, text="Upload Bench"))
            tags.add(TALB(encoding=3, text=f"Upload Bench {number // 10}"))
            tags.save(partial)
            partial.replace(path)
    return paths


async def _admin_token(database: Path) -> str:
    from sqlalchemy import select

    from tonearm.accounts.api_tokens import create_api_token
    from tonearm.db.engine import create_engine, create_session_factory
    from tonearm.db.models import UserRecord

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with create_session_factory(engine).begin() as session:
            user = (
                await session.scalars(select(UserRecord).where(UserRecord.username == "bench"))
            ).one()
            _, token = await create_api_token(session, user=user, name="bench")
    finally:
        await engine.dispose()
    return token


FINISH = "mutation($id: ID!) { finishUpload(uploadId: $id) { __typename } }"


def tus_finish(base: str, token: str, location: str) -> str:
    """finishUpload of the tus upload; the result's type."""
    answer = httpx.post(
        base + "/graphql",
        json={"query": FINISH, "variables": {"id": location.rsplit("/", 1)[1]}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    return str(answer.json()["data"]["finishUpload"]["__typename"])


def tus_upload(base: str, token: str, path: Path, locations: list[str]) -> str:
    """Create, then PATCH ``CHUNK`` bytes at a time (the URL goes into ``locations``)."""
    size = path.stat().st_size
    headers = {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=120) as client, path.open("rb") as source:
        created = client.post("/api/uploads", headers={**headers, "Upload-Length": str(size)})
        if created.status_code != 201:
            raise RuntimeError(f"tus creation: {created.status_code} {created.text}")
        location = created.headers["location"]
        locations.append(location)
        offset = 0
        patches = 0
        while offset < size:
            body = source.read(CHUNK)
            answer = client.patch(
                location,
                content=body,
                headers={
                    **headers,
                    "Content-Type": "application/offset+octet-stream",
                    "Upload-Offset": str(offset),
                },
            )
            if answer.status_code != 204:
                raise RuntimeError(f"tus PATCH: {answer.status_code} {answer.text}")
            offset = int(answer.headers["upload-offset"])
            patches += 1
    return f"{patches} PATCHes of {CHUNK // 2**20} MiB"


def multipart_upload(base: str, token: str, paths: list[Path]) -> str:
    """One ``uploadTracks`` request with every file; a summary of the results."""
    operations = {"query": UPLOAD_TRACKS, "variables": {"files": [None] * len(paths)}}
    mapping = {str(i): [f"variables.files.{i}"] for i in range(len(paths))}
    with contextlib.ExitStack() as stack:
        files: list[tuple[str, Any]] = [
            (str(i), (p.name, stack.enter_context(p.open("rb")), "audio/mpeg"))
            for i, p in enumerate(paths)
        ]
        answer = httpx.post(
            base + "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
            files=files,
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
    body = answer.json()
    result = (body.get("data") or {}).get("uploadTracks")
    if result is None:
        raise RuntimeError(f"uploadTracks: {answer.status_code} {json.dumps(body)[:300]}")
    kinds: dict[str, int] = {}
    for item in result.get("results", []):
        kinds[item["__typename"]] = kinds.get(item["__typename"], 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or result["__typename"]


def curl_put(url: str, paths: list[Path]) -> str:
    """``curl -T`` the files to nginx (one connection for a list)."""
    target = paths[0] if len(paths) == 1 else "{" + ",".join(map(str, paths)) + "}"
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "-T", str(target), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if any(code not in {"201", "204"} for code in out):
        raise RuntimeError(f"nginx PUT answered {sorted(set(out))}")
    return f"{len(out)} PUT(s)"


def nginx_config(work: Path, port: int, workers: int) -> Path:
    conf = work / "nginx.conf"
    temp = work / "nginx-temp"
    store = work / "nginx-store"
    temp.mkdir()
    store.mkdir()
    for folder in (temp, store):
        folder.chmod(0o777)  # nginx workers drop to an unprivileged user when started as root
    conf.write_text(f"""
daemon off;
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        location /put/ {{
            root {store};
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }}
        location = /healthz {{ return 200; }}
    }}
}}
""")
    return conf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="the tus file (10^6 bytes)")
    parser.add_argument("--small", type=int, default=200, help="small files for multipart")
    parser.add_argument(
        "--workers",
        type=int,
        default=choose_worker_count(requested=None, configured=None),
        help="worker processes for tonearm and nginx (default: tonearm's own)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    subprocess.run([str(REPO / "scripts" / "apt-ensure"), "nginx:/usr/sbin/nginx"], check=True)
    if shutil.which("curl") is None:
        print("curl is not installed", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="tonearm-bench-uploads-"))
    work.chmod(0o755)
    try:
        return run(args, work)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    size = args.size_mb * 1_000_000
    big = work / "big.bin"
    big_file(big, size)
    small = small_files(args.small)
    small_bytes = sum(p.stat().st_size for p in small)
    (work / "media").mkdir()
    print(
        f"tus file: {size / 1e6:.0f} MB; multipart: {len(small)} files, "
        f"{small_bytes / 1e6:.1f} MB; workers: {args.workers}, CPUs: {os.cpu_count()}"
    )
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(work / "data"),
        "TONEARM_SECRET_KEY": SECRET,
        "TONEARM_MEDIA_ROOT": str(work / "media"),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_FRONTEND_DIR": str(work / "none"),
        "TONEARM_MAX_UPLOAD_BYTES": str(max(size, 2**30)),
        "TONEARM_VARIANTS_ON_UPLOAD": "on-demand",  # the upload is timed, not the encoders
        "TONEARM_WORKERS_EMBEDDED": "0",
        "PYTHONPATH": str(REPO),
    }
    env.pop("TONEARM_DATABASE_URL", None)
    ports = {name: free_port() for name in ("tonearm", "nginx")}
    figures: dict[str, dict[str, Figure]] = {"tus": {}}
    with contextlib.ExitStack() as stack:
        tonearm = stack.enter_context(
            running(
                [
                    sys.executable,
                    *["-m", "tonearm.cli", "serve", "--host", "127.0.0.1"],
                    *["--port", str(ports["tonearm"]), "--workers", str(args.workers)],
                ],
                env=env,
                cwd=work,
                log=work / "tonearm.log",
            )
        )
        nginx = stack.enter_context(
            running(
                [
                    "nginx",
                    *["-p", str(work), "-c", str(nginx_config(work, ports["nginx"], args.workers))],
                ],
                env=env,
                cwd=work,
                log=work / "nginx.log",
            )
        )
        base = f"http://127.0.0.1:{ports['tonearm']}"
        reference = f"http://127.0.0.1:{ports['nginx']}"
        wait_http(base + "/healthz", tonearm)
        wait_http(reference + "/healthz", nginx)
        subprocess.run(
            [str(Path(sys.executable).parent / "tonearm"), "user", "add", "bench", "--admin"],
            input="benchmark-password\n",
            text=True,
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        token = asyncio.run(_admin_token(work / "data" / "tonearm.db"))

        locations: list[str] = []
        figures["tus"]["tonearm"] = measured(
            tonearm.pid, size, lambda: tus_upload(base, token, big, locations)
        )
        # Hashing (SHA-256) and probing the 500 MB; random bytes, so it ends as NotAudio.
        figures["tus finish"] = {
            "tonearm": measured(tonearm.pid, size, lambda: tus_finish(base, token, locations[0]))
        }
        figures["tus"]["nginx"] = measured(
            nginx.pid, size, lambda: curl_put(reference + "/put/big.bin", [big])
        )
        figures["multipart"] = {}
        try:
            figures["multipart"]["tonearm"] = measured(
                tonearm.pid, small_bytes, lambda: multipart_upload(base, token, small)
            )
        except RuntimeError as missing:
            print(f"multipart: {missing}")
        figures["multipart"]["nginx"] = measured(
            nginx.pid, small_bytes, lambda: curl_put(reference + "/put/small/", small)
        )

    print(f"\n{'case':11} {'server':8} {'MB/s':>9} {'seconds':>8} {'idle MB':>8} {'peak MB':>8}")
    for case, by_server in figures.items():
        for server, f in by_server.items():
            print(
                f"{case:11} {server:8} {f.mb_per_s:9.1f} {f.seconds:8.2f} "
                f"{f.idle_rss_mb:8.1f} {f.peak_rss_mb:8.1f}  {f.note}"
            )
        if {"tonearm", "nginx"} <= by_server.keys():
            ratio = by_server["tonearm"].mb_per_s / by_server["nginx"].mb_per_s
            print(f"{case:11} tonearm at {ratio:.0%} of nginx's throughput")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    case: {server: {**vars(f), "mb_per_s": f.mb_per_s} for server, f in s.items()}
                    for case, s in figures.items()
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
