"""Scanner throughput: a fresh ingest and a no-change rescan of N generated MP3 files.

    .venv/bin/python benchmarks/scan.py [--files 2000] [--database-url URL]

Files are tiny real MP3s (one second of LAME-encoded audio with distinct ID3 tags), spread
over artist/album folders. Reports files/s for each phase and the scanner process's RSS
growth while scanning. The reference figures are the issue's targets: a fresh ingest of at
least 500 files/s and a no-change rescan of 10,000 files in under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from mutagen.id3 import ID3, TALB, TIT2, TPE1, TRCK

from tonearm.db.engine import create_engine
from tonearm.db.migrations import upgrade_to_head
from tonearm.library.demo import encode_mp3, synthesize
from tonearm.library.scanner import scan_library


def rss_mb() -> float:
    """Resident set size of this process in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples RSS every 20 ms on a thread; ``peak`` is the highest value seen."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def generate(root: Path, count: int) -> None:
    """Write ``count`` tagged one-second MP3 files below ``root``."""
    audio = encode_mp3(synthesize(1.0, 0, seed=1), kbps=128)
    for number in range(count):
        artist, album = f"Artist {number // 100:03d}", f"Album {number // 10:04d}"
        path = root / artist / album / f"{number % 10:02d} Track {number}.mp3"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        tags = ID3()
        tags.add(TIT2(encoding=3, text=f"Track {number}"))
        tags.add(TPE1(encoding=3, text=artist))
        tags.add(TALB(encoding=3, text=album))
        tags.add(TRCK(encoding=3, text=str(number % 10 + 1)))
        tags.save(path)


async def measure(database_url: str, root: Path, count: int) -> None:
    """Run and report both phases."""
    engine = create_engine(database_url)
    try:
        before = rss_mb()
        with PeakRss() as fresh_rss:
            started = time.perf_counter()
            fresh = await scan_library(engine, root)
            fresh_seconds = time.perf_counter() - started
        with PeakRss() as rescan_rss:
            started = time.perf_counter()
            rescan = await scan_library(engine, root)
            rescan_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    if fresh.added != count or rescan.unchanged != count:
        raise SystemExit(f"unexpected scan results: {fresh} / {rescan}")
    print(f"{'phase':<18}{'files':>8}{'seconds':>10}{'files/s':>12}{'peak RSS +MiB':>16}")
    for name, seconds, peak in (
        ("fresh ingest", fresh_seconds, fresh_rss.peak),
        ("no-change rescan", rescan_seconds, rescan_rss.peak),
    ):
        print(f"{name:<18}{count:>8}{seconds:>10.3f}{count / seconds:>12.0f}{peak - before:>16.1f}")
    print("targets: fresh ingest >= 500 files/s; no-change rescan of 10,000 files < 1 s")


def main() -> None:
    """Parse arguments, generate the files, run the scans."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a temporary SQLite database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tonearm-scan-bench-") as temp:
        root = Path(temp, "media")
        started = time.perf_counter()
        generate(root, args.files)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f}s")
        url = args.database_url or f"sqlite+aiosqlite:///{temp}/bench.db"
        upgrade_to_head(url)
        asyncio.run(measure(url, root.resolve(), args.files))


if __name__ == "__main__":
    main()
