"""The scan's artwork phase on both databases: which image becomes a cover, and when."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.support.audio import Picture, write_audio, write_mp3
from tonearm.artwork.store import ArtworkStore
from tonearm.db.models import AlbumRecord, ArtistRecord, ArtworkRecord
from tonearm.library.scanner import ScanOptions, scan_library


def jpeg(color: tuple[int, int, int], edge: int = 700) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (edge, edge), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def _covers(engine: AsyncEngine) -> dict[str, str | None]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(select(AlbumRecord.title, AlbumRecord.artwork_hash))
        return {str(title): artwork for title, artwork in list(rows)}


async def _colors(engine: AsyncEngine) -> dict[str, str]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(
            select(AlbumRecord.title, ArtworkRecord.color).join(
                ArtworkRecord, ArtworkRecord.hash == AlbumRecord.artwork_hash
            )
        )
        return {str(title): str(color) for title, color in list(rows)}


def _options(tmp_path: Path) -> ScanOptions:
    return ScanOptions(artwork_store=ArtworkStore(tmp_path / "art"))


def _embedded_mp3(path: Path, album: str, picture: bytes, kind: int = 3) -> None:
    write_audio(
        path,
        "mp3",
        tags={"title": path.stem, "artist": "Artist", "album": album},
        pictures=[Picture(picture, type=kind, mime="image/jpeg")],
    )


async def test_a_folder_image_wins_over_embedded_pictures(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    _embedded_mp3(media_root / "A/1.mp3", "A", jpeg((200, 0, 0)))
    (media_root / "A/Folder.JPG").write_bytes(jpeg((0, 0, 200)))
    _embedded_mp3(media_root / "B/1.mp3", "B", jpeg((0, 200, 0)))
    write_mp3(media_root / "C/1.mp3", title="c", artist="Artist", album="C")

    await scan_library(engine, media_root, options=_options(tmp_path))

    colors = await _colors(engine)
    assert colors["A"][5:] > "a0"  # blue: from the folder, not the red embedded picture
    assert colors["B"][3:5] > "a0"  # green: the embedded picture
    covers = await _covers(engine)
    assert covers["C"] is None
    assert all(ArtworkStore(tmp_path / "art").has(covers[title] or "", 64) for title in ("A", "B"))


async def test_an_image_that_is_not_one_is_reported_and_the_next_candidate_used(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    _embedded_mp3(media_root / "A/1.mp3", "A", jpeg((0, 200, 0)))
    (media_root / "A/cover.jpg").write_text("not an image at all")

    summary = await scan_library(engine, media_root, options=_options(tmp_path))

    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("A/cover.jpg", "cover art not used: not a JPEG, PNG, WebP or GIF image")
    ]
    assert (await _covers(engine))["A"] is not None
    assert summary.added == 1


async def test_a_rescan_with_the_same_candidates_reads_no_image(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    write_mp3(media_root / "A/1.mp3", title="a", artist="Artist", album="A")
    (media_root / "A/cover.jpg").write_bytes(jpeg((0, 0, 200)))
    (media_root / "B.jpg").write_text("a stray file nobody asked for")
    await scan_library(engine, media_root, options=_options(tmp_path))
    first = await _covers(engine)
    # Were the image read again, this unreadable copy would be refused and reported.
    (media_root / "A/cover.jpg").chmod(0)
    try:
        again = await scan_library(engine, media_root, options=_options(tmp_path))
    finally:
        (media_root / "A/cover.jpg").chmod(0o644)

    assert (again.unchanged, again.skipped) == (1, [])
    assert await _covers(engine) == first


async def test_a_changed_cover_file_makes_new_artwork(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    write_mp3(media_root / "A/1.mp3", title="a", artist="Artist", album="A")
    (media_root / "A/cover.jpg").write_bytes(jpeg((0, 0, 200)))
    await scan_library(engine, media_root, options=_options(tmp_path))
    before = (await _covers(engine))["A"]

    (media_root / "A/cover.jpg").write_bytes(jpeg((200, 0, 0), edge=500))
    await scan_library(engine, media_root, options=_options(tmp_path))

    after = (await _covers(engine))["A"]
    assert after is not None
    assert after != before
    assert (await _colors(engine))["A"].startswith("#c")


async def test_discs_in_subfolders_use_the_cover_of_their_parent(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    for disc in (1, 2):
        write_mp3(
            media_root / f"Set/CD{disc}/1.mp3",
            title=f"d{disc}",
            artist="Artist",
            album="Set",
            disc=str(disc),
        )
    (media_root / "Set/cover.png").write_bytes(jpeg((0, 0, 200)))  # a JPEG named .png

    await scan_library(engine, media_root, options=_options(tmp_path))

    assert (await _covers(engine))["Set"] is not None


async def test_an_artist_image_in_the_artist_folder(
    engine: AsyncEngine, media_root: Path, tmp_path: Path
) -> None:
    for album in ("One", "Two"):
        write_mp3(media_root / f"Band/{album}/1.mp3", title=album, artist="Band", album=album)
    (media_root / "Band/artist.jpg").write_bytes(jpeg((0, 0, 200)))

    await scan_library(engine, media_root, options=_options(tmp_path))

    async with AsyncSession(engine) as session:
        artwork = await session.scalar(
            select(ArtistRecord.artwork_hash).where(ArtistRecord.name == "Band")
        )
    assert artwork is not None
