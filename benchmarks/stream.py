"""Benchmark the stream route against nginx and a stock FastAPI FileResponse route.

Generates one ~8 MB MP3 (320 kbps, 200 s), serves it from

* tonearm: the real ``tonearm serve`` (granian, ASGI) with a signed stream URL,
* nginx: ``nginx-light`` with a generated config (static, ``sendfile on``), foreground,
* baseline: ``benchmarks/stream_baseline_app.py`` under the same granian,

* front-accel: nginx in front of a second ``tonearm serve`` with ``TONEARM_ACCEL=nginx``,
  configured by ``tonearm nginx-config --standalone`` with ``TONEARM_ACCEL_DECISION_SECONDS=0``
  (tonearm is asked for every request and answers with ``X-Accel-Redirect``),
* front-decide: the same with the default configuration: nginx asks tonearm through
  ``auth_request`` and keeps its yes for 2 s per stream URL, so most seeks never reach it,

and loads each with wrk on loopback (the two fronts only for ``--front-cases``, by default
the seek pattern (b)):

  (a) full-file GETs, 8 connections      (b) random 64 KiB ranges, 32 connections
  (c) ``bytes=0-1``, 32 connections       (d) random 64 KiB ranges, 1 connection (latency)
  (e) ``bytes=0-`` (a browser's first request: a whole-file 206), 8 connections

Usage: ``.venv/bin/python benchmarks/stream.py [--workers N] [--duration S] [--front-cases C]
[--json FILE]``
(``--workers`` defaults to ``tonearm serve``'s own default for this machine).
Everything listens on 127.0.0.1 and is stopped at the end; ~2 minutes in total.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import free_port, running, tree_rss_mb, wait_http  # noqa: E402
from tonearm.library.demo import DemoTrack, write_demo_library  # noqa: E402
from tonearm.settings import Settings, choose_worker_count  # noqa: E402
from tonearm.streaming.accel import front_secret  # noqa: E402
from tonearm.streaming.tokens import StreamSigner  # noqa: E402
from tonearm.streaming.urls import stream_url  # noqa: E402
from tonearm.web.nginx import NginxSite, render_standalone  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdef"  # noqa: S105 - throwaway, loopback only
TRACK = DemoTrack("Bench Run", "Bench", "Benchmarks", 1, 200, 320, key=5)
RANGE_LUA = """
local size = tonumber(os.getenv("BENCH_SIZE"))
local length = 65536
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() + seed * 7919)
end
function request()
  local start = math.random(0, size - length)
  return wrk.format("GET", nil, {["Range"] = "bytes=" .. start .. "-" .. (start + length - 1)})
end
"""


@dataclass(frozen=True)
class Case:
    threads: int
    connections: int
    range: str | None
    lua: bool


CASES = {
    "a_full": Case(threads=2, connections=8, range=None, lua=False),
    "b_ranges": Case(threads=2, connections=32, range=None, lua=True),
    "c_first_bytes": Case(threads=2, connections=32, range="bytes=0-1", lua=False),
    "d_latency": Case(threads=1, connections=1, range=None, lua=True),
    "e_open_range": Case(threads=2, connections=8, range="bytes=0-", lua=False),
}


@dataclass
class Result:
    requests_per_s: float
    mb_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float | None = None


@dataclass
class Target:
    name: str
    url: str
    pid: int | None = None
    results: dict[str, Result] = field(default_factory=dict)


def parse_duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_size_mb(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)([KMG]?B)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}[unit]


def run_wrk(
    url: str, case: Case, *, duration: int, lua: Path, size: int, pid: int | None
) -> Result:
    command = [
        "wrk",
        f"-t{case.threads}",
        f"-c{case.connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if case.range:
        command += ["-H", f"Range: {case.range}"]
    if case.lua:
        command += ["-s", str(lua)]
    command.append(url)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while pid is not None and not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_SIZE": str(size)},
    ).stdout
    done.set()
    sampler.join()
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), "
        r"timeout (\d+)",
        out,
    )
    return Result(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        mb_per_s=parse_size_mb(re.search(r"Transfer/sec:\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        # wrk leaves a percentile out when it saw too few requests to place it.
        p50_ms=parse_duration_ms(latency["50"]) if "50" in latency else float("nan"),
        p99_ms=parse_duration_ms(latency["99"]) if "99" in latency else float("nan"),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
        peak_rss_mb=peak[0] if pid is not None else None,
    )


def check_target(target: Target, data: bytes) -> None:
    """Every server must answer correctly before it is timed."""
    full = httpx.get(target.url, timeout=30)
    if full.status_code != 200 or full.content != data:
        raise RuntimeError(f"{target.name}: full GET gave {full.status_code}: {full.text[:200]}")
    part = httpx.get(target.url, headers={"Range": "bytes=100-65635"})
    if part.status_code != 206 or part.content != data[100:65636]:
        raise RuntimeError(f"{target.name}: range GET gave {part.status_code}")


def nginx_config(work: Path, root: Path, port: int, workers: int) -> Path:
    conf = work / "nginx.conf"
    temp = work / "nginx-temp"
    temp.mkdir()
    conf.write_text(f"""
