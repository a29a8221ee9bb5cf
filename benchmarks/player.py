"""Benchmark the web player's latency against a plain HTML page, in Chromium on loopback.

Starts, in one go,

* tonearm: the real ``tonearm serve --demo --scan`` from this checkout (a temp data dir,
  the player from ``frontend/build``), with a listener account to sign in as;
* nginx: ``nginx-light`` with a generated config, in the foreground, serving the same demo
  files under ``/media/`` and a plain static page listing them (in the player's order), whose
  buttons set an ``<audio>`` ``src`` and call ``play()``;

then runs ``frontend/bench/player-latency.js`` (Playwright, Debian's Chromium), which
measures click-to-sound and page-load-to-track-list-visible on both pages and prints medians,
p90, the ratios and the targets (click-to-sound ≤ 1.2×, list visible ≤ 1.5× the plain page).

Usage: ``.venv/bin/python benchmarks/player.py [--repeat 20] [--waterfall] [--json FILE]``.
Builds the player first when ``frontend/build`` is missing (``--build`` rebuilds it).
Everything listens on 127.0.0.1 and is stopped at the end; about a minute for 20 rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import free_port, running, wait_http  # noqa: E402

FRONTEND = REPO / "frontend"
USERNAME = "bench-listener"
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway account on loopback
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

PLAIN_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>plain</title></head>
<body>
<audio id="audio"></audio>
<ol id="tracks">
{rows}
</ol>
<script>
document.getElementById('tracks').addEventListener('click', (event) => {{
  const button = event.target.closest('button');
  if (!button) return;
  const audio = document.getElementById('audio');
  audio.src = button.dataset.src;
  audio.play();
}});
</script>
</body>
</html>
"""


def nginx_config(work: Path, site: Path, media: Path, port: int) -> Path:
    """A foreground nginx serving ``site`` at / and ``media`` at /media/."""
    conf = work / "nginx.conf"
    temp = work / "nginx-temp"
    temp.mkdir()
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    types {{ text/html html; audio/mpeg mp3; }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location /media/ {{ alias {media}/; }}
    }}
}}
""")
    return conf


def plain_page(database: Path) -> str:
    """The static list: every registered track, in the player's default (artist) order."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT path, title, artist FROM tracks ORDER BY sort_library, id"
        ).fetchall()
    items = [
        f'<li><button type="button" data-src="/media/{html.escape(quote(path))}">'
        f"{html.escape(title)} — {html.escape(artist or 'Unknown artist')}</button></li>"
        for path, title, artist in rows
    ]
    return PLAIN_PAGE.format(rows="\n".join(items))


def readable_by_all(root: Path) -> None:
    """nginx's workers drop to an unprivileged user: let them read the demo files."""
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for parent in root.parents:
        if parent == Path(tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o111)  # traverse only, not list


def main() -> int:
    """Start both servers, run the browser measurements, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="measured rounds per page")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first")
    parser.add_argument("--waterfall", action="store_true", help="print one player load")
    parser.add_argument("--json", type=Path, help="also write the samples here")
    parser.add_argument("--build", action="store_true", help="rebuild frontend/build first")
    parser.add_argument(
        "--player-dir", type=Path, help="serve this built player instead (compare builds)"
    )
    args = parser.parse_args()
    if not Path(NGINX).exists():
        print("nginx is not installed: scripts/apt-ensure nginx-light:/usr/sbin/nginx")
        return 2
    if args.player_dir is None and (args.build or not (FRONTEND / "build" / "index.html").exists()):
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True, capture_output=True)
    work = Path(tempfile.mkdtemp(prefix="tonearm-bench-player-"))
    work.chmod(0o755)
    try:
        return run(args, work)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    """The measurement proper, inside the temp folder ``work``."""
    data = work / "data"
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(data),
        "TONEARM_FRONTEND_DIR": str((args.player_dir or FRONTEND / "build").resolve()),
        "TONEARM_LOG_LEVEL": "warning",
        "PYTHONPATH": str(REPO),
    }
    for name in ("TONEARM_DATABASE_URL", "TONEARM_MEDIA_ROOT", "TONEARM_AUTH"):
        env.pop(name, None)
    tonearm = str(Path(sys.executable).parent / "tonearm")
    subprocess.run(
        [tonearm, "user", "add", USERNAME],
        input=f"{PASSWORD}\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    ports = {"tonearm": free_port(), "nginx": free_port()}
    serve = [tonearm, "serve", "--demo", "--scan", "--host", "127.0.0.1"]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(
            running(
                [*serve, "--port", str(ports["tonearm"])],
                env=env,
                cwd=work,
                log=work / "tonearm.log",
            )
        )
        player_url = f"http://127.0.0.1:{ports['tonearm']}"
        wait_http(f"{player_url}/healthz", server, timeout=120)
        media = data / "demo-library"
        readable_by_all(media)
        site = work / "plain"
        site.mkdir()
        (site / "index.html").write_text(plain_page(data / "tonearm.db"), encoding="utf-8")
        site.chmod(0o755)
        (site / "index.html").chmod(0o644)
        conf = nginx_config(work, site, media, ports["nginx"])
        nginx = stack.enter_context(
            running(
                [NGINX, "-p", str(work), "-c", str(conf)], env=env, cwd=work, log=work / "nginx.log"
            )
        )
        plain_url = f"http://127.0.0.1:{ports['nginx']}/"
        wait_http(plain_url, nginx)
        bench_env = {
            **env,
            "BENCH_PLAYER_URL": player_url,
            "BENCH_PLAIN_URL": plain_url,
            "BENCH_USERNAME": USERNAME,
            "BENCH_PASSWORD": PASSWORD,
            "BENCH_REPEAT": str(args.repeat),
            "BENCH_WARMUP": str(args.warmup),
            "BENCH_WATERFALL": "1" if args.waterfall else "",
        }
        if args.json:
            bench_env["BENCH_JSON"] = str(args.json.resolve())
        print(f"player {player_url}  plain page {plain_url}  (nginx)", flush=True)
        result = subprocess.run(
            ["node", "bench/player-latency.js"], cwd=FRONTEND, env=bench_env, check=False
        )
        return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
