"""Probe throughput per format: ``probe_file`` on small tagged files, one thread.

    .venv/bin/python benchmarks/probe.py [--files 200] [--seconds 1]

Writes ``--files`` copies of a one-second file of each format (ffmpeg-encoded by the test
tooling, tagged with mutagen, one in three with a small embedded cover, as a library would
be) into a temporary folder, then probes each file once and reports probes/s per format. The
page cache is warm: this measures the probe's own cost (libmagic, one mutagen parse, the
container checks and the tag reader), not the disk. The issue's scan target (300 tracks/s,
everything included) needs the probe well above that.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.audio import AUDIO_KINDS, SUFFIXES, Picture, write_audio
from tonearm.library.demo import cover_png
from tonearm.library.probe import probe_file


def main() -> None:
    """Write the files, probe them, print one line per format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files per format")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each file")
    args = parser.parse_args()
    cover = Picture(cover_png((200, 80, 40), 300))
    with tempfile.TemporaryDirectory(prefix="tonearm-probe-bench-") as folder:
        root = Path(folder)
        for kind in AUDIO_KINDS:
            for number in range(args.files):
                write_audio(
                    root / kind / f"{number:04d}{SUFFIXES[kind]}",
                    kind,
                    seconds=args.seconds,
                    tags={
                        "title": f"Track {number}",
                        "artist": f"Artist {number % 17}",
                        "album": f"Album {number % 23}",
                        "tracknumber": f"{number % 12 + 1}/12",
                        "date": "2021",
                        "genre": "Rock",
                    },
                    pictures=[cover] if number % 3 == 0 else [],
                )
        total_files = 0
        total_seconds = 0.0
        for kind in AUDIO_KINDS:
            paths = sorted((root / kind).iterdir())
            started = time.perf_counter()
            for path in paths:
                probe_file(path, path.name)
            elapsed = time.perf_counter() - started
            total_files += len(paths)
            total_seconds += elapsed
            each_ms = elapsed * 1000 / len(paths)
            print(f"{kind:7} {len(paths) / elapsed:8.0f} probes/s  ({each_ms:.2f} ms each)")
        print(f"{'all':7} {total_files / total_seconds:8.0f} probes/s")


if __name__ == "__main__":
    main()
