"""Audio variants (issue 11): encode speed, first-play latency, and 8 first plays at once.

Three parts, each printed as a table with the issue's targets beside the figures:

1. **Encode speed** of every variant a source offers, as a multiple of real time per core
   (audio seconds / CPU seconds of one thread), from a 3-minute FLAC and a 3-minute 320 kbps
   MP3: (a) the server's own ffmpeg command line (``transcoding.ffmpeg.encode_command``,
   source on a descriptor, CPU time of the child from ``os.wait4``), (b) PyAV encoding the
   same input to the same codec and bitrate in-process. Reference, same run: plain
   ``ffmpeg -threads 1 -i in -c:a … -b:a … out`` and the server's line with one option left
   out at a time (``-flush_packets 1``, ``-xerror``, ``/proc/self/fd``), which shows what an
   option costs. The issue's reference: Debian ffmpeg, one thread, ~83× for Opus 160 and
   ~108× for MP3 320 from a 3-minute FLAC.
2. **Latency** through a real ``tonearm serve`` (granian, default workers, temp data dir):
   for a variant not made yet of a 5-minute FLAC, the time to the response headers, to the
   first audio bytes (target ≤ 0.5 s) and to the first decodable second (the smallest
   received prefix that decodes to ≥ 1 s of audio, found afterwards with PyAV); the same for
   a far seek during that first play (``&start=200``); once made, the same for a plain
   ``Range`` request in the middle of the stored file (an Ogg prefix is decoded behind the
   stream's header pages, which the player already holds). References, same run: the
   server's encoder command line alone writing to a pipe (what ffmpeg itself takes to the
   first bytes), and the original FLAC's Range request in the middle. A first-play MP3
   differs from the stored file only in its Xing/LAME header frame (the muxer fills in the
   frame count when the encode ends); the benchmark checks that and says so.
3. **8 first plays at once** of 8 different tracks (Opus 160, encoder caps raised so none
   is refused): per client, the audio seconds received per wall second over the whole
   stream and the minimum over any 1-second window after the first second (bytes are
   turned into audio time through the container's pages/frames). Target: > 1 throughout.

Inputs are synthetic but not trivial (stereo 44.1 kHz: drifting, modulated tones plus pink
noise), made by Debian's ffmpeg once into ``.cache/variants-bench/`` and reused.

Usage: ``.venv/bin/python benchmarks/variants.py [--parts 1,2,3] [--repeat 3] [--rounds 2]
[--json FILE]`` (``--repeat``: encodes per row in part 1, the best CPU time counts;
``--rounds``: 5-minute FLACs in part 2). Everything listens on 127.0.0.1 and is stopped at
the end; ~5 minutes on an idle 2-core machine (plus ~3 minutes the first time, for the
inputs). The machine's load average is printed before and after: CPU times are robust to
other load, wall times are not.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
import av.error
import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import free_port, running, wait_http  # noqa: E402
from tonearm.catalog.formats import AudioFormat  # noqa: E402
from tonearm.catalog.variants import SourceAudio, VariantKey, offered_variants  # noqa: E402
from tonearm.settings import choose_worker_count  # noqa: E402
from tonearm.streaming.tokens import StreamSigner  # noqa: E402
from tonearm.streaming.urls import stream_url  # noqa: E402
from tonearm.transcoding.ffmpeg import SourceStream, encode_command  # noqa: E402

CACHE = REPO / ".cache" / "variants-bench"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
SECRET = "benchmark-secret-key-0123456789abcdef"  # noqa: S105 - throwaway, loopback only
USERNAME = "bench"
PASSWORD = "benchmark-password"  # noqa: S105 - a throwaway account on loopback
RATE = 44_100
SHORT, LONG = 180, 300  # seconds: part 1 and 3 inputs, part 2 inputs
FAR_SEEK = 200.0
CONCURRENT = 8
OPUS_160 = VariantKey(AudioFormat.OPUS, 160)
MP3_320 = VariantKey(AudioFormat.MP3, 320)
# The issue's reference: Debian ffmpeg, one thread, from a 3-minute FLAC (× real time).
ISSUE_REFERENCE = {"mp3-320": 108.0, "opus-160": 83.0}
FIRST_BYTES_TARGET = 0.5


# --- inputs -----------------------------------------------------------------------------


def signal_graph(seed: int, seconds: int) -> list[str]:
    """ffmpeg input and filter arguments for a stereo mix of moving tones and pink noise."""
    shift = 2 ** ((seed % 12) / 12)  # a different key per track
    f1, f2, f3, f4 = (round(f * shift, 2) for f in (220.0, 277.18, 329.63, 440.0))
    left = (
        f"0.22*sin(2*PI*{f1}*t)*(0.6+0.4*sin(2*PI*0.25*t))"
        f"+0.14*sin(2*PI*({f3}+30*sin(2*PI*0.1*t))*t)"
        f"+0.08*sin(2*PI*{f4 * 4}*t)*(t-floor(t))"
    )
    right = (
        f"0.22*sin(2*PI*{f2}*t)*(0.6+0.4*cos(2*PI*0.3*t))"
        f"+0.14*sin(2*PI*({f4}+25*sin(2*PI*0.13*t))*t)"
        f"+0.07*sin(2*PI*{f3 * 8}*t)*(1-(t-floor(t)))"
    )
    lavfi = ["-f", "lavfi", "-i"]
    return [
        *lavfi,
        f"aevalsrc=exprs='{left}|{right}':s={RATE}:d={seconds}",
        *lavfi,
        f"anoisesrc=c=pink:r={RATE}:a=0.1:seed={2 * seed + 1}:d={seconds}",
        *lavfi,
        f"anoisesrc=c=pink:r={RATE}:a=0.1:seed={2 * seed + 2}:d={seconds}",
        "-filter_complex",
        "[1][2]amerge=inputs=2[noise];[0][noise]amix=inputs=2:normalize=0",
    ]


def tags(title: str, number: int) -> list[str]:
    return [
        *("-metadata", f"title={title}"),
        *("-metadata", "artist=Bench Artist"),
        *("-metadata", "album=Variants Bench"),
        *("-metadata", f"track={number}"),
    ]


def cached(name: str, make: Callable[[Path], None]) -> Path:
    """``.cache/variants-bench/<name>``, made once through a temp name."""
    target = CACHE / name
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".partial-{name}")
        make(temp)
        temp.replace(target)
    return target


def ffmpeg_run(args: list[str]) -> None:
    subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True
    )


def flac_input(seed: int, seconds: int) -> Path:
    """A synthetic stereo 44.1 kHz 16-bit FLAC of ``seconds``."""

    def make(out: Path) -> None:
        title = f"Track {seed:02d} ({seconds} s)"
        ffmpeg_run(
            [
                *signal_graph(seed, seconds),
                *("-c:a", "flac", "-sample_fmt", "s16", "-f", "flac"),
                *tags(title, seed + 1),
                str(out),
            ]
        )

    return cached(f"flac-{seconds}s-{seed:02d}.flac", make)


def mp3_input(seed: int, seconds: int) -> Path:
    """The same signal as a 320 kbps MP3 (Debian's LAME, with its Xing/LAME header)."""
    flac = flac_input(seed, seconds)

    def make(out: Path) -> None:
        ffmpeg_run(["-i", str(flac), "-c:a", "libmp3lame", "-b:a", "320k", "-f", "mp3", str(out)])

    return cached(f"mp3-{seconds}s-{seed:02d}.mp3", make)


@dataclass(frozen=True)
class Probe:
    format: AudioFormat
    bitrate: int
    sample_rate: int
    channels: int
    duration: float


def probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        duration = float(container.duration or 0) / 1_000_000
        codec = stream.codec_context.name
        return Probe(
            AudioFormat.FLAC if codec == "flac" else AudioFormat.MP3,
            int(container.bit_rate or 0),
            int(stream.rate),
            int(stream.channels),
            duration,
        )


def decodable_seconds(data: bytes, container_format: str) -> float:
    """How much audio a decoder gets out of ``data`` (a possibly truncated file)."""
    total = 0.0
    with (
        contextlib.suppress(av.error.FFmpegError, EOFError, ValueError, IndexError),
        av.open(io.BytesIO(data), format=container_format) as container,
    ):
        for frame in container.decode(audio=0):
            total += frame.samples / frame.sample_rate
    return total


def audio_duration(path: Path) -> float:
    return decodable_seconds(path.read_bytes(), "ogg" if path.suffix == ".ogg" else "mp3")


# --- part 1: encode speed ---------------------------------------------------------------


@dataclass
class EncodeRun:
    wall: float
    cpu: float


@dataclass
class EncodeRow:
    source: str
    variant: str
    method: str
    audio_seconds: float
    runs: list[EncodeRun] = field(default_factory=list)
    output_seconds: float = 0.0

    @property
    def best(self) -> EncodeRun:
        return min(self.runs, key=lambda r: r.cpu)

    @property
    def per_core(self) -> float:
        return self.audio_seconds / self.best.cpu

    @property
    def wall_speed(self) -> float:
        return self.audio_seconds / self.best.wall


def run_child(command: list[str], *, pass_fds: tuple[int, ...] = ()) -> EncodeRun:
    """Run ``command`` to the end; its wall time and the CPU time of exactly that child."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=pass_fds,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read() if process.stderr else b""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{command!r} failed: {stderr.decode(errors='replace')[-500:]}")
    return EncodeRun(wall, usage.ru_utime + usage.ru_stime)


def server_command(path: Path, out: Path, key: VariantKey, info: Probe, fd: int) -> list[str]:
    return encode_command(
        FFMPEG,
        input_fd=fd,
        output=f"file:{out}",
        key=key,
        source=SourceStream(info.sample_rate, info.channels),
    )


def without(command: list[str], *options: str) -> list[str]:
    """``command`` with each of ``options`` (and, for ``-flush_packets``, its value) removed."""
    out: list[str] = []
    skip = False
    for arg in command:
        if skip:
            skip = False
            continue
        if arg in options:
            skip = arg == "-flush_packets"
            continue
        out.append(arg)
    return out


def plain_command(path: Path, out: Path, key: VariantKey) -> list[str]:
    return [
        *(FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1"),
        *("-i", str(path), "-threads", "1"),
        *("-c:a", key.target.ffmpeg_codec, "-b:a", f"{key.bitrate_kbps}k", "-y", str(out)),
    ]


def ffmpeg_methods(
    key: VariantKey, *, ablate: bool
) -> list[tuple[str, Callable[[Path, Path, Probe, int], list[str]]]]:
    """(name, command builder) for each ffmpeg command line measured for ``key``."""

    def server(path: Path, out: Path, info: Probe, fd: int) -> list[str]:
        return server_command(path, out, key, info, fd)

    methods: list[tuple[str, Callable[[Path, Path, Probe, int], list[str]]]] = [
        ("server ffmpeg", server)
    ]
    if ablate:
        methods += [
            ("plain ffmpeg", lambda p, o, i, fd: plain_command(p, o, key)),
            (
                "server − flush_packets",
                lambda p, o, i, fd: without(server(p, o, i, fd), "-flush_packets"),
            ),
            ("server − xerror", lambda p, o, i, fd: without(server(p, o, i, fd), "-xerror")),
            (
                "server, path not fd",
                lambda p, o, i, fd: [
                    f"file:{p}" if a == f"file:/proc/self/fd/{fd}" else a
                    for a in server(p, o, i, fd)
                ],
            ),
        ]
    return methods


def pyav_encode(path: Path, out: Path, key: VariantKey) -> EncodeRun:
    """Decode ``path`` and encode it to ``key`` in this process, one thread (PyAV)."""
    started, cpu = time.perf_counter(), time.process_time()
    codec = key.target.ffmpeg_codec
    with (
        av.open(str(path)) as source,
        av.open(str(out), "w", format=key.target.ffmpeg_muxer) as sink,
    ):
        audio = source.streams.audio[0]
        audio.thread_count = 1
        rate = 48_000 if key.format is AudioFormat.OPUS else audio.rate
        stream = sink.add_stream(codec, rate=rate, layout=audio.layout.name)
        stream.bit_rate = key.bitrate_kbps * 1000
        context = stream.codec_context
        context.thread_count = 1
        context.open()
        resampler = av.AudioResampler(
            format=context.format, layout=context.layout, rate=rate, frame_size=context.frame_size
        )
        for frame in source.decode(audio):
            for chunk in resampler.resample(frame):
                sink.mux(stream.encode(chunk))
        for chunk in resampler.resample(None):
            sink.mux(stream.encode(chunk))
        sink.mux(stream.encode(None))
    return EncodeRun(time.perf_counter() - started, time.process_time() - cpu)


def encode_once(
    build: Callable[[Path, Path, Probe, int], list[str]] | None,
    path: Path,
    out: Path,
    key: VariantKey,
    info: Probe,
) -> EncodeRun:
    """One encode of ``path`` to ``out``: an ffmpeg command line, or PyAV when ``build`` is None."""
    if build is None:
        return pyav_encode(path, out, key)
    fd = os.open(path, os.O_RDONLY)
    try:
        return run_child(build(path, out, info, fd), pass_fds=(fd,))
    finally:
        os.close(fd)


def part_encode(args: argparse.Namespace, work: Path) -> list[EncodeRow]:
    sources = {"FLAC": flac_input(0, SHORT), "MP3 320": mp3_input(0, SHORT)}
    rows: list[EncodeRow] = []
    print(f"\n## 1. Encode speed (best CPU time of {args.repeat}, one thread)", flush=True)
    for label, path in sources.items():
        info = probe(path)
        offered = offered_variants(SourceAudio(info.format, info.bitrate, "audio/x"))
        print(
            f"{label}: {info.duration:.1f} s, {info.bitrate // 1000} kbps, offers "
            f"{', '.join(k.slug for k in offered)}",
            flush=True,
        )
        for key in offered:
            ablate = label == "FLAC" and key in (OPUS_160, MP3_320)
            methods = [*ffmpeg_methods(key, ablate=ablate), ("PyAV in-process", None)]
            group = [EncodeRow(label, key.slug, name, info.duration) for name, _ in methods]
            outs = [work / f"out-{n}.{key.container}" for n in range(len(methods))]
            # Round-robin, so a burst of other load on the machine hits every method alike.
            for _ in range(args.repeat):
                for (_, build), row, out in zip(methods, group, outs, strict=True):
                    row.runs.append(encode_once(build, path, out, key, info))
            for row, out in zip(group, outs, strict=True):
                row.output_seconds = audio_duration(out)
                out.unlink()
                rows.append(row)
                print_encode(row)
    print(
        "\n| source | variant | encoder | × real time per core (CPU) | × real time (wall) "
        "| output s | issue's reference (Debian ffmpeg, 1 thread) |"
    )
    print("|---|---|---|---:|---:|---:|---|")
    for row in rows:
        reference = ISSUE_REFERENCE.get(row.variant) if row.source == "FLAC" else None
        print(
            f"| {row.source} | {row.variant} | {row.method} | {row.per_core:.0f}× | "
            f"{row.wall_speed:.0f}× | {row.output_seconds:.2f} | "
            f"{f'~{reference:.0f}×, match or beat it' if reference else '—'} |"
        )
    return rows


def print_encode(row: EncodeRow) -> None:
    print(
        f"  {row.source:8} {row.variant:9} {row.method:24} {row.per_core:6.0f}× per core "
        f"(cpu {row.best.cpu:5.2f} s, wall {row.best.wall:5.2f} s)",
        flush=True,
    )


# --- a real server ----------------------------------------------------------------------


@dataclass
class Timeline:
    """One response as the client saw it, relative to sending the request."""

    status: int
    headers: dict[str, str]
    headers_at: float
    chunks: list[tuple[float, int]]  # (arrival, bytes received so far)
    body: bytes
    ended_at: float

    @property
    def first_byte_at(self) -> float | None:
        return self.chunks[0][0] if self.chunks else None

    @property
    def last_byte_at(self) -> float | None:
        return self.chunks[-1][0] if self.chunks else None

    def first_decodable_second(self, container_format: str, header: bytes = b"") -> float | None:
        """When the received prefix first decoded to at least one second of audio."""

        def enough(index: int) -> bool:
            prefix = header + self.body[: self.chunks[index][1]]
            return decodable_seconds(prefix, container_format) >= 1.0

        # Gallop from the start (decoding a long prefix is slow), then bisect.
        last = len(self.chunks) - 1
        low, high = 0, 0
        while not enough(high):
            if high == last:
                return None
            low, high = high + 1, min(last, 2 * high + 1)
        while low < high:
            middle = (low + high) // 2
            if enough(middle):
                high = middle
            else:
                low = middle + 1
        return self.chunks[low][0]


def timed_pipe(command: list[str], fd: int) -> Timeline:
    """The server's encoder alone, writing to a pipe: when its output arrives."""
    chunks: list[tuple[float, int]] = []
    body = bytearray()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, pass_fds=(fd,)
    )
    assert process.stdout is not None
    with process.stdout:
        while chunk := os.read(process.stdout.fileno(), 65536):
            body += chunk
            chunks.append((time.perf_counter() - started, len(body)))
    process.wait()
    return Timeline(process.returncode, {}, 0.0, chunks, bytes(body), time.perf_counter() - started)


