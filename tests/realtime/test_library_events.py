"""``libraryEvents`` across processes on a real server: a socket on one of two workers
receives what another process published on ``LIBRARY`` (the local bus on SQLite,
LISTEN/NOTIFY on PostgreSQL), filtered for the viewer: an admin sees the scans of
``scanLibrary`` and of ``tonearm scan``; a listener sees a variant that ``tonearm transcode``
made for a track they can see, not one of a track they cannot, and never a scan."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_SECRET
from tests.realtime import ws
from tests.realtime.conftest import RealServer
from tests.realtime.test_bus import Backend
from tonearm.pubsub.channels import LIBRARY
from tonearm.pubsub.library_events import (
    SCAN_FINISHED,
    SCAN_PROGRESS,
    SCAN_STARTED,
    VARIANT_READY,
    ScanCounts,
    scan_message,
    variant_ready_message,
)
from tonearm.schema.ids import TRACK_TYPE_NAME, parse_global_id

EVENTS = "subscription { libraryEvents { kind scan { phase filesSeen finished } } }"


def _publisher(server: RealServer) -> Backend:
    return Backend("auto", server.database_url, "", server.data_dir)


async def _first_event(server: RealServer, token: str) -> dict[str, Any]:
    """Subscribe, then publish from another process until the event arrives (the
    subscription starts asynchronously: the protocol has no acknowledgement of it)."""
    message = scan_message(SCAN_STARTED, ScanCounts(phase="walking", files_seen=3))
    async with ws.session(server.ws_url, token=token) as socket:
        await ws.subscribe(socket, "events", EVENTS)
        for _ in range(40):
            await asyncio.to_thread(_publisher(server).publish_elsewhere, LIBRARY, message)
            try:
                return await ws.receive(socket, wait=0.5)
            except TimeoutError:
                continue
    raise AssertionError("no library event arrived")


def test_an_admin_receives_scan_events_published_by_another_process(
    real_server: RealServer,
) -> None:
    event = asyncio.run(_first_event(real_server, real_server.admin.token))
    assert event["type"] == "next", event
    assert event["payload"] == {
        "data": {
            "libraryEvents": {
                "kind": "SCAN_STARTED",
                "scan": {"phase": "walking", "filesSeen": 3, "finished": False},
            }
        }
    }


def test_a_listener_does_not_receive_scan_events(real_server: RealServer) -> None:
    async def client() -> None:
        message = scan_message(SCAN_STARTED, ScanCounts(phase="walking"))
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as socket:
            await ws.subscribe(socket, "events", EVENTS)
            for _ in range(6):
                await asyncio.to_thread(_publisher(real_server).publish_elsewhere, LIBRARY, message)
            # Still subscribed (a query answers), and nothing of the scans arrived.
            answer = await ws.operation(socket, "{ viewer { username } }")
            assert answer == {"data": {"viewer": {"username": "listener"}}}

    asyncio.run(client())


ALL_EVENTS = (
    "subscription { libraryEvents { kind trackId format bitrateKbps "
    "scan { phase filesSeen filesDone added updated missing finished } } }"
)
SCAN = "mutation { scanLibrary { added updated missing } }"
PROBE = scan_message(SCAN_STARTED, ScanCounts(phase="probe"))


async def _subscribed(server: RealServer, socket: Any, probe: dict[str, Any]) -> None:
    """Subscribe to every library event, then publish ``probe`` from another process until
    it arrives: from then on the subscription is live."""
    await ws.subscribe(socket, "events", ALL_EVENTS)
    for _ in range(40):
        await asyncio.to_thread(_publisher(server).publish_elsewhere, LIBRARY, probe)
        try:
            event = await ws.receive(socket, wait=0.5)
        except TimeoutError:
            continue
        assert event["type"] == "next", event
        while True:  # drain the other probes that were already under way
            try:
                await ws.receive(socket, wait=1.0)
            except TimeoutError:
                return
    raise AssertionError("the subscription never went live")


async def _scan_events(socket: Any) -> list[dict[str, Any]]:
    """The library events until a scan's SCAN_FINISHED."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["kind"] != SCAN_FINISHED:
        message = await ws.receive(socket, wait=120)
        assert message["type"] == "next", message
        events.append(message["payload"]["data"]["libraryEvents"])
    return events


