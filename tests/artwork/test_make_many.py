"""Many sources: a bounded number in flight, all work in worker threads, results as they come."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.artwork.images import jpeg, png_claiming
from tonearm.artwork.make import Loader, bytes_loader, file_loader, make_artworks
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.store import ArtworkStore


class Gauge:
    """Counts loaders running at once, and on which threads they ran."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.threads: set[int] = set()

    def loader(self, data: bytes, *, pause: float = 0.02) -> Loader:
        def load() -> bytes:
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
                self.threads.add(threading.get_ident())
            time.sleep(pause)
            with self._lock:
                self.running -= 1
            return data

        return load


async def test_every_source_gets_a_result(store: ArtworkStore, tmp_path: Path) -> None:
    on_disk = tmp_path / "cover.jpg"
    on_disk.write_bytes(jpeg(320, 320, seed=2))
    sources = [
        ("a", bytes_loader(jpeg(320, 320, seed=1))),
        ("b", file_loader(on_disk)),
        ("bomb", bytes_loader(png_claiming(100_000, 100_000))),
        ("missing", file_loader(tmp_path / "gone.jpg")),
    ]

    results = {key: result async for key, result in make_artworks(sources, store)}

    assert set(results) == {"a", "b", "bomb", "missing"}
    assert isinstance(results["a"], Artwork)
    assert isinstance(results["b"], Artwork)
    assert results["a"].sizes == results["b"].sizes == (64, 300)
    assert isinstance(results["bomb"], ArtworkRefusal)
    assert results["bomb"].reason is RefusalReason.TOO_MANY_PIXELS
    assert isinstance(results["missing"], ArtworkRefusal)
    assert results["missing"].reason is RefusalReason.UNREADABLE


@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_at_most_concurrency_sources_at_once(store: ArtworkStore, concurrency: int) -> None:
    gauge = Gauge()
    sources = [(index, gauge.loader(jpeg(80, 80, seed=index))) for index in range(8)]

    keys = [key async for key, _ in make_artworks(sources, store, concurrency=concurrency)]

    assert sorted(keys) == list(range(8))
    assert gauge.most == concurrency
    # No more threads than that either: each thread keeps a malloc arena of freed pixels.
    assert len(gauge.threads) == concurrency


async def test_all_work_runs_off_the_event_loop(store: ArtworkStore) -> None:
    gauge = Gauge()
    sources = [(index, gauge.loader(jpeg(80, 80, seed=index), pause=0)) for index in range(4)]

    _ = [item async for item in make_artworks(sources, store)]

    assert threading.get_ident() not in gauge.threads


async def test_results_come_as_they_finish(store: ArtworkStore) -> None:
    gauge = Gauge()
    sources = [
        ("slow", gauge.loader(jpeg(80, 80, seed=1), pause=0.5)),
        ("fast", gauge.loader(jpeg(80, 80, seed=2), pause=0)),
    ]

    keys = [key async for key, _ in make_artworks(sources, store)]

    assert keys == ["fast", "slow"]


async def test_sources_are_taken_only_when_a_slot_is_free(store: ArtworkStore) -> None:
    taken: list[int] = []
    delivered: list[int] = []

    async def sources() -> AsyncIterator[tuple[int, Loader]]:
        for index in range(10):
            # Never more than the two in flight beyond what has come back.
            assert len(taken) - len(delivered) <= 2
            taken.append(index)
            yield index, bytes_loader(jpeg(64, 64, seed=index))

    async for key, result in make_artworks(sources(), store, concurrency=2):
        assert isinstance(result, Artwork)
        delivered.append(key)

    assert sorted(delivered) == list(range(10))


async def test_leaving_early_waits_for_the_sources_in_flight(store: ArtworkStore) -> None:
    gauge = Gauge()
    sources = [(index, gauge.loader(jpeg(64, 64, seed=index), pause=0.1)) for index in range(6)]
    results = make_artworks(sources, store, concurrency=2)

    async for _ in results:
        break
    await results.aclose()

    assert gauge.running == 0  # none left running behind the caller's back


async def test_a_loader_that_raises_oserror_is_unreadable(store: ArtworkStore) -> None:
    def broken() -> bytes:
        raise PermissionError(13, "Permission denied", "/secret/path/cover.jpg")

    [(key, result)] = [item async for item in make_artworks([("x", broken)], store)]

    assert key == "x"
    assert result == ArtworkRefusal(
        RefusalReason.UNREADABLE, "the file could not be read: Permission denied"
    )


async def test_concurrency_must_be_positive(store: ArtworkStore) -> None:
    nothing: list[tuple[str, Loader]] = []
    with pytest.raises(ValueError, match="at least 1"):
        _ = [item async for item in make_artworks(nothing, store, concurrency=0)]


async def test_the_same_source_twice_in_one_run(store: ArtworkStore) -> None:
    data = jpeg(320, 320)
    sources = [(index, bytes_loader(data)) for index in range(4)]

    results = [result async for _, result in make_artworks(sources, store)]

    assert len(set(results)) == 1
    assert isinstance(results[0], Artwork)
    assert store.sizes_present(results[0].hash) == [64, 300]