def timed_head(url: str) -> Timeline:
    """A HEAD request: when its headers arrived."""
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        response = client.head(url)
        at = time.perf_counter() - started
    return Timeline(response.status_code, dict(response.headers), at, [], b"", at)


def timed_get(
    url: str, headers: dict[str, str] | None = None, on_first_byte: threading.Event | None = None
) -> Timeline:
    chunks: list[tuple[float, int]] = []
    body = bytearray()
    with httpx.Client(timeout=120) as client:
        started = time.perf_counter()
        with client.stream("GET", url, headers=headers or {}) as response:
            headers_at = time.perf_counter() - started
            for chunk in response.iter_raw():
                body += chunk
                chunks.append((time.perf_counter() - started, len(body)))
                if on_first_byte is not None and not on_first_byte.is_set():
                    on_first_byte.set()
        ended_at = time.perf_counter() - started
    if on_first_byte is not None:
        on_first_byte.set()
    return Timeline(
        response.status_code, dict(response.headers), headers_at, chunks, bytes(body), ended_at
    )


@dataclass
class Server:
    base: str
    work: Path
    signer: StreamSigner
    user_id: uuid.UUID
    tracks: dict[str, uuid.UUID]  # media-relative path → track id
    files: dict[str, Path]  # media-relative path → the file

    def url(self, rel: str, key: VariantKey | None = None, **query: str) -> str:
        track_id = self.tracks[rel]
        token = self.signer.mint(track_id, user_id=self.user_id, variant=key).token
        extra = "".join(f"&{name}={value}" for name, value in query.items())
        return self.base + stream_url(track_id, token) + extra


