"""The content-addressed store: layout, atomic writes, idempotence, strict names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tonearm.artwork.store import ArtworkStore

HASH = "ab" + "0123456789abcdef" * 3 + "0123456789abcd"
DATA = b"\xff\xd8 thumbnail bytes \xff\xd9"


def test_the_layout(store: ArtworkStore) -> None:
    assert store.path_for(HASH, 300) == store.root / "ab" / HASH / "300.jpg"
    assert len(HASH) == 64


def test_the_store_of_a_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert ArtworkStore.in_data_dir(Path("data")).root == tmp_path.resolve() / "data" / "art"


def test_put_then_get(store: ArtworkStore) -> None:
    assert store.put(HASH, 300, DATA) is True

    assert store.get(HASH, 300) == DATA
    assert store.has(HASH, 300)
    assert store.path_for(HASH, 300).read_bytes() == DATA


def test_nothing_stored(store: ArtworkStore) -> None:
    assert store.get(HASH, 300) is None
    assert not store.has(HASH, 300)
    assert store.sizes_present(HASH) == []


def test_a_second_put_is_skipped(store: ArtworkStore) -> None:
    store.put(HASH, 64, DATA)
    before = os.stat(store.path_for(HASH, 64))

    assert store.put(HASH, 64, b"other bytes") is False

    after = os.stat(store.path_for(HASH, 64))
    assert store.get(HASH, 64) == DATA
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_sizes_present_are_ascending_and_ignore_other_files(store: ArtworkStore) -> None:
    for size in (1200, 64, 2400, 600, 1400, 300, 50):  # a kept source's own edge, a tiny one's
        store.put(HASH, size, DATA)
    folder = store.path_for(HASH, 64).parent
    (folder / ".300.jpg.0123456789abcdef.tmp").write_bytes(b"half")  # a write in flight
    (folder / "2401.jpg").write_bytes(DATA)  # not a size any artwork has
    (folder / "10000.jpg").write_bytes(DATA)
    (folder / "0064.jpg").write_bytes(DATA)
    (folder / "notes.txt").write_bytes(b"x")
    (folder / "7.jpg").mkdir()

    assert store.sizes_present(HASH) == [50, 64, 300, 600, 1200, 1400, 2400]


def test_an_empty_file_left_by_a_crash_is_absent_and_written_again(store: ArtworkStore) -> None:
    path = store.path_for(HASH, 300)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")

    assert not store.has(HASH, 300)
    assert store.get(HASH, 300) is None
    assert store.sizes_present(HASH) == []
    assert store.put(HASH, 300, DATA) is True
    assert store.get(HASH, 300) == DATA


def test_a_write_goes_to_a_temporary_name_then_is_renamed(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = store.path_for(HASH, 600)
    seen: list[tuple[str, bool, bytes]] = []
    real_replace = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        # The moment before the rename: the whole file is there under another name, in the
        # same folder (a rename never crosses file systems), and the final name is not.
        source_path = Path(source)
        assert source_path.parent == final.parent
        seen.append((source_path.name, final.exists(), source_path.read_bytes()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)

    store.put(HASH, 600, DATA)

    [(temporary, final_existed, written)] = seen
    assert temporary.startswith(".600.jpg.")
    assert temporary.endswith(".tmp")
    assert final_existed is False
    assert written == DATA
    assert sorted(p.name for p in final.parent.iterdir()) == ["600.jpg"]


def test_a_failed_write_leaves_no_temporary_file(
    store: ArtworkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)

    with pytest.raises(OSError, match="No space left"):
        store.put(HASH, 64, DATA)

    folder = store.path_for(HASH, 64).parent
    assert list(folder.iterdir()) == []
    assert not store.has(HASH, 64)


def test_an_empty_thumbnail_is_not_stored(store: ArtworkStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.put(HASH, 64, b"")


@pytest.mark.parametrize(
    ("hash_", "size"),
    [
        ("..", 64),
        ("../" + HASH[3:], 64),
        (HASH.upper(), 64),
        (HASH[:-1], 64),
        (HASH + "/", 64),
        ("/" + HASH[1:], 64),
        (HASH[:-1] + "\0", 64),
        (HASH, 0),
        (HASH, -64),
        (HASH, 2401),
        (HASH, 10_000),
    ],
)
def test_no_name_outside_the_store(store: ArtworkStore, hash_: str, size: int) -> None:
    with pytest.raises(ValueError, match="not an artwork hash"):
        store.path_for(hash_, size)
    with pytest.raises(ValueError, match="not an artwork hash"):
        store.put(hash_, size, DATA)


def test_a_symlink_in_the_store_is_not_followed(store: ArtworkStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"not for you")
    path = store.path_for(HASH, 64)
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)

    assert store.get(HASH, 64) is None
    assert not store.has(HASH, 64)
    assert store.sizes_present(HASH) == []


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_something_other_than_a_file_is_not_a_thumbnail(store: ArtworkStore, kind: str) -> None:
    path = store.path_for(HASH, 300)
    path.parent.mkdir(parents=True)
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it must not wait for a writer

    assert store.get(HASH, 300) is None
    assert not store.has(HASH, 300)
    assert store.sizes_present(HASH) == []
