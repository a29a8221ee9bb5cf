"""Measure cover-art thumbnailing: CPU per 1400 × 1400 JPEG source, and memory for many.

1. CPU time (this thread's, so other load on the machine counts less) per source for the
   whole job as tonearm does it — the source stripped of its metadata and kept as its own
   large size, decoded with ``draft`` at half size, 600, 300 and 64 made and encoded as
   JPEG, placeholder — and for comparison the old job (a 1200 made from a full-size decode,
   what a source ``strip_jpeg_metadata`` cannot handle still gets) and the job with WebP
   output (``method=0``, quality 80) for the made sizes; and where each JPEG job's time goes.
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

from tonearm.artwork import thumbnails
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
    """The same job with WebP output (method 0, quality 80) for the made sizes."""
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


def old_job(source: bytes) -> None:
    """The job as if the source could not be kept: its 1200 made from a full-size decode."""
    real = thumbnails.strip_jpeg_metadata
    thumbnails.strip_jpeg_metadata = lambda _: None
    try:
        result = thumbnails.render(source)
    finally:
        thumbnails.strip_jpeg_metadata = real
    assert isinstance(result, thumbnails.Rendered)
    assert [size for size, _ in result.thumbnails] == [64, 300, 600, 1200]


def encode_jpeg(image: Image.Image) -> bytes:
    """One thumbnail encoded as tonearm encodes it."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=thumbnails.JPEG_QUALITY, optimize=False)
    return buffer.getvalue()


def decoded(source: bytes, edge: int) -> Image.Image:
    """``source`` decoded at the smallest DCT scale at least ``edge`` pixels."""
    image = Image.open(io.BytesIO(source))
    image.draft(None, (edge, edge))
    image.load()
    return image


def breakdown(source: bytes, runs: int) -> dict[str, float]:
    """Where each JPEG job's time goes, step by step (medians)."""
    resample = thumbnails.RESAMPLE
    half = decoded(source, 600)  # 700 × 700
    full = decoded(source, 1200)  # 1400 × 1400
    large = full.resize((1200, 1200), resample)
    medium = half.resize((600, 600), resample)
    small = medium.reduce(2)
    tiny = small.resize((64, 64), resample, reducing_gap=1.0)
    return {
        "strip_metadata": cpu_ms(lambda: thumbnails.strip_jpeg_metadata(source), runs),
        "decode_at_half_700": cpu_ms(lambda: decoded(source, 600), runs),
        "resize_700_to_600": cpu_ms(lambda: half.resize((600, 600), resample), runs),
        "resize_600_to_300_to_64": cpu_ms(
            lambda: medium.reduce(2).resize((64, 64), resample, reducing_gap=1.0), runs
        ),
        "encode_600_300_64_jpeg": cpu_ms(
            lambda: [encode_jpeg(medium), encode_jpeg(small), encode_jpeg(tiny)], runs
        ),
        "old_decode_full_1400": cpu_ms(lambda: decoded(source, 1200), runs),
        "old_resize_1400_to_1200": cpu_ms(lambda: full.resize((1200, 1200), resample), runs),
        "old_encode_1200_jpeg": cpu_ms(lambda: encode_jpeg(large), runs),
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
    assert [size for size, _ in rendered.thumbnails] == [64, 300, 600, 1400]  # kept
    report: dict[str, Any] = {
        "source_bytes": len(source),
        "thumbnail_bytes": {size: len(data) for size, data in rendered.thumbnails},
        "jpeg_ms": round(cpu_ms(lambda: thumbnails.render(source), args.runs), 1),
        "jpeg_ms_old_made_1200": round(cpu_ms(lambda: old_job(source), args.runs), 1),
        "webp_ms": round(cpu_ms(lambda: webp_job(source), max(5, args.runs // 3)), 1),
        "jpeg_breakdown_ms": {k: round(v, 1) for k, v in breakdown(source, args.runs).items()},
    }
    report["many"] = many(source, args.sources)

    print(f"source: 1400 × 1400 JPEG, {report['source_bytes']:,} bytes")
    print(f"thumbnail bytes: {report['thumbnail_bytes']}")
    print(
        f"JPEG output, source kept as its 1400: {report['jpeg_ms']} ms CPU per source "
        f"(target < {TARGET_MS:g})"
    )
    print(f"JPEG output, 1200 made (the old job): {report['jpeg_ms_old_made_1200']} ms CPU")
    print(f"WebP output for the made sizes: {report['webp_ms']} ms CPU per source")
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
