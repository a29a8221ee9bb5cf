"""``tonearm transcode`` and the eager scan policy through ``tonearm.cli.main``; the overview."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_SECRET
from tests.support.audio import write_audio
from tests.transcoding.conftest import FLAC, MP3, SECONDS, Encoder, Library
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import VariantKey
from tonearm.cli import main
from tonearm.db import variants as registry
from tonearm.settings import Settings
from tonearm.transcoding import jobs
from tonearm.transcoding.making import Maker
from tonearm.transcoding.queue import create_queue
from tonearm.transcoding.store import VariantStore

OPUS_96 = VariantKey(AudioFormat.OPUS, 96)
OPUS_160 = VariantKey(AudioFormat.OPUS, 160)
MP3_320 = VariantKey(AudioFormat.MP3, 320)


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    media_root: Path,
    database_url_for_test: str,
    encoder: Encoder,
) -> Path:
    """The environment a person running ``tonearm`` here would have; the data dir."""
    data_dir = tmp_path / "data"
    values = {
        "TONEARM_DATA_DIR": str(data_dir),
        "TONEARM_DATABASE_URL": database_url_for_test,
        "TONEARM_MEDIA_ROOT": str(media_root),
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_FFMPEG": str(encoder.program),
        "TONEARM_WORKER_THREADS": "2",
        "TONEARM_LOG_LEVEL": "warning",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return data_dir


async def tonearm(*args: str) -> int:
    """``tonearm ARGS`` in this process (in a thread: the command runs its own event loop)."""
    try:
        return await asyncio.to_thread(main, list(args))
    except SystemExit as exit_:  # argparse refusing the arguments
        return int(exit_.code or 0)


async def states(engine: AsyncEngine, track_id: uuid.UUID) -> dict[str, str]:
    async with engine.connect() as connection:
        rows = (await registry.variants_of_tracks(connection, [track_id])).get(track_id, [])
    return {f"{row.format}-{row.bitrate_kbps}": row.state for row in rows}


async def test_transcode_makes_what_is_missing_then_remakes_everything_with_all(
    cli_env: Path,
    library: Library,
    engine: AsyncEngine,
    encoder: Encoder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flac, mp3 = library.ids[FLAC], library.ids[MP3]

    only_opus_96 = await tonearm("transcode", "--format", "opus", "--bitrate", "96")
    first = capsys.readouterr().out
    again = await tonearm("transcode", "--missing", "--format", "opus", "--bitrate", "96")
    second = capsys.readouterr().out
    encodes_after_missing = encoder.encodes
    everything = await tonearm("transcode")
    third = capsys.readouterr().out
    remade = await tonearm("transcode", "--all", "--format", "opus")
    fourth = capsys.readouterr().out

    assert (only_opus_96, again, everything, remade) == (0, 0, 0, 0)
    assert first == "variants: made 2, already made 0, failed 0\n"
    assert second == "nothing to transcode: every variant asked for is made\n"
    assert encodes_after_missing == 2
    assert third == "variants: made 3, already made 0, failed 0\n"  # the FLAC's other three
    assert await states(engine, flac) == {
        "mp3-320": "ready",
        "opus-320": "ready",
        "opus-160": "ready",
        "opus-96": "ready",
    }
    assert await states(engine, mp3) == {"opus-96": "ready"}
    assert fourth == "variants: made 4, already made 0, failed 0\n"  # every opus, made again
    assert encoder.encodes == 9


async def test_transcode_reports_failures_and_exits_1(
    cli_env: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    mp3 = library.ids[MP3]
    (library.root / MP3).unlink()

    status = await tonearm("transcode", "--track", str(mp3))

    assert status == 1
    assert capsys.readouterr().out == (
        "variants: made 0, already made 0, failed 1\n"
        f"  failed: track {mp3} opus-96: the original file is missing\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bitrate", "96"], "--bitrate needs --format (mp3 or opus)"),
        (
            ["--format", "opus", "--bitrate", "128"],
            "opus variants are made at 96, 160, 320 kbps, not 128",
        ),
        (
            ["--format", "mp3", "--bitrate", "100"],
            "mp3 variants are made at 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, "
            "256, 320 kbps, not 100",
        ),
        (["--track", "nope"], "'nope' is not a track id"),
    ],
)
async def test_transcode_refuses_arguments_that_name_nothing_in_one_line(
    cli_env: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await tonearm("transcode", *args)

    assert status == 2
    assert capsys.readouterr().err == f"tonearm: error: {message}\n"


async def test_transcode_refuses_a_variant_the_track_does_not_offer(
    cli_env: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    mp3 = library.ids[MP3]  # 128 kbps: it offers Opus 96 only
    unknown = uuid.uuid4()

    not_offered = await tonearm(
        "transcode", "--track", str(mp3), "--format", "opus", "--bitrate", "160"
    )
    not_offered_err = capsys.readouterr().err
    no_track = await tonearm("transcode", "--track", str(unknown))
    no_track_err = capsys.readouterr().err
    nobody = await tonearm("transcode", "--format", "mp3", "--bitrate", "32")
    nobody_err = capsys.readouterr().err

    assert (not_offered, no_track, nobody) == (2, 2, 2)
    assert not_offered_err == (
        f"tonearm: error: track {mp3} does not offer opus 160 kbps (it offers opus 96 kbps)\n"
    )
    assert no_track_err == f"tonearm: error: no track has the id {unknown}\n"
    assert nobody_err == "tonearm: error: no track offers mp3 32 kbps\n"


@pytest.mark.parametrize(
    "args", [["--format", "flac"], ["--all", "--missing"], ["--bitrate", "0", "--format", "mp3"]]
)
async def test_transcode_argument_mistakes_are_usage_errors(
    cli_env: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = await tonearm("transcode", *args)

    assert status == 2
    assert "tonearm transcode: error:" in capsys.readouterr().err


async def test_an_eager_scan_queues_the_variants_of_the_tracks_it_added(
    cli_env: Path,
    media_root: Path,
    engine: AsyncEngine,
    queue_redis_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if queue_redis_url:
        monkeypatch.setenv("TONEARM_REDIS_URL", queue_redis_url)
    write_audio(media_root / FLAC, "flac", seconds=SECONDS)
    write_audio(media_root / MP3, "mp3", seconds=SECONDS, key=2)
    monkeypatch.setenv("TONEARM_VARIANTS_ON_SCAN", "eager")

    assert await tonearm("scan") == 0
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    queue = create_queue(settings)
    try:
        first = sorted(task.args[1] for task in queue.huey.pending())
        assert await tonearm("scan") == 0  # nothing changed: nothing more to queue
        second = queue.huey.pending_count()
    finally:
        queue.close()
    counts = await registry.state_counts(engine)

    assert first == ["mp3-320", "opus-160", "opus-320", "opus-96", "opus-96"]
    assert second == 5
    assert (counts.pending, counts.ready, counts.failed) == (5, 0, 0)


async def test_an_on_demand_scan_queues_nothing(
    cli_env: Path, media_root: Path, engine: AsyncEngine
) -> None:
    write_audio(media_root / FLAC, "flac", seconds=SECONDS)

    assert await tonearm("scan") == 0

    counts = await registry.state_counts(engine)
    assert (counts.pending, counts.ready, counts.failed) == (0, 0, 0)
    assert not (cli_env / "queue.db").exists()


async def test_the_overview_counts_each_state_and_tells_running_from_waiting(
    maker: Maker, library: Library, engine: AsyncEngine, store: VariantStore
) -> None:
    flac = library.ids[FLAC]
    source = await registry.source_file(engine, flac)
    assert source is not None
    lock = await maker.try_lock(flac, OPUS_96)
    assert lock is not None
    try:
        await maker.make(source, OPUS_96, lock)
    finally:
        lock.release()
    await registry.claim_pending(engine, source, OPUS_160)
    await registry.claim_pending(engine, source, MP3_320)
    running = store.try_lock(flac, MP3_320)  # being encoded now
    assert running is not None
    mp3_source = await registry.source_file(engine, library.ids[MP3])
    assert mp3_source is not None
    await registry.mark_failed(engine, mp3_source, OPUS_96, "the original does not decode")

    try:
        overview = await jobs.queue_overview(engine, store)
    finally:
        running.release()
    after = await jobs.queue_overview(engine, store, failed_first=0)

    assert (overview.pending, overview.running, overview.ready, overview.failed) == (1, 1, 1, 1)
    (failed,) = overview.failed_variants
    assert (failed.track_id, failed.format, failed.bitrate_kbps) == (
        library.ids[MP3],
        AudioFormat.OPUS,
        96,
    )
    assert (failed.reason, failed.attempts) == ("the original does not decode", 1)
    assert (after.pending, after.running, after.failed_variants) == (2, 0, [])
