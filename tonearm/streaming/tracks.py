"""The one registry read a stream needs: where a track's file is, which version, how to name it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tonearm.catalog.access import track_available
from tonearm.db.models import TrackRecord, UserRecord
from tonearm.memo import TTLMemo
from tonearm.paths import display_path


@dataclass(frozen=True, slots=True)
class StreamableTrack:
    """A registered track's stored (relative POSIX) path, media type and display name.

    ``path`` is exactly as the OS names the file and may hold surrogate escapes (a name
    that is not UTF-8): join it onto the media root, never put it in a header or a log
    line as it is (``display_path``).
    """

    path: str
    mime_type: str
    title: str
    artist: str | None
    duration_seconds: float = 0.0
    size_bytes: int = 0
    mtime_ns: int = 0
    origin: str = "library"  # which root ``path`` is under (``catalog.origins.FileRoots``)
    storage_key: str | None = None  # set: the file is this object in remote storage

    @property
    def download_name(self) -> str:
        """``Artist - Title.ext``, the name offered to a browser that saves the stream.

        Always valid text (``display_path``): it goes into ``Content-Disposition``.
        """
        return self.download_name_as(PurePosixPath(self.path).suffix.lstrip("."))

    def download_name_as(self, extension: str) -> str:
        """``Artist - Title.<extension>`` (a variant's container), always valid text."""
        stem = f"{self.artist} - {self.title}" if self.artist else self.title
        return display_path(f"{stem}.{extension}" if extension else stem)


async def find_streamable_track(engine: AsyncEngine, track_id: uuid.UUID) -> StreamableTrack | None:
    """The track's stream facts, or ``None`` when no available track has this id.

    A missing or trashed track (``catalog.states``) streams like one that is not there.
    """
    statement = select(
        TrackRecord.path,
        TrackRecord.mime_type,
        TrackRecord.title,
        TrackRecord.artist,
        TrackRecord.duration_seconds,
        TrackRecord.size_bytes,
        TrackRecord.mtime_ns,
        TrackRecord.origin,
        TrackRecord.storage_key,
    ).where(TrackRecord.id == track_id, track_available())
    async with engine.connect() as connection:
        row = (await connection.execute(statement)).first()
    if row is None:
        return None
    return StreamableTrack(
        path=row.path,
        mime_type=row.mime_type,
        title=row.title,
        artist=row.artist,
        duration_seconds=row.duration_seconds,
        size_bytes=row.size_bytes,
        mtime_ns=row.mtime_ns,
        origin=row.origin,
        storage_key=row.storage_key,
    )


class StreamableTrackCache:
    """A small per-worker memo of ``find_streamable_track`` results, for ``ttl`` seconds.

    The registry lookup is the dominant cost of a seek (~1.6 ms on SQLite through the async
    engine, against ~0.3 ms for everything else), and a player seeking one track asks for it
    many times a minute. Staleness is bounded and harmless: every read still checks that it
    reaches the very file that was confined inside the media root (``file_io.TrackFiles``),
    so a cached row can at worst keep serving a track removed from the registry within the
    last ``ttl`` seconds — the token for it was valid anyway. Unknown ids are not cached (a
    scan may add them any moment).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: float = 10.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._memo: TTLMemo[uuid.UUID, StreamableTrack] = TTLMemo(
            ttl=ttl, max_entries=max_entries, clock=clock
        )

    async def get(self, track_id: uuid.UUID) -> StreamableTrack | None:
        """The track's stream facts, from the memo when fresh, else from the registry."""
        return await self._memo.get(track_id, partial(find_streamable_track, self._engine))


async def user_is_active(engine: AsyncEngine, user_id: uuid.UUID) -> bool | None:
    """True for an enabled account; None when it is disabled or gone (never memoized)."""
    statement = select(UserRecord.is_active).where(UserRecord.id == user_id)
    async with engine.connect() as connection:
        active = await connection.scalar(statement)
    return True if active else None


class ActiveListenerCache:
    """Whether a stream token's user may still listen, memoized for a few seconds.

    Only "active" answers are kept, so disabling or deleting a user stops their open
    stream URLs within ``ttl`` seconds, without a registry read on every seek.
    """

    def __init__(self, engine: AsyncEngine, *, ttl: float = 5.0) -> None:
        self._engine = engine
        self._memo: TTLMemo[uuid.UUID, bool] = TTLMemo(ttl=ttl, max_entries=4096)

    async def is_active(self, user_id: uuid.UUID) -> bool:
        """Whether ``user_id`` names an enabled account."""
        return bool(await self._memo.get(user_id, partial(user_is_active, self._engine)))
