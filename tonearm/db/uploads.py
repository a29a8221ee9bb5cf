"""Reads and writes of ``uploads``: resumable (tus) uploads until they become tracks.

States: ``receiving`` (bytes arriving; ``offset`` counts those durably written),
``finishing`` (one ``finishUpload`` has claimed it; the conditional UPDATE that sets this
state is the lock that makes two concurrent finishes give one track) and ``finished``
(with ``track_id``). Every read is scoped to the owner: not yours looks like not there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.db.models import UploadRecord, utcnow

UploadState = Literal["receiving", "finishing", "finished"]
RECEIVING: UploadState = "receiving"
FINISHING: UploadState = "finishing"
FINISHED: UploadState = "finished"
# A finish takes seconds (hashing and probing a file); one left this long was interrupted
# (the process died) and may be claimed again.
STALE_FINISH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class UploadRow:
    """One ``uploads`` row as the rest of tonearm sees it."""

    id: uuid.UUID
    user_id: uuid.UUID
    length: int
    offset: int
    original_name: str | None
    declared_type: str | None
    album_id: uuid.UUID | None
    state: UploadState
    track_id: uuid.UUID | None
    expires_at: datetime
    updated_at: datetime
    # A direct upload's object key while assembled, multipart id and part size (null: tus).
    storage_key: str | None = None
    multipart_id: str | None = None
    part_bytes: int | None = None

    @property
    def complete(self) -> bool:
        """Whether every declared byte has arrived."""
        return self.offset == self.length

    @property
    def is_direct(self) -> bool:
        """Whether the client sends the bytes straight to object storage (not tus)."""
        return self.multipart_id is not None


def _row(record: UploadRecord) -> UploadRow:
    known: dict[str, UploadState] = {FINISHED: FINISHED, FINISHING: FINISHING}
    state = known.get(record.state, RECEIVING)
    return UploadRow(
        id=record.id,
        user_id=record.user_id,
        length=record.length,
        offset=record.offset,
        original_name=record.original_name,
        declared_type=record.declared_type,
        album_id=record.album_id,
        state=state,
        track_id=record.track_id,
        expires_at=record.expires_at,
        updated_at=record.updated_at,
        storage_key=record.storage_key,
        multipart_id=record.multipart_id,
        part_bytes=record.part_bytes,
    )


async def insert_upload(
    session: AsyncSession,
    *,
    upload_id: uuid.UUID,
    user_id: uuid.UUID,
    length: int,
    original_name: str | None,
    declared_type: str | None,
    album_id: uuid.UUID | None,
    expires_at: datetime,
    storage_key: str | None = None,
    multipart_id: str | None = None,
    part_bytes: int | None = None,
) -> UploadRow:
    """Register a new upload with nothing received yet (a direct one: with its object key,
    multipart id and part size)."""
    record = UploadRecord(
        id=upload_id,
        user_id=user_id,
        length=length,
        offset=0,
        original_name=original_name,
        declared_type=declared_type,
        album_id=album_id,
        state=RECEIVING,
        expires_at=expires_at,
        storage_key=storage_key,
        multipart_id=multipart_id,
        part_bytes=part_bytes,
    )
    session.add(record)
    await session.flush()
    return _row(record)


async def upload_of(
    session: AsyncSession, upload_id: uuid.UUID, user_id: uuid.UUID
) -> UploadRow | None:
    """The upload if it exists and belongs to ``user_id``; None otherwise."""
    record = await session.scalar(
        select(UploadRecord)
        .where(UploadRecord.id == upload_id, UploadRecord.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    return _row(record) if record is not None else None


async def record_offset(
    session: AsyncSession,
    upload_id: uuid.UUID,
    *,
    old_offset: int,
    new_offset: int,
    expires_at: datetime,
) -> bool:
    """Move a receiving upload's offset from ``old_offset``; False if it changed meanwhile."""
    result = await session.execute(
        update(UploadRecord)
        .where(
            UploadRecord.id == upload_id,
            UploadRecord.state == RECEIVING,
            UploadRecord.offset == old_offset,
        )
        .values(offset=new_offset, expires_at=expires_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_stale_finish(upload: UploadRow, *, now: datetime) -> bool:
    """Whether a ``finishing`` upload was left so long ago that its finisher must have died."""
    return upload.state == FINISHING and upload.updated_at < now - STALE_FINISH


async def claim_for_finishing(
    session: AsyncSession, upload_id: uuid.UUID, user_id: uuid.UUID, *, now: datetime
) -> bool:
    """Take a complete, unexpired, receiving upload (or one whose finisher died) into
    ``finishing``; True for exactly one caller."""
    result = await session.execute(
        update(UploadRecord)
        .where(
            UploadRecord.id == upload_id,
            UploadRecord.user_id == user_id,
            or_(
                UploadRecord.state == RECEIVING,
                and_(
                    UploadRecord.state == FINISHING,
                    UploadRecord.updated_at < now - STALE_FINISH,
                ),
            ),
            UploadRecord.offset == UploadRecord.length,
            UploadRecord.expires_at > now,
        )
        .values(state=FINISHING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_finished(session: AsyncSession, upload_id: uuid.UUID, track_id: uuid.UUID) -> None:
    """A finishing upload became ``track_id``."""
    await session.execute(
        update(UploadRecord)
        .where(UploadRecord.id == upload_id)
        .values(state=FINISHED, track_id=track_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def delete_upload(session: AsyncSession, upload_id: uuid.UUID) -> None:
    """Forget an upload (its data file is the caller's to remove)."""
    await session.execute(
        delete(UploadRecord)
        .where(UploadRecord.id == upload_id)
        .execution_options(synchronize_session=False)
    )


async def unfinished_bytes(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    """The declared lengths of the user's live, unfinished uploads (they count to the quota)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(UploadRecord.length), 0)).where(
            UploadRecord.user_id == user_id,
            UploadRecord.state != FINISHED,
            UploadRecord.expires_at > now,
        )
    )
    return int(total or 0)


async def release_finishing(session: AsyncSession, upload_id: uuid.UUID) -> None:
    """A finish that failed unexpectedly: the upload may be finished again."""
    await session.execute(
        update(UploadRecord)
        .where(UploadRecord.id == upload_id, UploadRecord.state == FINISHING)
        .values(state=RECEIVING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "FINISHED",
    "FINISHING",
    "RECEIVING",
    "UploadRow",
    "UploadState",
    "claim_for_finishing",
    "delete_upload",
    "insert_upload",
    "is_stale_finish",
    "mark_finished",
    "record_offset",
    "release_finishing",
    "unfinished_bytes",
    "upload_of",
]
