"""The scan's grouping phase: tracks become albums and artists.

Runs after the tracks are written, over what changed only: the album groups of the tracks
written and of the ones removed or moved (their old group). For each such group the
identity recipe (``catalog.albums``) decides the albums; each album's title, credit, year,
genres, counts and artists are derived from its tracks (the most common value wins, so one
track with a typo does not rename its album). Artists are identified by folded name
(``catalog.artists``). A no-change rescan does nothing here.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.catalog.albums import GroupMember, album_identities, most_common
from tonearm.catalog.artists import VARIOUS_ARTISTS, artist_key
from tonearm.catalog.states import TrackState
from tonearm.catalog.text import SORT_SEPARATOR, search_document, sort_text
from tonearm.db.entities import (
    GroupedTrack,
    album_ids_by_identity,
    ensure_artists,
    link_tracks_to_albums,
    refresh_artist_counts,
    remove_empty_albums,
    replace_album_artists,
    replace_track_artists,
    tracks_at_paths,
    tracks_in_groups,
    tracks_with_ids,
    upsert_albums,
)

MAX_GENRES = 20


@dataclass(slots=True)
class GroupingChanges:
    """What the grouping phase must look at: tracks written and groups that lost tracks.

    A scan names the tracks it wrote by path; an upload (whose path is under another root)
    by id.
    """

    written_paths: list[str] = field(default_factory=list)
    old_groups: set[str] = field(default_factory=set)
    written_ids: list[uuid.UUID] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.written_paths or self.old_groups or self.written_ids)


@dataclass(frozen=True, slots=True)
class AlbumPlan:
    """One album as its tracks describe it."""

    id: uuid.UUID
    identity: str
    values: dict[str, Any]
    artist_names: tuple[str, ...]
    track_ids: tuple[uuid.UUID, ...]


def folder_of(path: str) -> str:
    """The folder of a media path, relative to the root ('' for the root itself)."""
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


async def group_tracks(
    sessions: async_sessionmaker[AsyncSession], changes: GroupingChanges
) -> list[uuid.UUID]:
    """Bring albums, artists and links in step with the changed tracks, in one transaction.

    Returns the ids of the albums that were (re)built, for the artwork phase.
    """
    if not changes:
        return []
    async with sessions.begin() as session:
        written = await tracks_at_paths(session, changes.written_paths)
        if changes.written_ids:
            known = {track.id for track in written}
            written += [
                track
                for track in await tracks_with_ids(session, changes.written_ids)
                if track.id not in known
            ]
        await _link_artists(session, written)
        groups = {track.album_group for track in written if track.album_group}
        groups |= changes.old_groups
        members = await tracks_in_groups(session, sorted(groups))
        plans = await _plan_albums(session, members)
        await _write_albums(session, plans, members, written)
        await remove_empty_albums(session)
        await refresh_artist_counts(session)
    return [plan.id for plan in plans]


def _artist_row(name: str) -> dict[str, str]:
    return {"name": name, "sort_name": sort_text(name), "search_text": search_document(name)}


def _composers(track: GroupedTrack) -> list[str]:
    return [name for name in (track.composer or "").split("; ") if name.strip()]


async def _link_artists(session: AsyncSession, tracks: Sequence[GroupedTrack]) -> None:
    names: dict[str, str] = {}
    credits: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for track in tracks:
        credit: list[tuple[str, str]] = []
        for role, values in (
            ("main", track.artist_names),
            ("featured", track.featured_artist_names),
            ("composer", _composers(track)),
        ):
            for name in values:
                key = artist_key(name)
                if key:
                    names.setdefault(key, name)
                    credit.append((key, role))
        credits[track.id] = credit
    ids = await ensure_artists(session, {key: _artist_row(name) for key, name in names.items()})
    await replace_track_artists(
        session,
        {
            track_id: [(ids[key], role) for key, role in credit]
            for track_id, credit in credits.items()
        },
    )


async def _plan_albums(session: AsyncSession, members: Sequence[GroupedTrack]) -> list[AlbumPlan]:
    by_group: dict[str, list[GroupedTrack]] = defaultdict(list)
    for track in members:
        if track.album_group:
            by_group[track.album_group].append(track)
    by_identity: dict[str, list[GroupedTrack]] = defaultdict(list)
    for group, tracks in by_group.items():
        identities = album_identities(
            group, [GroupMember(t.id, folder_of(t.path), t.year) for t in tracks]
        )
        for track in tracks:
            by_identity[identities[track.id]].append(track)
    known = await album_ids_by_identity(session, list(by_identity))
    return [
        _album_plan(identity, known.get(identity) or uuid.uuid4(), tracks)
        for identity, tracks in by_identity.items()
    ]


def _album_artists(tracks: Sequence[GroupedTrack], is_compilation: bool) -> tuple[str, ...]:
    tagged = most_common(tuple(t.album_artist_names) for t in tracks if t.album_artist_names)
    if tagged:
        return tagged
    if is_compilation:
        return (VARIOUS_ARTISTS,)
    return most_common(tuple(t.artist_names) for t in tracks if t.artist_names) or ()


def _credit(tracks: Sequence[GroupedTrack], artists: Sequence[str], is_compilation: bool) -> str:
    tagged = most_common(t.album_artist for t in tracks if t.album_artist)
    if tagged:
        return tagged
    if is_compilation:
        return VARIOUS_ARTISTS
    plain = most_common(t.artist for t in tracks if t.artist and not t.featured_artist_names)
    return plain or ", ".join(artists) or "Unknown Artist"


def _genres(tracks: Iterable[GroupedTrack]) -> list[str]:
    counts = Counter(genre for track in tracks for genre in dict.fromkeys(track.genres))
    return [genre for genre, _ in counts.most_common(MAX_GENRES)]


def _album_plan(identity: str, album_id: uuid.UUID, members: Sequence[GroupedTrack]) -> AlbumPlan:
    # What everyone sees of an album comes from its available published tracks
    # (``catalog.access``); one with none is described by its available tracks, for those
    # who may see it, and one with none available (missing, in the trash) by all of them,
    # so that it is itself again when they come back.
    present = [t for t in members if t.state == TrackState.AVAILABLE.value]
    published = [t for t in present if t.is_published]
    tracks = published or present or members
    is_compilation = any(t.is_compilation for t in tracks)
    title = most_common(t.album for t in tracks if t.album) or ""
    artists = _album_artists(tracks, is_compilation)
    credit = _credit(tracks, artists, is_compilation)
    year = most_common(t.year for t in tracks if t.year)
    discs = {t.disc_number or 1 for t in tracks}
    title_key, credit_key = sort_text(title), sort_text(credit)
    values: dict[str, Any] = {
        "id": album_id,
        "identity": identity,
        "title": title,
        "artist_credit": credit[:1024],
        "year": year,
        "is_compilation": is_compilation,
        "musicbrainz_album_id": most_common(
            t.musicbrainz_album_id for t in tracks if t.musicbrainz_album_id
        ),
        "disc_count": max(discs),
        "track_count": len(published),
        "is_available": bool(present),
        "duration_seconds": round(sum(t.duration_seconds for t in published), 3),
        "genres": _genres(tracks),
        "search_text": search_document(title, credit, *artists),
        "sort_title": SORT_SEPARATOR.join([title_key, credit_key]),
        "sort_artist": SORT_SEPARATOR.join([credit_key, f"{year or 9999:04d}", title_key]),
        "sort_year": SORT_SEPARATOR.join([f"{year or 9999:04d}", credit_key, title_key]),
    }
    return AlbumPlan(
        id=album_id,
        identity=identity,
        values=values,
        artist_names=tuple(name for name in artists if artist_key(name)),
        track_ids=tuple(t.id for t in members),
    )


async def _write_albums(
    session: AsyncSession,
    plans: Sequence[AlbumPlan],
    members: Sequence[GroupedTrack],
    written: Sequence[GroupedTrack],
) -> None:
    await upsert_albums(session, [plan.values for plan in plans])
    names: dict[str, str] = {}
    for plan in plans:
        for name in plan.artist_names:
            names.setdefault(artist_key(name), name)
    ids = await ensure_artists(session, {key: _artist_row(name) for key, name in names.items()})
    await replace_album_artists(
        session,
        {
            plan.id: list(dict.fromkeys(ids[artist_key(name)] for name in plan.artist_names))
            for plan in plans
        },
    )
    album_of: dict[uuid.UUID, uuid.UUID | None] = {
        track_id: plan.id for plan in plans for track_id in plan.track_ids
    }
    for track in written:
        if not track.album_group:
            album_of[track.id] = None
    current = {track.id: track.album_id for track in [*members, *written]}
    await link_tracks_to_albums(
        session,
        {track_id: album for track_id, album in album_of.items() if current.get(track_id) != album},
    )
