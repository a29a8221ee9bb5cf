"""Measure cover-art thumbnailing: CPU per 1400 × 1400 JPEG source, and memory for many.

1. CPU time (this thread's, so other load on the machine counts less) per source for the
   whole job — decode with ``draft``, the four sizes, encode, placeholder — with JPEG
   output (what tonearm uses) and with WebP (``method=0``, quality 80) for comparison, and
   where the JPEG job's time goes, and what it would cost without the 1200 px size.
2. Peak resident memory (``VmHWM``, reset first) while ``make_artworks`` makes 200 distinct
   sources into a fresh store with its default concurrency, and the wall time it took.

The source is a synthetic photo-like cover (shapes, blur, grain) saved at quality 90, about
the size of a real 1400-pixel cover. Target (issue 10): well under 30 ms of one core.

Usage: ``.venv/bin/python benchmarks/artwork.py [--runs N] [--sources N] [--json FILE]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tonearm.artwork import sizes, thumbnails
from tonearm.artwork.make import DEFAULT_CONCURRENCY, Loader, make_artworks
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore

TARGET_MS = 30.0


def photo(edge: int = 1400, seed: int = 1) -> bytes:
    """A photo-like JPEG: overlapping shapes, softened, with sensor-like grain."""
    rng = random.Random(seed)
    image = Image.new("RGB", (edge, edge))
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y, size = rng.randrange(edge), rng.randrange(edge), rng.randrange(20, 400)
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + size, y + size), fill=color)
    image = image.filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((edge, edge), 25).convert("RGB")
    image = Image.blend(image, grain, 0.15)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def cpu_ms(work: Callable[[], object], runs: int) -> float:
    """Median CPU milliseconds of this thread per call of ``work``."""
    work()
    samples = []
    for _ in range(runs):
        start = time.thread_time()
        work()
        samples.append((time.thread_time() - start) * 1000)
    return statistics.median(samples)


def webp_job(source: bytes) -> None:
    """The same job with WebP output (method 0, quality 80)."""
    real = thumbnails._encode

    def encode(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=80, method=0)
        return buffer.getvalue()

    thumbnails._encode = encode
    try:
        result = thumbnails.render(source)
    finally:
        thumbnails._encode = real
    assert isinstance(result, thumbnails.Rendered)


def without_the_large_size(source: bytes) -> None:
    """The JPEG job if 600 were the largest size (for comparison: the 1200 is most of it)."""
    real = sizes.SIZES
    sizes.SIZES = real[:-1]  # type: ignore[assignment]
    try:
        result = thumbnails.render(source)
    finally:
        sizes.SIZES = real
    assert isinstance(result, thumbnails.Rendered)
    assert [size for size, _ in result.thumbnails] == [64, 300, 600]


def breakdown(source: bytes, runs: int) -> dict[str, float]:
    """Where the JPEG job's time goes, step by step (medians)."""

    def decode() -> Image.Image:
        image = Image.open(io.BytesIO(source))
        image.draft(None, (1200, 1200))
        image.load()
        return image

    full = decode()
    large = full.resize((1200, 1200), thumbnails.RESAMPLE)
    half = large.reduce(2)

    def encode(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=thumbnails.JPEG_QUALITY, optimize=False)
        return buffer.getvalue()

    return {
        "decode_1400": cpu_ms(decode, runs),
        "resize_1400_to_1200": cpu_ms(lambda: full.resize((1200, 1200), thumbnails.RESAMPLE), runs),
        "smaller_sizes_from_1200": cpu_ms(
            lambda: half.reduce(2).resize((64, 64), thumbnails.RESAMPLE, reducing_gap=1.0), runs
        )
        + cpu_ms(lambda: large.reduce(2), runs),
        "encode_1200_jpeg": cpu_ms(lambda: encode(large), runs),
        "encode_600_300_64_jpeg": cpu_ms(
            lambda: [encode(half), encode(half.reduce(2)), encode(half.resize((64, 64)))], runs
        ),
    }


def rss_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def many(source: bytes, count: int) -> dict[str, Any]:
    """Peak memory and wall time of ``make_artworks`` over ``count`` distinct sources."""

    def loader(index: int) -> Loader:
        # Bytes after the JPEG's end marker change the hash, not the decoding work; the
        # loader builds them in the worker thread, like reading a file would.
        return lambda: source + index.to_bytes(4, "big")

    def sources() -> Iterator[tuple[int, Loader]]:
        for index in range(count):
            yield index, loader(index)

    async def run(store: ArtworkStore) -> int:
        made = 0
        async for _, result in make_artworks(sources(), store):
            assert isinstance(result, Artwork), result
            made += 1
        return made

    with tempfile.TemporaryDirectory() as folder:
        before = rss_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")  # resets VmHWM
        start = time.perf_counter()
        made = asyncio.run(run(ArtworkStore(Path(folder))))
        seconds = time.perf_counter() - start
        peak = rss_kib("VmHWM")
    return {
        "sources": made,
        "concurrency": DEFAULT_CONCURRENCY,
        "seconds": round(seconds, 2),
        "sources_per_second": round(made / seconds, 1),
        "rss_before_mib": round(before / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_growth_mib": round((peak - before) / 1024, 1),
    }


def main() -> int:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    source = photo()
    rendered = thumbnails.render(source)
    assert isinstance(rendered, thumbnails.Rendered)
    report: dict[str, Any] = {
        "source_bytes": len(source),
        "thumbnail_bytes": {size: len(data) for size, data in rendered.thumbnails},
        "jpeg_ms": round(cpu_ms(lambda: thumbnails.render(source), args.runs), 1),
        "webp_ms": round(cpu_ms(lambda: webp_job(source), max(5, args.runs // 3)), 1),
        "jpeg_ms_without_1200": round(cpu_ms(lambda: without_the_large_size(source), args.runs), 1),
        "jpeg_breakdown_ms": {k: round(v, 1) for k, v in breakdown(source, args.runs).items()},
    }
    report["many"] = many(source, args.sources)

    print(f"source: 1400 × 1400 JPEG, {report['source_bytes']:,} bytes")
    print(f"thumbnail bytes: {report['thumbnail_bytes']}")
    print(f"JPEG output: {report['jpeg_ms']} ms CPU per source (target < {TARGET_MS:g})")
    print(f"WebP output: {report['webp_ms']} ms CPU per source")
    print(f"JPEG output without the 1200 size: {report['jpeg_ms_without_1200']} ms CPU per source")
    for step, ms in report["jpeg_breakdown_ms"].items():
        print(f"  {step}: {ms} ms")
    many_report = report["many"]
    print(
        f"{many_report['sources']} sources, {many_report['concurrency']} at a time: "
        f"{many_report['seconds']} s ({many_report['sources_per_second']}/s), "
        f"peak RSS {many_report['peak_rss_mib']} MiB "
        f"(+{many_report['peak_growth_mib']} MiB over {many_report['rss_before_mib']} MiB)"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