@contextlib.contextmanager
def tonearm_server(work: Path, files: list[Path]) -> Iterator[Server]:
    media = work / "media"
    media.mkdir()
    rels = []
    for path in files:
        target = media / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
        rels.append(target.name)
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(work / "data"),
        "TONEARM_SECRET_KEY": SECRET,
        "TONEARM_MEDIA_ROOT": str(media),
        "TONEARM_LOG_LEVEL": "warning",
        "TONEARM_FRONTEND_DIR": str(work / "none"),
        "TONEARM_VARIANTS_ON_SCAN": "on-demand",
        "TONEARM_TRANSCODE_MAX_CONCURRENT": str(CONCURRENT),
        "TONEARM_TRANSCODE_MAX_PER_USER": str(CONCURRENT),
        "TONEARM_FFMPEG": FFMPEG,
        "PYTHONPATH": str(REPO),
    }
    for name in ("TONEARM_DATABASE_URL", "TONEARM_REDIS_URL", "TONEARM_WORKERS"):
        env.pop(name, None)
    port = free_port()
    tonearm = str(Path(sys.executable).parent / "tonearm")
    command = [sys.executable, "-m", "tonearm.cli", "serve", "--scan", "--host", "127.0.0.1"]
    with running(
        [*command, "--port", str(port)], env=env, cwd=work, log=work / "tonearm.log"
    ) as server:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/healthz", server, timeout=120)
            subprocess.run(
                [tonearm, "user", "add", USERNAME],
                input=f"{PASSWORD}\n",
                text=True,
                env=env,
                check=True,
                capture_output=True,
            )
            database = work / "data" / "tonearm.db"
            deadline = time.monotonic() + 120
            while True:
                with contextlib.closing(sqlite3.connect(database)) as db:
                    rows = dict(db.execute("SELECT path, id FROM tracks").fetchall())
                    users = db.execute("SELECT id FROM users WHERE username = ?", (USERNAME,))
                    (user_raw,) = users.fetchone()
                found = {os.fsdecode(p) if isinstance(p, bytes) else p: i for p, i in rows.items()}
                if all(rel in found for rel in rels) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            missing = [rel for rel in rels if rel not in found]
            if missing:
                raise RuntimeError(f"not scanned: {missing}")
            yield Server(
                base,
                work,
                StreamSigner([SECRET], 24 * 3600),
                uuid.UUID(user_raw),
                {rel: uuid.UUID(found[rel]) for rel in rels},
                {rel: media / rel for rel in rels},
            )
        except BaseException:
            log = (work / "tonearm.log").read_text(errors="replace")
            print(f"--- tonearm.log (tail) ---\n{log[-3000:]}", file=sys.stderr)
            raise


