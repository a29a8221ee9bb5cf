"""Writing albums, artists and their links: the persistence of the scan's grouping phase.

Keyword-only functions over an ``AsyncSession``; what to write is decided by
``library/grouping.py``. Albums are upserted by identity and artists by folded name, so
both keep their ids across rescans while their identity holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import (
    AlbumArtistRecord,
    AlbumRecord,
    ArtistRecord,
    ArtworkRecord,
    TrackArtistRecord,
    TrackRecord,
    utcnow,
)

_CHUNK = 500
# Roles on a track counted as the artist's tracks (a composer credit is not).
PERFORMING_ROLES = ("main", "featured")


@dataclass(frozen=True, slots=True)
class GroupedTrack:
    """What the grouping phase reads of one track."""

    id: uuid.UUID
    path: str
    album_group: str | None
    album_id: uuid.UUID | None
    album: str | None
    album_artist: str | None
    artist: str | None
    artist_names: list[str]
    featured_artist_names: list[str]
    album_artist_names: list[str]
    composer: str | None
    year: int | None
    genres: list[str]
    disc_number: int | None
    is_compilation: bool
    musicbrainz_album_id: str | None
    duration_seconds: float
    is_published: bool = True
    state: str = "available"  # catalog.states.TrackState value


_GROUPED_COLUMNS = (
    TrackRecord.id,
    TrackRecord.path,
    TrackRecord.album_group,
    TrackRecord.album_id,
    TrackRecord.album,
    TrackRecord.album_artist,
    TrackRecord.artist,
    TrackRecord.artist_names,
    TrackRecord.featured_artist_names,
    TrackRecord.album_artist_names,
    TrackRecord.composer,
    TrackRecord.year,
    TrackRecord.genres,
    TrackRecord.disc_number,
    TrackRecord.is_compilation,
    TrackRecord.musicbrainz_album_id,
    TrackRecord.duration_seconds,
    TrackRecord.is_published,
    TrackRecord.state,
)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def tracks_in_groups(session: AsyncSession, groups: Sequence[str]) -> list[GroupedTrack]:
    """Every track whose album group is one of ``groups``."""
    found: list[GroupedTrack] = []
    for chunk in _chunks(sorted(groups)):
        rows = await session.execute(
            select(*_GROUPED_COLUMNS).where(TrackRecord.album_group.in_(chunk))
        )
        found.extend(GroupedTrack(**row._asdict()) for row in rows)
    return found


async def tracks_at_paths(session: AsyncSession, paths: Sequence[str]) -> list[GroupedTrack]:
    """The tracks at these paths (the ones a scan just wrote)."""
    found: list[GroupedTrack] = []
    for chunk in _chunks(list(paths)):
        rows = await session.execute(select(*_GROUPED_COLUMNS).where(TrackRecord.path.in_(chunk)))
        found.extend(GroupedTrack(**row._asdict()) for row in rows)
    return found


async def tracks_with_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[GroupedTrack]:
    """The tracks with these ids (the ones an upload or an edit just wrote)."""
    found: list[GroupedTrack] = []
    for chunk in _chunks(list(ids)):
        rows = await session.execute(select(*_GROUPED_COLUMNS).where(TrackRecord.id.in_(chunk)))
        found.extend(GroupedTrack(**row._asdict()) for row in rows)
    return found


async def ensure_artists(
    session: AsyncSession, artists: Mapping[str, Mapping[str, str]]
) -> dict[str, uuid.UUID]:
    """The id of each artist, creating the missing ones.

    ``artists`` maps a folded name (``name_key``) to the new row's ``name``, ``sort_name``
    and ``search_text``; an artist that exists keeps its row as it is.
    """
    keys = sorted(artists)
    ids: dict[str, uuid.UUID] = {}
    for chunk in _chunks(keys):
        rows = await session.execute(
            select(ArtistRecord.name_key, ArtistRecord.id).where(ArtistRecord.name_key.in_(chunk))
        )
        ids.update((key, artist_id) for key, artist_id in rows)
    missing = [key for key in keys if key not in ids]
    if missing:
        now = utcnow()
        values = [
            {
                **artists[key],
                "id": uuid.uuid4(),
                "name_key": key,
                "album_count": 0,
                "track_count": 0,
                "created_at": now,
            }
            for key in missing
        ]
        statement = _insert(session)(ArtistRecord.__table__)
        await session.execute(statement.on_conflict_do_nothing(index_elements=["name_key"]), values)
        for chunk in _chunks(missing):
            rows = await session.execute(
                select(ArtistRecord.name_key, ArtistRecord.id).where(
                    ArtistRecord.name_key.in_(chunk)
                )
            )
            ids.update((key, artist_id) for key, artist_id in rows)
    return ids


async def replace_track_artists(
    session: AsyncSession, links: Mapping[uuid.UUID, Sequence[tuple[uuid.UUID, str]]]
) -> None:
    """Set the artist links of these tracks: (artist id, role) in credit order, per track."""
    track_ids = list(links)
    for chunk in _chunks(track_ids):
        await session.execute(
            delete(TrackArtistRecord).where(TrackArtistRecord.track_id.in_(chunk))
        )
    rows = [
        {"track_id": track_id, "artist_id": artist_id, "role": role, "position": position}
        for track_id, credits in links.items()
        for position, (artist_id, role) in enumerate(credits)
    ]
    if rows:
        statement = _insert(session)(TrackArtistRecord.__table__)
        await session.execute(statement.on_conflict_do_nothing(), rows)


async def album_ids_by_identity(
    session: AsyncSession, identities: Sequence[str]
) -> dict[str, uuid.UUID]:
    """The ids of the albums that already have these identities."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(sorted(identities)):
        rows = await session.execute(
            select(AlbumRecord.identity, AlbumRecord.id).where(AlbumRecord.identity.in_(chunk))
        )
        found.update((identity, album_id) for identity, album_id in rows)
    return found