def _check_scan(events: list[dict[str, Any]], summary: dict[str, int]) -> None:
    kinds = [event["kind"] for event in events]
    assert kinds[0] == SCAN_STARTED, kinds
    assert kinds[-1] == SCAN_FINISHED, kinds
    assert kinds.count(SCAN_PROGRESS) >= 1, kinds
    assert set(kinds[1:-1]) == {SCAN_PROGRESS}, kinds
    finished = events[-1]["scan"]
    assert finished["finished"] is True
    assert finished["phase"] == "done"
    assert {key: finished[key] for key in ("added", "updated", "missing")} == summary
    assert finished["filesDone"] == finished["filesSeen"] > 0
    assert all(event["trackId"] is None for event in events)


def test_an_admin_sees_a_scan_library_mutation_start_progress_and_finish(
    real_server: RealServer,
) -> None:
    async def client() -> tuple[list[dict[str, Any]], dict[str, int]]:
        async with ws.session(real_server.ws_url, token=real_server.admin.token) as socket:
            await _subscribed(real_server, socket, PROBE)
            response = await asyncio.to_thread(
                httpx.post,
                real_server.base_url + "/graphql",
                json={"query": SCAN},
                headers=real_server.admin.bearer,
                timeout=120,
            )
            summary: dict[str, int] = response.json()["data"]["scanLibrary"]
            return await _scan_events(socket), summary

    events, summary = asyncio.run(client())
    _check_scan(events, summary)


def _cli(server: RealServer, media_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TONEARM_DATA_DIR": str(server.data_dir),
        "TONEARM_DATABASE_URL": server.database_url,
        "TONEARM_SECRET_KEY": TEST_SECRET,
        "TONEARM_MEDIA_ROOT": str(media_root),
    }
    env.pop("TONEARM_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tonearm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_an_admin_sees_a_scan_run_by_the_tonearm_scan_command(
    real_server: RealServer, demo_library: Path
) -> None:
    async def client() -> list[dict[str, Any]]:
        async with ws.session(real_server.ws_url, token=real_server.admin.token) as socket:
            await _subscribed(real_server, socket, PROBE)
            await asyncio.to_thread(_cli, real_server, demo_library, "scan")
            return await _scan_events(socket)

    events = asyncio.run(client())
    # The library was scanned when the server started: nothing new, nothing gone.
    _check_scan(events, {"added": 0, "updated": 0, "missing": 0})


def test_a_listener_sees_a_variant_made_by_another_process_and_no_scan(
    real_server: RealServer, demo_library: Path
) -> None:
    first = "{ tracks(first: 1) { edges { node { id } } } }"

    async def client() -> tuple[dict[str, Any], str]:
        async with ws.session(real_server.ws_url, token=real_server.listener.token) as socket:
            answer = await ws.operation(socket, first)
            track_gid = answer["data"]["tracks"]["edges"][0]["node"]["id"]
            track_id = parse_global_id(track_gid, TRACK_TYPE_NAME)
            # A variant of a track nobody can see (there is none) probes the subscription.
            probe = variant_ready_message(uuid.uuid4(), "OPUS", 96)
            await ws.subscribe(socket, "events", ALL_EVENTS)
            for _ in range(4):
                await asyncio.to_thread(_publisher(real_server).publish_elsewhere, LIBRARY, probe)
            # A scan's events are not for a listener: the first event must be the variant.
            await asyncio.to_thread(_cli, real_server, demo_library, "scan")
            await asyncio.to_thread(
                _cli,
                real_server,
                demo_library,
                "transcode",
                "--format",
                "opus",
                "--bitrate",
                "96",
                "--track",
                str(track_id),
            )
            message = await ws.receive(socket, wait=60)
            assert message["type"] == "next", message
            return message["payload"]["data"]["libraryEvents"], track_gid

    event, track_gid = asyncio.run(client())
    assert event == {
        "kind": VARIANT_READY,
        "trackId": track_gid,
        "format": "OPUS",
        "bitrateKbps": 96,
        "scan": None,
    }
