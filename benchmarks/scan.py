"""Scanner throughput: a fresh ingest and a no-change rescan, with a reference.

    .venv/bin/python benchmarks/scan.py [--set realistic|mp3] [--files N] [--database-url URL]

``realistic`` (the default): 10,000 tracks in 1,000 album folders, mixed formats (MP3, FLAC,
Ogg Vorbis, Opus, M4A AAC and ALAC, WAV; encoded by Debian's ffmpeg, tagged with mutagen),
a 1400×1400 JPEG ``cover.jpg`` in every folder and an embedded picture in a third of the
tracks. Generated once into ``.cache/scan-realistic-<N>/`` and reused. ``mp3``: N tiny
LAME-encoded MP3s.

Reports tracks/s of a fresh scan (tags, albums, artists and thumbnails) and of a no-change
rescan, the scanner process's peak RSS growth, and a reference measured in the same run:
the same files read by libmagic and mutagen alone (no database, no grouping, no artwork).
Targets (issue 10, this 2-core machine): fresh >= 300 tracks/s, no-change rescan of
10,000 < 1 s, peak RSS growth < 100 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from mutagen.id3 import ID3, TALB, TIT2, TPE1, TRCK
from PIL import Image, ImageDraw

from tonearm.artwork.store import ArtworkStore
from tonearm.db.engine import create_engine
from tonearm.db.migrations import upgrade_to_head
from tonearm.library.demo import encode_mp3, synthesize
from tonearm.library.probe import probe_file
from tonearm.library.scanner import ScanOptions, scan_library

REPO = Path(__file__).resolve().parent.parent
# Each format's share of the realistic set, as a self-hosted library might hold them.
MIX = (("mp3", 40), ("flac", 25), ("aac", 10), ("opus", 10), ("vorbis", 5), ("alac", 5), ("wav", 5))
TRACKS_PER_ALBUM = 10


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


def _cover_jpeg(number: int, edge: int) -> bytes:
    """A JPEG with some structure (gradients and shapes), so it compresses like a photo."""
    rng = random.Random(number)
    image = Image.radial_gradient("L").resize((edge, edge)).convert("RGB")
    tint = Image.new("RGB", (edge, edge), tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image, tint, 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(edge), rng.randrange(edge)
        r = rng.randrange(edge // 20, edge // 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def generate_realistic(root: Path, count: int) -> None:
    """The realistic set: albums of ten tracks in mixed formats, covers, embedded art."""
    sys.path.insert(0, str(REPO))
    from tests.support.audio import Picture, write_audio

    kinds = [kind for kind, share in MIX for _ in range(share)]
    embedded = Picture(_cover_jpeg(-1, 500), type=3, mime="image/jpeg")
    for album in range(count // TRACKS_PER_ALBUM):
        artist = f"Artist {album // 4:04d}"
        folder = root / artist / f"{1990 + album % 30} Album {album:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cover.jpg").write_bytes(_cover_jpeg(album, 1400))
        kind = kinds[album % len(kinds)]
        for track in range(1, TRACKS_PER_ALBUM + 1):
            number = album * TRACKS_PER_ALBUM + track
            suffix = {"aac": "m4a", "alac": "m4a", "vorbis": "ogg", "opus": "opus"}.get(kind, kind)
            write_audio(
                folder / f"{track:02d} Track {number}.{suffix}",
                kind,  # type: ignore[arg-type]
                key=track % 5,
                tags={
                    "title": f"Track {number}",
                    "artist": artist if track % 7 else f"{artist} feat. Guest {number % 50}",
                    "albumartist": artist,
                    "album": f"Album {album:04d}",
                    "tracknumber": f"{track}/{TRACKS_PER_ALBUM}",
                    "date": str(1990 + album % 30),
                    "genre": ["Rock", "Jazz", "Electronic", "Folk"][album % 4],
                },
                pictures=[embedded] if number % 3 == 0 else [],
            )


def realistic_set(count: int) -> Path:
    """The realistic set for ``count`` tracks, generated once into ``.cache/``."""
    root = REPO / ".cache" / f"scan-realistic-{count}"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        generate_realistic(root / "media", count)
        marker.write_text("ok")
        print(f"generated {count} tracks in {time.perf_counter() - started:.1f}s into {root}")
    return root / "media"


def reference(root: Path) -> tuple[int, float]:
    """libmagic + mutagen over every audio file, one thread: the least a scan must do."""
    from tonearm.library.walker import Candidate, walk_media_root

    started = time.perf_counter()
    files = [item for item in walk_media_root(root) if isinstance(item, Candidate)]
    for item in files:
        probe_file(root / item.rel_path, item.rel_path)
    return len(files), time.perf_counter() - started


async def measure(database_url: str, root: Path, count: int, art_dir: Path) -> None:
    """Run and report both phases and the reference."""
    engine = create_engine(database_url)
    options = ScanOptions(artwork_store=ArtworkStore(art_dir))
    try:
        before = rss_mb()
        with PeakRss() as fresh_rss:
            started = time.perf_counter()
            fresh = await scan_library(engine, root, options=options)
            fresh_seconds = time.perf_counter() - started
        with PeakRss() as rescan_rss:
            started = time.perf_counter()
            rescan = await scan_library(engine, root, options=options)
            rescan_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    if fresh.added != count or rescan.unchanged != count or fresh.skipped:
        raise SystemExit(f"unexpected scan results: {fresh} / {rescan}")
    probed, reference_seconds = reference(root)
    print(f"{'phase':<26}{'tracks':>8}{'seconds':>10}{'tracks/s':>10}{'peak RSS +MiB':>16}")
    for name, seconds, peak in (
        ("fresh scan (with art)", fresh_seconds, fresh_rss.peak - before),
        ("no-change rescan", rescan_seconds, rescan_rss.peak - before),
        ("reference: probe only", reference_seconds, float("nan")),
    ):
        print(f"{name:<26}{count:>8}{seconds:>10.3f}{count / seconds:>10.0f}{peak:>16.1f}")
    print(
        f"fresh scan / reference: {fresh_seconds / reference_seconds:.2f}x the time "
        f"({probed} files probed by the reference)"
    )
    print("targets: fresh >= 300 tracks/s; no-change rescan of 10,000 < 1 s; RSS growth < 100 MB")


def main() -> None:
    """Parse arguments, generate the files, run the scans."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("realistic", "mp3"), default="realistic")
    parser.add_argument("--files", type=int, default=None, help="default: 10000 / 2000")
    parser.add_argument("--database-url", help="default: a temporary SQLite database")
    args = parser.parse_args()
    count = args.files or (10_000 if args.set == "realistic" else 2000)
    with tempfile.TemporaryDirectory(prefix="tonearm-scan-bench-") as temp:
        if args.set == "realistic":
            root = realistic_set(count)
        else:
            root = Path(temp, "media")
            started = time.perf_counter()
            generate(root, count)
            print(f"generated {count} files in {time.perf_counter() - started:.1f}s")
        url = args.database_url or f"sqlite+aiosqlite:///{temp}/bench.db"
        upgrade_to_head(url)
        asyncio.run(measure(url, root.resolve(), count, Path(temp, "art")))


if __name__ == "__main__":
    main()