async def upsert_albums(session: AsyncSession, albums: Sequence[Mapping[str, Any]]) -> None:
    """Insert new albums and update known ones by identity (keeping id and created_at)."""
    if not albums:
        return
    now = utcnow()
    values = [{**album, "created_at": now, "updated_at": now} for album in albums]
    statement = _insert(session)(AlbumRecord.__table__)
    kept = {"row_id", "id", "identity", "created_at", "artwork_hash"}
    kept |= {"artwork_source", "artwork_stamp"}
    updated = {
        column.name: statement.excluded[column.name]
        for column in AlbumRecord.__table__.columns
        if column.name not in kept and column.name in values[0]
    }
    await session.execute(
        statement.on_conflict_do_update(index_elements=["identity"], set_=updated), values
    )


async def link_tracks_to_albums(
    session: AsyncSession, album_of: Mapping[uuid.UUID, uuid.UUID | None]
) -> None:
    """Set each track's album (``None``: no album)."""
    by_album: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for track_id, album_id in album_of.items():
        by_album.setdefault(album_id, []).append(track_id)
    for album_id, track_ids in by_album.items():
        for chunk in _chunks(track_ids):
            await session.execute(
                update(TrackRecord).where(TrackRecord.id.in_(chunk)).values(album_id=album_id)
            )


async def replace_album_artists(
    session: AsyncSession, links: Mapping[uuid.UUID, Sequence[uuid.UUID]]
) -> None:
    """Set the album artists of these albums, in credit order."""
    for chunk in _chunks(list(links)):
        await session.execute(
            delete(AlbumArtistRecord).where(AlbumArtistRecord.album_id.in_(chunk))
        )
    rows = [
        {"album_id": album_id, "artist_id": artist_id, "role": "main", "position": position}
        for album_id, artist_ids in links.items()
        for position, artist_id in enumerate(artist_ids)
    ]
    if rows:
        statement = _insert(session)(AlbumArtistRecord.__table__)
        await session.execute(statement.on_conflict_do_nothing(), rows)


async def remove_empty_albums(session: AsyncSession) -> int:
    """Delete albums no track belongs to any more; returns how many went."""
    has_tracks = exists().where(TrackRecord.album_id == AlbumRecord.id)
    result = await session.execute(delete(AlbumRecord).where(not_(has_tracks)))
    return int(getattr(result, "rowcount", 0) or 0)


async def refresh_artist_counts(session: AsyncSession) -> None:
    """Recount every artist's albums and tracks; drop artists nothing credits any more.

    Counted are available published tracks and albums with one (``catalog.access``: what
    everyone sees); unpublished, missing and trashed credits keep the artist but not the
    counts.
    """
    tracks = (
        select(func.count())
        .select_from(TrackArtistRecord)
        .join(TrackRecord, TrackRecord.id == TrackArtistRecord.track_id)
        .where(
            TrackArtistRecord.artist_id == ArtistRecord.id,
            TrackArtistRecord.role.in_(PERFORMING_ROLES),
            TrackRecord.is_published.is_(True),
            TrackRecord.state == "available",  # catalog.states.TrackState.AVAILABLE
        )
        .scalar_subquery()
    )
    albums = (
        select(func.count())
        .select_from(AlbumArtistRecord)
        .join(AlbumRecord, AlbumRecord.id == AlbumArtistRecord.album_id)
        .where(
            AlbumArtistRecord.artist_id == ArtistRecord.id,
            AlbumRecord.track_count > 0,
            AlbumRecord.is_available.is_(True),
        )
        .scalar_subquery()
    )
    await session.execute(
        update(ArtistRecord)
        .where(or_(ArtistRecord.track_count != tracks, ArtistRecord.album_count != albums))
        .values(track_count=tracks, album_count=albums)
        .execution_options(synchronize_session=False)
    )
    credited = or_(
        exists().where(TrackArtistRecord.artist_id == ArtistRecord.id),
        exists().where(AlbumArtistRecord.artist_id == ArtistRecord.id),
    )
    await session.execute(delete(ArtistRecord).where(and_(not_(credited))))