daemon off;
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    types {{ audio/mpeg mp3; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
""")
    return conf


def front_config(
    name: str, env: dict[str, str], work: Path, ports: dict[str, int], workers: int
) -> Path:
    """The configuration ``tonearm nginx-config --standalone`` prints for the accel tonearm:
    decisions off for ``front-accel``, the default for ``front-decide``."""
    folder = work / name
    (folder / "temp").mkdir(parents=True)
    settings = Settings(  # what ``tonearm nginx-config`` reads from this environment
        _env_file=None,  # type: ignore[call-arg]
        media_root=Path(env["TONEARM_MEDIA_ROOT"]),
        data_dir=work / "data-accel",
        accel="nginx",
        accel_decision_seconds=0 if name == "front-accel" else 2,
        secret_key=SECRET,  # the server's: the front secret in the config derives from it
    )
    site = NginxSite(
        upstreams=(f"127.0.0.1:{ports['tonearm-accel']}",),
        listen=f"127.0.0.1:{ports[name]}",
    )
    text = render_standalone(settings, site, folder)
    text = text.replace("worker_processes auto;", f"worker_processes {workers};")
    text = text.replace(f"access_log {folder}/access.log tonearm;", "access_log off;")
    conf = folder / "nginx.conf"
    conf.write_text(text)
    return conf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=choose_worker_count(requested=None, configured=None),
        help="worker processes for tonearm, the baseline and nginx (default: tonearm's own)",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per case")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument(
        "--front-cases", default="b_ranges", help="cases run through the two nginx fronts"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is not installed", file=sys.stderr)
            return 2

    work = Path(tempfile.mkdtemp(prefix="tonearm-bench-"))
    work.chmod(0o755)  # nginx workers drop to an unprivileged user when started as root
    try:
        return run(args, work)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    root = work / "media"
    (path,) = write_demo_library(root, [TRACK])
    path.chmod(0o644)  # written via a private temp file; nginx's workers must read it
    data = path.read_bytes()
    rel = path.relative_to(root).as_posix()
    lua = work / "ranges.lua"
    lua.write_text(RANGE_LUA)
    print(
        f"file: {len(data) / 2**20:.1f} MiB, workers: {args.workers}, "
        f"{args.duration}s per case, CPUs: {os.cpu_count()}"
    )
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(work / "data"),
        "TONEARM_SECRET_KEY": SECRET,
        "TONEARM_MEDIA_ROOT": str(root),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_FRONTEND_DIR": str(work / "none"),
        "BENCH_FILE": str(path),
        "PYTHONPATH": str(REPO),
    }
    env.pop("TONEARM_DATABASE_URL", None)
    ports = {
        name: free_port()
        for name in ("tonearm", "nginx", "baseline", "tonearm-accel", "front-accel", "front-decide")
    }
    accel_env = {**env, "TONEARM_ACCEL": "nginx", "TONEARM_DATA_DIR": str(work / "data-accel")}
    cases = [c for c in args.cases.split(",") if c]
    targets: list[Target] = []
    with contextlib.ExitStack() as stack:
        tonearm = stack.enter_context(
            running(
                [
                    sys.executable,
                    "-m",
                    "tonearm.cli",
                    "serve",
                    "--scan",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports["tonearm"]),
                    "--workers",
                    str(args.workers),
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
                    "-p",
                    str(work),
                    "-c",
                    str(nginx_config(work, root, ports["nginx"], args.workers)),
                ],
                env=env,
                cwd=work,
                log=work / "nginx.log",
            )
        )
        baseline = stack.enter_context(
            running(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "asgi",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports["baseline"]),
                    "--workers",
                    str(args.workers),
                    "--no-log",
                    "benchmarks.stream_baseline_app:app",
                ],
                env=env,
                cwd=REPO,
                log=work / "baseline.log",
            )
        )
        tonearm_accel = stack.enter_context(
            running(
                [
                    sys.executable,
                    "-m",
                    "tonearm.cli",
                    "serve",
                    "--scan",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports["tonearm-accel"]),
                    "--workers",
                    str(args.workers),
                ],
                env=accel_env,
                cwd=work,
                log=work / "tonearm-accel.log",
            )
        )
        fronts = [
            stack.enter_context(
                running(
                    ["nginx", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
                    env=env,
                    cwd=work,
                    log=conf.parent / "nginx.log",
                )
            )
            for conf in (
                front_config(name, env, work, ports, args.workers)
                for name in ("front-accel", "front-decide")
            )
        ]
        wait_http(f"http://127.0.0.1:{ports['tonearm']}/healthz", tonearm, timeout=120)
        wait_http(f"http://127.0.0.1:{ports['front-accel']}/healthz", tonearm_accel, timeout=120)
        # A real listener: with accounts on (the default) tokens carry the user.
        subprocess.run(
            [str(Path(sys.executable).parent / "tonearm"), "user", "add", "bench"],
            input="benchmark-password\n",
            text=True,
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        with sqlite3.connect(work / "data" / "tonearm.db") as db:
            (raw,) = db.execute(
                "SELECT id FROM tracks WHERE path = ?", (os.fsencode(rel),)
            ).fetchone()
            (user_raw,) = db.execute("SELECT id FROM users WHERE username = 'bench'").fetchone()
        track_id = uuid.UUID(raw)
        token = StreamSigner([SECRET], 24 * 3600).mint(track_id, user_id=uuid.UUID(user_raw)).token
        subprocess.run(
            [str(Path(sys.executable).parent / "tonearm"), "user", "add", "bench"],
            input="benchmark-password\n",
            text=True,
            env=accel_env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        with sqlite3.connect(work / "data-accel" / "tonearm.db") as db:
            (raw,) = db.execute(
                "SELECT id FROM tracks WHERE path = ?", (os.fsencode(rel),)
            ).fetchone()
            (user_raw,) = db.execute("SELECT id FROM users WHERE username = 'bench'").fetchone()
        accel_id = uuid.UUID(raw)
        accel_token = (
            StreamSigner([SECRET], 24 * 3600).mint(accel_id, user_id=uuid.UUID(user_raw)).token
        )
        accel_path = stream_url(accel_id, accel_token)
        targets = [
            Target(
                "tonearm",
                f"http://127.0.0.1:{ports['tonearm']}" + stream_url(track_id, token),
                tonearm.pid,
            ),
            Target("nginx", f"http://127.0.0.1:{ports['nginx']}/" + quote(rel), nginx.pid),
            Target("baseline", f"http://127.0.0.1:{ports['baseline']}/file", baseline.pid),
            Target("front-accel", f"http://127.0.0.1:{ports['front-accel']}" + accel_path),
            Target("front-decide", f"http://127.0.0.1:{ports['front-decide']}" + accel_path),
        ]
        processes = (tonearm, nginx, baseline, *fronts)
        for target, process in zip(targets, processes, strict=True):
            wait_http(target.url, process, timeout=30, method="HEAD")
            check_target(target, data)
        # The fronts measure nothing unless tonearm really hands the bytes to nginx.
        decided = httpx.get(
            f"http://127.0.0.1:{ports['tonearm-accel']}" + accel_path,
            headers={"X-Tonearm-Front": front_secret(SECRET), "Range": "bytes=0-0"},
        )
        if "x-accel-redirect" not in decided.headers:
            raise SystemExit("tonearm (TONEARM_ACCEL=nginx) did not answer with X-Accel-Redirect")
        asked = httpx.get(
            f"http://127.0.0.1:{ports['tonearm-accel']}" + accel_path,
            headers={"X-Tonearm-Front": front_secret(SECRET), "X-Tonearm-Decide": "1"},
        )
        if asked.status_code != 200 or "x-tonearm-file" not in asked.headers:
            raise SystemExit(f"tonearm declined the benchmark's decision ({asked.status_code})")
        front_cases = [c for c in args.front_cases.split(",") if c]
        for case in cases:
            for target in targets:
                if target.name.startswith("front") and case not in front_cases:
                    continue
                target.results[case] = run_wrk(
                    target.url,
                    CASES[case],
                    duration=args.duration,
                    lua=lua,
                    size=len(data),
                    pid=target.pid,
                )
                r = target.results[case]
                print(
                    f"  {case:14} {target.name:9} {r.requests_per_s:10.0f} req/s "
                    f"{r.mb_per_s:9.1f} MB/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
                    f"  errors {r.errors}  rss {r.peak_rss_mb or 0:6.0f} MB",
                    flush=True,
                )
    report(targets, cases, args)
    return 0


def report(targets: list[Target], cases: list[str], args: argparse.Namespace) -> None:
    by_name = {t.name: t for t in targets}
    tonearm, nginx, baseline = by_name["tonearm"], by_name["nginx"], by_name["baseline"]
    print("\n| case | server | req/s | MB/s | p50 ms | p99 ms | errors | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        for target in targets:
            if case not in target.results:
                continue
            r = target.results[case]
            print(
                f"| {case} | {target.name} | {r.requests_per_s:.0f} | {r.mb_per_s:.1f} | "
                f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {r.peak_rss_mb or 0:.0f} |"
            )
    print("\n| case | tonearm/nginx req/s | tonearm/nginx MB/s | tonearm/baseline req/s |")
    print("|---|---:|---:|---:|")
    for case in cases:
        t, n, b = (x.results[case] for x in (tonearm, nginx, baseline))
        print(
            f"| {case} | {t.requests_per_s / n.requests_per_s:.2f} | "
            f"{t.mb_per_s / n.mb_per_s:.2f} | {t.requests_per_s / b.requests_per_s:.2f} |"
        )
    fronts = [t for t in targets if t.name.startswith("front")]
    print("\n| case | front | front/nginx req/s | front/nginx MB/s | front/tonearm req/s |")
    print("|---|---|---:|---:|---:|")
    for case in cases:
        for front in fronts:
            if case not in front.results:
                continue
            f, n, t = front.results[case], nginx.results[case], tonearm.results[case]
            print(
                f"| {case} | {front.name} | {f.requests_per_s / n.requests_per_s:.2f} | "
                f"{f.mb_per_s / n.mb_per_s:.2f} | {f.requests_per_s / t.requests_per_s:.2f} |"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "workers": args.workers,
                    "duration": args.duration,
                    "results": {
                        t.name: {c: vars(r) for c, r in t.results.items()} for t in targets
                    },
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