def ogg_header(data: bytes) -> bytes:
    """The pages before the first audio page of an Ogg stream (Opus head and tags)."""
    offset = 0
    while data[offset : offset + 4] == b"OggS":
        granule = int.from_bytes(data[offset + 6 : offset + 14], "little", signed=True)
        segments = data[offset + 26]
        table = data[offset + 27 : offset + 27 + segments]
        if granule not in (0, -1):
            return data[:offset]
        offset += 27 + segments + sum(table)
    return data[:offset]


def stream_differences(streamed: bytes, stored: bytes, container_format: str) -> int:
    """How many bytes differ; raises unless all of them lie before the first audio packet."""
    if streamed == stored:
        return 0
    with av.open(io.BytesIO(stored), format=container_format) as container:
        first_audio = next(p.pos for p in container.demux(audio=0) if p.pos is not None)
    if len(streamed) != len(stored) or streamed[first_audio:] != stored[first_audio:]:
        raise RuntimeError("the first play's audio differs from the stored file")
    return sum(a != b for a, b in zip(streamed[:first_audio], stored[:first_audio], strict=True))


def wait_made(server: Server, rel: str, key: VariantKey, timeout: float = 60) -> int:
    """Wait until HEAD says the variant is stored (plain Range works); its size."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = httpx.head(server.url(rel, key), timeout=10)
        if head.headers.get("accept-ranges") == "bytes" and "content-length" in head.headers:
            return int(head.headers["content-length"])
        time.sleep(0.25)
    raise RuntimeError(f"{key.slug} of {rel} was not made within {timeout} s")


# --- part 2: latency ----------------------------------------------------------------------


@dataclass
class Latency:
    case: str
    variant: str
    status: int
    headers_s: float
    first_bytes_s: float | None
    first_second_s: float | None
    whole_s: float | None = None


def latency_of(
    case: str, variant: str, timeline: Timeline, fmt: str | None, header: bytes = b""
) -> Latency:
    return Latency(
        case,
        variant,
        timeline.status,
        timeline.headers_at,
        timeline.first_byte_at,
        timeline.first_decodable_second(fmt, header) if fmt else None,
        timeline.last_byte_at,
    )


def part_latency(args: argparse.Namespace, server: Server, rels: list[str]) -> list[Latency]:
    print("\n## 2. First play, far seek, made variant (through tonearm serve)", flush=True)
    results: list[Latency] = []
    for rel in rels:
        for key in (OPUS_160, MP3_320):
            fmt = key.target.ffmpeg_muxer
            # The route alone: HEAD on the variant not made yet answers without encoding.
            head = timed_head(server.url(rel, key))
            results.append(latency_of("HEAD, not made (no encode)", key.slug, head, None))
            # First play of a variant not made yet; a far seek while it is being made.
            started = threading.Event()
            first: list[Timeline] = []
            url = server.url(rel, key)
            player = threading.Thread(
                target=lambda out, u, ev: out.append(timed_get(u, on_first_byte=ev)),
                args=(first, url, started),
            )
            player.start()
            started.wait(60)
            time.sleep(0.5)  # the listener hears a moment, then drags the bar far ahead
            seek = timed_get(server.url(rel, key, start=f"{FAR_SEEK:g}"))
            player.join()
            (play,) = first
            if play.status != 200 or play.headers.get("x-tonearm-variant") != "encoding":
                raise RuntimeError(f"first play of {key.slug}: {play.status} {play.headers}")
            if seek.status != 200:
                raise RuntimeError(f"far seek: {seek.status} {seek.body[:200]!r}")
            results.append(latency_of("first play", key.slug, play, fmt))
            results.append(latency_of(f"far seek start={FAR_SEEK:g}", key.slug, seek, fmt))
            # Made: a plain Range request in the middle of the stored file.
            size = wait_made(server, rel, key)
            stored = httpx.get(server.url(rel, key), timeout=60).content
            differ = stream_differences(play.body, stored, fmt)
            if differ:
                print(
                    f"  note: the first play of {key.slug} differs from the stored file in "
                    f"{differ} bytes before the first audio frame (the Xing/LAME header, "
                    "which the muxer fills in when the encode ends)",
                    flush=True,
                )
            middle = size // 2
            made = timed_get(server.url(rel, key), {"Range": f"bytes={middle}-"})
            if made.status != 206 or made.body != stored[middle:]:
                raise RuntimeError(f"made {key.slug}: {made.status}")
            header = ogg_header(stored) if fmt == "ogg" else b""
            results.append(latency_of("made, Range mid-file", key.slug, made, fmt, header))
            # Reference: the server's encoder command line alone, to a pipe.
            info = probe(server.files[rel])
            fd = os.open(server.files[rel], os.O_RDONLY)
            try:
                command = encode_command(
                    FFMPEG,
                    input_fd=fd,
                    output="pipe:1",
                    key=key,
                    source=SourceStream(info.sample_rate, info.channels),
                )
                alone = timed_pipe(command, fd)
            finally:
                os.close(fd)
            results.append(latency_of("ffmpeg alone, to a pipe", key.slug, alone, fmt))
            # Reference: the original FLAC, the same kind of request, same run.
            original_size = int(httpx.head(server.url(rel), timeout=10).headers["content-length"])
            original = timed_get(server.url(rel), {"Range": f"bytes={original_size // 2}-"})
            if original.status != 206:
                raise RuntimeError(f"original range: {original.status}")
            results.append(latency_of("original FLAC, Range mid-file", "original", original, None))
            for result in results[-6:]:
                print(
                    f"  {rel:22} {result.case:30} {result.variant:9} "
                    f"headers {ms(result.headers_s)}  first bytes {ms(result.first_bytes_s)}  "
                    f"first second {ms(result.first_second_s)}  last byte {ms(result.whole_s)}",
                    flush=True,
                )
    print(
        "\n| case | variant | n | headers ms (median / max) | first audio bytes ms "
        "(median / max) | first decodable second ms (median / max) | last byte ms (median) "
        "| target / reference |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    reference = [r.first_bytes_s for r in results if r.variant == "original" and r.first_bytes_s]
    ref_text = f"original Range: {ms(statistics.median(reference))}" if reference else "—"
    seen: list[tuple[str, str]] = []
    for r in results:
        if (r.case, r.variant) not in seen:
            seen.append((r.case, r.variant))
    for case, variant in seen:
        group = [r for r in results if (r.case, r.variant) == (case, variant)]
        target = (
            f"first bytes ≤ {FIRST_BYTES_TARGET * 1000:.0f} ms; {ref_text}"
            if case == "first play"
            else (
                "reference"
                if variant == "original" or case.startswith(("ffmpeg", "HEAD"))
                else ref_text
            )
        )
        print(
            f"| {case} | {variant} | {len(group)} | {spread([r.headers_s for r in group])} | "
            f"{spread([r.first_bytes_s for r in group])} | "
            f"{spread([r.first_second_s for r in group])} | "
            f"{ms(med([r.whole_s for r in group]))} | {target} |"
        )
    return results


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def spread(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    return f"{ms(statistics.median(present))} / {ms(max(present))}"


# --- part 3: concurrent first plays -------------------------------------------------------


@dataclass
class Client:
    track: str
    status: int
    bytes: int
    audio_seconds: float
    first_bytes_s: float | None
    last_byte_s: float | None
    ended_s: float
    whole_ratio: float | None
    min_window_ratio: float | None
    windows: int


def audio_points(data: bytes, container_format: str) -> list[tuple[int, float]]:
    """(byte offset, audio seconds decodable up to it) at each page (Ogg) or frame (MP3) end."""
    points: list[tuple[int, float]] = [(0, 0.0)]
    with av.open(io.BytesIO(data), format=container_format) as container:
        stream = container.streams.audio[0]
        ends: dict[int, float] = {}
        sizes: dict[int, int] = {}
        for packet in container.demux(stream):
            if packet.pos is None or packet.pts is None or packet.time_base is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            ends[packet.pos] = max(ends.get(packet.pos, 0.0), end)
            sizes[packet.pos] = sizes.get(packet.pos, 0) + packet.size
    positions = sorted(ends)
    for index, pos in enumerate(positions):
        unit_end = positions[index + 1] if index + 1 < len(positions) else len(data)
        if container_format == "mp3":
            unit_end = pos + sizes[pos]
        points.append((unit_end, max(ends[pos], 0.0)))
    return points


def seconds_at(points: list[tuple[int, float]], received: int) -> float:
    """Audio seconds in the first ``received`` bytes, linear inside a page or frame."""
    previous = points[0]
    for point in points[1:]:
        if received < point[0]:
            span = point[0] - previous[0]
            share = (received - previous[0]) / span if span else 0.0
            return previous[1] + share * (point[1] - previous[1])
        previous = point
    return previous[1]


def client_figures(track: str, timeline: Timeline, container_format: str) -> Client:
    points = audio_points(timeline.body, container_format)
    audio = points[-1][1]
    whole = window = None
    windows = 0
    first, last = timeline.first_byte_at, timeline.last_byte_at
    if first is not None and last is not None and last > first:
        whole = audio / (last - first)
        # A(t): audio received by t (a step at each chunk); windows [t, t+1] from first+1 s.
        times = [t for t, _ in timeline.chunks]
        received = [seconds_at(points, n) for _, n in timeline.chunks]

        def audio_by(moment: float) -> float:
            lo, hi = 0, len(times)
            while lo < hi:
                mid = (lo + hi) // 2
                if times[mid] <= moment:
                    lo = mid + 1
                else:
                    hi = mid
            return received[lo - 1] if lo else 0.0

        start = first + 1.0
        while start + 1.0 <= last:
            ratio = audio_by(start + 1.0) - audio_by(start)
            window = ratio if window is None else min(window, ratio)
            windows += 1
            start += 0.05
    return Client(
        track,
        timeline.status,
        len(timeline.body),
        audio,
        first,
        last,
        timeline.ended_at,
        whole,
        window,
        windows,
    )


def part_concurrent(server: Server, rels: list[str]) -> list[Client]:
    print(
        f"\n## 3. {len(rels)} first plays at once ({OPUS_160.slug}, different tracks)", flush=True
    )
    barrier = threading.Barrier(len(rels))
    timelines: dict[str, Timeline] = {}

    def play(rel: str) -> None:
        url = server.url(rel, OPUS_160)
        barrier.wait()
        timelines[rel] = timed_get(url)

    threads = [threading.Thread(target=play, args=(rel,)) for rel in rels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clients = [client_figures(rel, timelines[rel], "ogg") for rel in rels]
    print(
        "\n| client | status | MB | audio s | first bytes ms | last byte s | response end s "
        "| audio s per wall s (whole) | min over 1 s windows | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in clients:
        print(
            f"| {c.track} | {c.status} | {c.bytes / 2**20:.1f} | {c.audio_seconds:.1f} | "
            f"{ms(c.first_bytes_s)} | {fmt(c.last_byte_s)} | {c.ended_s:.2f} | "
            f"{fmt(c.whole_ratio, 1)}× | {fmt(c.min_window_ratio, 1)}× ({c.windows}) | > 1× |"
        )
    worst_whole = min((c.whole_ratio for c in clients if c.whole_ratio is not None), default=None)
    worst_window = min(
        (c.min_window_ratio for c in clients if c.min_window_ratio is not None), default=None
    )
    print(f"| **minimum** | | | | | | | {fmt(worst_whole, 1)}× | {fmt(worst_window, 1)}× | > 1× |")
    return clients


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# --- main ---------------------------------------------------------------------------------


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> int:
    """Make the inputs, run the parts asked for, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", default="1,2,3", help="comma-separated: 1 encode, 2 latency, 3 concurrent"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="encodes per row in part 1 (best counts)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="5-minute FLACs in part 2")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    av.logging.set_level(None)  # truncated prefixes are decoded on purpose: no warnings
    print(
        f"before: {load()}; ffmpeg {FFMPEG}; PyAV {av.__version__} "
        f"(libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))})",
        flush=True,
    )
    print("inputs (made once into .cache/variants-bench/)…", flush=True)
    long_tracks = [flac_input(10 + r, LONG) for r in range(args.rounds)] if "2" in parts else []
    many = [flac_input(i, SHORT) for i in range(CONCURRENT)] if "3" in parts else []
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="tonearm-bench-variants-"))
    try:
        if "1" in parts:
            rows = part_encode(args, work)
            results["encode"] = [
                {**asdict(r), "per_core": r.per_core, "wall_speed": r.wall_speed} for r in rows
            ]
        if parts & {"2", "3"}:
            print(
                f"\ntonearm serve: {choose_worker_count(requested=None, configured=None)} "
                "workers (its default here), SQLite, embedded queue",
                flush=True,
            )
            with tonearm_server(work, [*long_tracks, *many]) as server:
                if "2" in parts:
                    latency = part_latency(args, server, [p.name for p in long_tracks])
                    results["latency"] = [asdict(r) for r in latency]
                if "3" in parts:
                    clients = part_concurrent(server, [p.name for p in many])
                    results["concurrent"] = [asdict(c) for c in clients]
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    print(f"\nafter: {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
