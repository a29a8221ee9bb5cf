"""A playlist's cover from its first albums' covers, on both databases, with real images."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.artwork.images import solid
from tests.support.audio import write_mp3
from tonearm.artwork.mosaic import make_mosaic
from tonearm.artwork.results import Artwork
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import AlbumRecord, ArtworkRecord, PlaylistRecord, TrackRecord
from tonearm.library.scanner import ScanOptions, scan_library
from tonearm.playlists.covers import (
    CoverMaker,
    first_album_artworks,
    mosaic_key,
    refresh_cover_from,
    refresh_playlist_cover,
)

COLORS = {
    "Red": (220, 20, 20),
    "Green": (20, 200, 40),
    "Blue": (30, 40, 220),
    "Yellow": (240, 220, 20),
    "Cyan": (20, 210, 220),
}


def write_albums(root: Path) -> None:
    """Five one-track albums, each with a cover of its own colour."""
    for album, color in COLORS.items():
        write_mp3(root / album / "1.mp3", title=f"{album} 1", album=album, artist="Band")
        write_mp3(root / album / "2.mp3", title=f"{album} 2", album=album, artist="Band")
        (root / album / "cover.jpg").write_bytes(solid("RGB", (700, 700), color, "JPEG"))


def write_playlist(root: Path, *albums: str) -> None:
    (root / "mix.m3u").write_text("".join(f"{a}\n" for a in albums), encoding="utf-8")


async def scanned(engine: AsyncEngine, root: Path, store: ArtworkStore) -> PlaylistRecord:
    await scan_library(engine, root, options=ScanOptions(artwork_store=store))
    async with AsyncSession(engine) as session:
        return (await session.scalars(select(PlaylistRecord))).one()


async def album_covers(engine: AsyncEngine) -> dict[str, str]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(select(AlbumRecord.title, AlbumRecord.artwork_hash))
        return {str(title): str(artwork) for title, artwork in rows}


async def artwork_count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(ArtworkRecord)) or 0)


async def playlist(engine: AsyncEngine, playlist_id: uuid.UUID) -> PlaylistRecord:
    async with AsyncSession(engine) as session:
        record = await session.get(PlaylistRecord, playlist_id)
        assert record is not None
        return record


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def quadrants(data: bytes) -> list[tuple[int, ...]]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return [tuple(image.getpixel((x, y))) for y in (300, 900) for x in (300, 900)]  # type: ignore[misc]


def close(pixel: tuple[int, ...], color: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 16 for a, b in zip(pixel, color, strict=True))


async def test_four_albums_make_a_mosaic_of_their_covers_in_item_order(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(
        media_root,
        "Blue/1.mp3",
        "Blue/2.mp3",
        "Red/1.mp3",
        "Yellow/1.mp3",
        "Blue/1.mp3",
        "Green/2.mp3",
        "Cyan/1.mp3",
    )

    record = await scanned(engine, media_root, store)

    covers = await album_covers(engine)
    first = [covers[name] for name in ("Blue", "Red", "Yellow", "Green")]
    assert record.mosaic_key == mosaic_key(first)
    expected = make_mosaic(first, store)
    assert isinstance(expected, Artwork)
    assert record.mosaic_hash == expected.hash
    data = store.get(expected.hash, 1200)
    assert data is not None
    assert Image.open(io.BytesIO(data)).size == (1200, 1200)
    colors = quadrants(data)
    assert all(
        close(pixel, COLORS[name])
        for pixel, name in zip(colors, ("Blue", "Red", "Yellow", "Green"), strict=True)
    ), colors
    async with AsyncSession(engine) as session:
        row = await session.get(ArtworkRecord, expected.hash)
        assert row is not None
        assert (row.width, row.height, row.sizes) == (1200, 1200, [64, 300, 600, 1200])
        assert await first_album_artworks(session, record.id) == first
        assert await first_album_artworks(session, record.id, limit=2) == first[:2]


async def test_an_unchanged_playlist_costs_one_query_and_makes_nothing(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(media_root, "Red/1.mp3", "Green/1.mp3", "Blue/1.mp3", "Yellow/1.mp3")
    record = await scanned(engine, media_root, store)
    artworks = await artwork_count(engine)
    files = sorted(p for p in store.root.rglob("*") if p.is_file())
    maker = CoverMaker(async_sessionmaker(engine, expire_on_commit=False), store)

    with statements(engine) as seen:
        await refresh_playlist_cover(maker, record.id)

    assert len(seen) == 1
    assert await artwork_count(engine) == artworks
    assert sorted(p for p in store.root.rglob("*") if p.is_file()) == files
    after = await playlist(engine, record.id)
    assert (after.mosaic_hash, after.mosaic_key, after.updated_at) == (
        record.mosaic_hash,
        record.mosaic_key,
        record.updated_at,
    )


async def test_fewer_than_four_covers_make_the_first_one_the_cover(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(media_root, "Green/1.mp3", "Red/1.mp3", "Green/2.mp3", "Blue/1.mp3")

    record = await scanned(engine, media_root, store)

    covers = await album_covers(engine)
    assert record.mosaic_hash == covers["Green"]
    assert record.mosaic_key == mosaic_key([covers["Green"], covers["Red"], covers["Blue"]])
    assert await artwork_count(engine) == len(COLORS)  # no image was made


async def test_a_playlist_without_covers_has_none(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    write_mp3(media_root / "Plain/1.mp3", title="p", album="Plain")
    write_playlist(media_root, "Plain/1.mp3")

    record = await scanned(engine, media_root, ArtworkStore(tmp_path / "art"))

    assert record.mosaic_hash is None
    assert record.mosaic_key == mosaic_key([])


async def test_unpublished_tracks_and_albums_sharing_a_cover_count_once_or_not_at_all(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(
        media_root, "Cyan/1.mp3", "Red/1.mp3", "Green/1.mp3", "Blue/1.mp3", "Yellow/1.mp3"
    )
    record = await scanned(engine, media_root, store)
    covers = await album_covers(engine)
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(TrackRecord).where(TrackRecord.path == "Cyan/1.mp3").values(is_published=False)
        )
        await session.execute(
            update(AlbumRecord)
            .where(AlbumRecord.title == "Green")
            .values(artwork_hash=covers["Red"])
        )

    await refresh_playlist_cover(CoverMaker(async_sessionmaker(engine), store), record.id)

    expected = [covers["Red"], covers["Blue"], covers["Yellow"]]
    after = await playlist(engine, record.id)
    assert (after.mosaic_hash, after.mosaic_key) == (covers["Red"], mosaic_key(expected))


async def test_a_smart_playlist_gets_its_cover_from_the_covers_it_is_given(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(media_root, "Red/1.mp3")
    record = await scanned(engine, media_root, store)
    covers = await album_covers(engine)
    chosen = [covers[name] for name in ("Cyan", "Cyan", "Yellow", "Green", "Blue", "Red")]
    maker = CoverMaker(async_sessionmaker(engine), store)

    await refresh_cover_from(maker, record.id, chosen)

    distinct = [covers[name] for name in ("Cyan", "Yellow", "Green", "Blue")]
    expected = make_mosaic(distinct, store)
    assert isinstance(expected, Artwork)
    after = await playlist(engine, record.id)
    assert (after.mosaic_hash, after.mosaic_key) == (expected.hash, mosaic_key(distinct))
    artworks = await artwork_count(engine)

    with statements(engine) as seen:
        await refresh_cover_from(maker, record.id, chosen)

    assert len(seen) == 1
    assert await artwork_count(engine) == artworks


async def test_a_changed_file_playlist_gets_a_new_cover_on_the_scan(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(media_root, "Red/1.mp3", "Green/1.mp3")
    record = await scanned(engine, media_root, store)
    covers = await album_covers(engine)
    assert record.mosaic_hash == covers["Red"]

    write_playlist(media_root, "Blue/1.mp3", "Green/1.mp3", "Red/1.mp3", "Cyan/1.mp3", "Red/2.mp3")
    after = await scanned(engine, media_root, store)

    assert after.mosaic_key == mosaic_key([covers[n] for n in ("Blue", "Green", "Red", "Cyan")])
    assert after.mosaic_hash not in covers.values()


async def test_a_missing_playlist_is_left_alone(engine: AsyncEngine, tmp_path: Path) -> None:
    maker = CoverMaker(async_sessionmaker(engine), ArtworkStore(tmp_path / "art"))

    await refresh_playlist_cover(maker, uuid.uuid4())
    await refresh_cover_from(maker, uuid.uuid4(), ["ab" * 32])


def test_importing_the_cover_refresh_does_not_load_pillow() -> None:
    code = (
        "import json, sys; import tonearm.playlists.covers; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'PIL' or m.startswith('PIL.'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []


async def test_covers_beyond_the_first_page_of_items_are_found(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    store = ArtworkStore(tmp_path / "art")
    write_albums(media_root)
    write_playlist(media_root, *["Red/1.mp3"] * 600, "Green/1.mp3", "Blue/1.mp3", "Cyan/2.mp3")

    record = await scanned(engine, media_root, store)

    covers = await album_covers(engine)
    expected = [covers[name] for name in ("Red", "Green", "Blue", "Cyan")]
    assert record.mosaic_key == mosaic_key(expected)
    async with AsyncSession(engine) as session:
        assert await first_album_artworks(session, record.id) == expected
        assert await first_album_artworks(session, record.id, limit=1) == expected[:1]
