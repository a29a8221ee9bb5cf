"""PostgreSQL restarted under load: every request during the outage is answered cleanly — 503
with ``Retry-After`` and a short JSON body, GraphQL a ``SERVICE_UNAVAILABLE`` error, never a
500 or a trace — and the same replica processes answer normally once it is back."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from tests.replicas.conftest import Stack
from tests.support.postgres import start_server, stop_server

LIBRARY = "{ library { trackCount } tracks(first: 5) { edges { node { title } } } }"
UNAVAILABLE_MESSAGE = "The database cannot be reached right now. Try again in a few seconds."


@dataclass(frozen=True)
class Answer:
    kind: str
    replica: str
    status: int
    headers: httpx.Headers
    body: bytes


def _requests(running: Stack) -> dict[str, Callable[[httpx.Client, str], httpx.Response]]:
    bearer = running.admin.bearer
    stream = running.stream_path("Song 1")
    return {
        "health": lambda http, base: http.get(base + "/healthz"),
        "graphql": lambda http, base: http.post(
            base + "/graphql", json={"query": LIBRARY}, headers=bearer
        ),
        "stream": lambda http, base: http.get(
            base + stream, headers={"Range": "bytes=0-99", "Cache-Control": "no-cache"}
        ),
        "tus": lambda http, base: http.post(
            base + "/api/uploads",
            headers={**bearer, "Tus-Resumable": "1.0.0", "Upload-Length": "10"},
        ),
    }


def _hammer(
    running: Stack, kind: str, stop: threading.Event, answers: list[Answer], lock: threading.Lock
) -> None:
    send = _requests(running)[kind]
    with httpx.Client(timeout=30) as http:
        while not stop.is_set():
            for replica in ("a", "b", "nginx"):
                response = send(http, running.url(replica))
                with lock:
                    answers.append(
                        Answer(
                            kind, replica, response.status_code, response.headers, response.content
                        )
                    )


def _ok(answer: Answer) -> bool:
    if answer.kind == "tus":
        return answer.status == 201
    if answer.kind == "stream":
        return answer.status == 206
    if answer.kind == "graphql":
        return answer.status == 200 and b'"errors"' not in answer.body
    return answer.status == 200


def _codes(body: bytes) -> set[str]:
    return {e["extensions"]["code"] for e in json.loads(body).get("errors", [])}


def _clean_refusal(answer: Answer) -> bool:
    if answer.kind == "graphql":
        return (
            answer.status == 503
            and answer.headers.get("retry-after") == "5"
            and json.loads(answer.body)
            == {
                "errors": [
                    {"message": UNAVAILABLE_MESSAGE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}
                ]
            }
        ) or (
            answer.status == 200
            and {
                e["extensions"]["code"]
                # An answer that succeeded (from a memo, or before the stop took) has none.
                for e in httpx.Response(200, content=answer.body).json().get("errors", [])
            }
            == {"SERVICE_UNAVAILABLE"}
        )
    if answer.kind == "health":
        return answer.status == 503 and answer.body == (
            b'{"status":"error","database":"unreachable"}'
        )
    return (
        answer.status == 503
        and answer.headers.get("retry-after") == "5"
        and answer.headers.get("content-type") == "application/json"
        and answer.body == b'{"error":"database_unavailable"}'
    )


def test_requests_during_a_restart_fail_cleanly_and_then_succeed(running: Stack) -> None:
    pids = {name: r.process.pid for name, r in running.stack.replicas.items() if r.process}
    answers: list[Answer] = []
    lock = threading.Lock()
    stop = threading.Event()
    kinds = list(_requests(running))
    with ThreadPoolExecutor(len(kinds)) as pool:
        futures = [pool.submit(_hammer, running, kind, stop, answers, lock) for kind in kinds]
        try:
            _wait_for(lambda: {a.kind for a in answers if _ok(a)} == set(kinds), "warm-up")
            stop_server(running.stack.postgres_socket)
            outage_started = len(answers)
            try:
                # Long enough for every per-worker memo (≤ 5 s) to run out.
                _wait_for(
                    lambda: all(
                        sum(1 for a in answers[outage_started:] if a.kind == k and not _ok(a)) >= 6
                        for k in kinds
                    ),
                    "refusals during the outage",
                )
                time.sleep(6)
            finally:
                start_server(running.stack.postgres_socket)
            outage_ended = len(answers)
            _wait_for(
                lambda: all(
                    any(a.kind == k and a.replica == r and _ok(a) for a in answers[outage_ended:])
                    for k in kinds
                    for r in ("a", "b")
                ),
                "recovery",
            )
        finally:
            stop.set()
            for future in futures:
                future.result()

    during = answers[outage_started:outage_ended]
    unclean = [a for a in during if not _ok(a) and not _clean_refusal(a)]
    assert unclean == []
    assert all(a.status != 500 for a in answers)
    assert {a.kind for a in during if _clean_refusal(a)} == set(kinds)
    # The same processes answer: nothing was restarted.
    for name, replica in running.stack.replicas.items():
        assert replica.process is not None
        assert replica.process.pid == pids[name]
        assert replica.process.poll() is None
        assert "Traceback" not in replica.log.read_text(errors="replace")


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout  # a loaded 2-core machine, not a figure
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