@dataclass(frozen=True, slots=True)
class ArtTrack:
    """What the artwork phase reads of a track: where it is and what picture it embeds."""

    album_id: uuid.UUID
    path: str
    picture: str | None
    size_bytes: int
    mtime_ns: int
    origin: str = "library"


@dataclass(frozen=True, slots=True)
class ArtSubject:
    """An album or artist with the fingerprint of the candidates its artwork came from."""

    id: uuid.UUID
    artwork_stamp: str | None
    album_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtInputs:
    """Everything the artwork phase compares with what a walk found."""

    tracks: list[ArtTrack]
    albums: list[ArtSubject]
    artists: list[ArtSubject]


async def load_art_inputs(
    session: AsyncSession, album_ids: Sequence[uuid.UUID] | None = None
) -> ArtInputs:
    """Tracks with an album, albums and album artists, with their artwork fingerprints.

    ``album_ids``: only these albums and their tracks (no artists); None: everything.
    """
    if album_ids is not None:
        return await _album_art_inputs(session, album_ids)
    tracks: list[ArtTrack] = []
    result = await session.stream(
        select(
            TrackRecord.album_id,
            TrackRecord.path,
            TrackRecord.picture,
            TrackRecord.size_bytes,
            TrackRecord.mtime_ns,
            TrackRecord.origin,
        )
        .where(TrackRecord.album_id.is_not(None))
        .execution_options(yield_per=5000)
    )
    async for partition in result.partitions():
        tracks.extend(
            ArtTrack(album_id, path, picture, size, mtime, origin)
            for album_id, path, picture, size, mtime, origin in partition
            if album_id is not None
        )
    albums = [
        ArtSubject(album_id, stamp)
        for album_id, stamp in await session.execute(
            select(AlbumRecord.id, AlbumRecord.artwork_stamp)
        )
    ]
    albums_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for artist_id, album_id in await session.execute(
        select(AlbumArtistRecord.artist_id, AlbumArtistRecord.album_id)
    ):
        albums_of.setdefault(artist_id, []).append(album_id)
    artists = [
        ArtSubject(artist_id, stamp, tuple(albums_of.get(artist_id, ())))
        for artist_id, stamp in await session.execute(
            select(ArtistRecord.id, ArtistRecord.artwork_stamp)
        )
    ]
    return ArtInputs(tracks, albums, artists)


async def _album_art_inputs(session: AsyncSession, album_ids: Sequence[uuid.UUID]) -> ArtInputs:
    tracks: list[ArtTrack] = []
    albums: list[ArtSubject] = []
    for chunk in _chunks(list(album_ids)):
        rows = await session.execute(
            select(
                TrackRecord.album_id,
                TrackRecord.path,
                TrackRecord.picture,
                TrackRecord.size_bytes,
                TrackRecord.mtime_ns,
                TrackRecord.origin,
            ).where(TrackRecord.album_id.in_(chunk))
        )
        tracks.extend(
            ArtTrack(album_id, path, picture, size, mtime, origin)
            for album_id, path, picture, size, mtime, origin in rows
            if album_id is not None
        )
        albums.extend(
            ArtSubject(album_id, stamp)
            for album_id, stamp in await session.execute(
                select(AlbumRecord.id, AlbumRecord.artwork_stamp).where(AlbumRecord.id.in_(chunk))
            )
        )
    return ArtInputs(tracks, albums, [])


async def save_artworks(session: AsyncSession, artworks: Sequence[Mapping[str, Any]]) -> None:
    """Record made artworks (one row per source hash; a known hash is left as it is)."""
    if not artworks:
        return
    statement = _insert(session)(ArtworkRecord.__table__)
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=["hash"]),
        [{**artwork, "created_at": utcnow()} for artwork in artworks],
    )


async def set_album_artwork(
    session: AsyncSession,
    album_id: uuid.UUID,
    *,
    artwork_hash: str | None,
    source: str | None,
    stamp: str,
) -> None:
    """An album's artwork, where it came from and the fingerprint of its candidates."""
    await session.execute(
        update(AlbumRecord)
        .where(AlbumRecord.id == album_id)
        .values(artwork_hash=artwork_hash, artwork_source=source, artwork_stamp=stamp)
    )


async def set_artist_artwork(
    session: AsyncSession,
    artist_id: uuid.UUID,
    *,
    artwork_hash: str | None,
    source: str | None,
    stamp: str,
) -> None:
    """An artist's own picture, where it came from and the fingerprint of its candidates."""
    await session.execute(
        update(ArtistRecord)
        .where(ArtistRecord.id == artist_id)
        .values(artwork_hash=artwork_hash, artwork_source=source, artwork_stamp=stamp)
    )
