"""The encoder: Debian's ``ffmpeg`` as a subprocess, its command lines and its error text.

Why a subprocess and not PyAV (both measured in ``benchmarks/variants.py``; see README.md):
the same encoders at the same speed, plus ``libvorbis``; a crash or a hang of the encoder
kills one process, not a server worker; killing it when a client goes away is one signal;
and it never holds the GIL of the server's event loop.

The source is always handed to ffmpeg as an open descriptor of the file that the stream
route's confinement checked (``/proc/self/fd/N`` inside the child), never as a path, so
ffmpeg reads exactly the file that was confined to the media root even if a symlink is
swapped in meanwhile. Only the audio stream is mapped (embedded cover art is a video
stream to ffmpeg), tags are kept, and the sample rate is changed only where the target
needs it (LAME stops at 48 kHz; libopus resamples to 48 kHz itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey

MP3_MAX_SAMPLE_RATE = 48_000
MAX_REASON_CHARS = 300
# Anything that looks like an absolute path is cut out of error text shown to people.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s:'\"]+)")


class EncoderFailed(Exception):
    """ffmpeg exited without a usable result; ``reason`` is safe to show (no paths)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SourceStream:
    """What the command line needs to know about the source's audio."""

    sample_rate: int | None
    channels: int | None


def _target_args(key: VariantKey, source: SourceStream) -> list[str]:
    target = key.target
    args = ["-c:a", target.ffmpeg_codec, "-b:a", f"{key.bitrate_kbps}k"]
    if key.format is AudioFormat.MP3:
        rate = source.sample_rate
        if rate and rate > MP3_MAX_SAMPLE_RATE:
            args += ["-ar", "44100" if rate % 44_100 == 0 else "48000"]
        if source.channels and source.channels > 2:
            args += ["-ac", "2"]
    return [*args, "-f", target.ffmpeg_muxer]


def encode_command(
    ffmpeg: str,
    *,
    input_fd: int,
    output: str,
    key: VariantKey,
    source: SourceStream,
    start_seconds: float | None = None,
) -> list[str]:
    """The command that encodes the source on ``input_fd`` into ``output`` (``pipe:1``: stdout).

    ``start_seconds`` seeks the input before decoding (fast: ``-ss`` before ``-i``).
    Packets are flushed as they are muxed, so a reader following the file (or the pipe)
    gets audio within a fraction of a second.
    """
    seek = ["-ss", f"{start_seconds:.3f}"] if start_seconds else []
    return [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-xerror",  # a source that fails to decode halfway fails the encode
        "-threads",
        "1",
        *seek,
        "-i",
        f"file:/proc/self/fd/{input_fd}",
        "-map",
        "0:a:0",
        "-map_metadata",
        "0",
        "-vn",
        "-sn",
        "-dn",
        "-threads",
        "1",
        *_target_args(key, source),
        "-flush_packets",
        "1",
        "-y",
        output,
    ]


def decode_command(ffmpeg: str, path: str) -> list[str]:
    """The command that decodes ``path`` completely and reports how long its audio is."""
    return [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-xerror",
        "-threads",
        "1",
        "-i",
        f"file:{path}",
        "-map",
        "0:a:0",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-nostats",
        "-",
    ]


def decode_fd_command(ffmpeg: str, input_fd: int) -> list[str]:
    """``decode_command`` for a source handed over as an open descriptor."""
    return decode_command(ffmpeg, f"/proc/self/fd/{input_fd}")


def decoded_seconds(progress: bytes) -> float | None:
    """The last ``out_time_us`` of ffmpeg's ``-progress`` output, in seconds."""
    seconds = None
    for line in progress.decode("ascii", "replace").splitlines():
        name, _, value = line.partition("=")
        if name == "out_time_us" and value.strip().lstrip("-").isdigit():
            seconds = int(value) / 1_000_000
    return seconds


def reason_from(stderr: bytes, *, returncode: int | None, hide: tuple[str, ...] = ()) -> str:
    """A short reason for people from ffmpeg's error output, with every path cut out."""
    text = stderr.decode("utf-8", "replace")
    for secret in hide:
        if secret:
            text = text.replace(secret, "…")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = "; ".join(lines[-3:]) if lines else f"exit status {returncode}"
    detail = _ABSOLUTE_PATH.sub("…", detail)
    detail = re.sub(r"\[[a-z0-9_]+ @ 0x[0-9a-f]+\] ", "", detail)
    return detail[:MAX_REASON_CHARS]


async def start(
    command: list[str], *, input_fd: int, stdout_pipe: bool
) -> asyncio.subprocess.Process:
    """Start ffmpeg with ``input_fd`` passed through; stderr is captured for the reason."""
    return await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE if stdout_pipe else asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        pass_fds=(input_fd,),
        start_new_session=True,  # a signal to the server's process group does not reach it
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    """Kill ffmpeg (if it still runs) and reap it; safe to call more than once."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    await process.wait()


async def run_to_end(
    command: list[str], *, input_fd: int | None = None
) -> tuple[int, bytes, bytes]:
    """Run a short ffmpeg command to the end: its exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        pass_fds=(input_fd,) if input_fd is not None else (),
        start_new_session=True,
    )
    try:
        out, err = await process.communicate()
    except BaseException:
        await asyncio.shield(stop(process))
        raise
    return process.returncode or 0, out, err
