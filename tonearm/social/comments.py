"""Comments on tracks and albums: plain text stored exactly as typed, newest first.

Bodies are never trimmed or rewritten (trimming only decides "empty") and are at most 2,000
characters; escaping them is the player's job. Their authors edit and delete them, admins
delete any. A comment on a target the reader cannot see is not there, exactly like a
comment that does not exist. Each user may post ``TONEARM_COMMENT_RATE`` comments a minute,
counted from the ``comments`` table so every worker process agrees.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tonearm.catalog.access import Reader, album_visible, track_visible
from tonearm.catalog.pagination import ORDERS, CommentOrder, Page, PageRequest, keyset_page
from tonearm.db.models import AlbumRecord, CommentRecord, TrackRecord, UserRecord, utcnow

MAX_BODY_LENGTH = 2000
RATE_WINDOW = timedelta(minutes=1)


class CommentKind(enum.StrEnum):
    """What a comment is on; the value is what ``comments.kind`` stores."""

    TRACK = "track"
    ALBUM = "album"


@dataclass(frozen=True, slots=True)
class CommentTarget:
    """One kind of commentable thing: its global ID type name, model and visibility."""

    type_name: str
    model: Any
    visible: Callable[[Reader], ColumnElement[bool]]


TARGETS: dict[CommentKind, CommentTarget] = {
    CommentKind.TRACK: CommentTarget("Track", TrackRecord, track_visible),
    CommentKind.ALBUM: CommentTarget("Album", AlbumRecord, album_visible),
}


class CommentTargetNotFound(Exception):
    """No track or album the reader may see has this id."""


class CommentNotFound(Exception):
    """No comment the reader may see has this id."""


class InvalidComment(Exception):
    """The body is empty after trimming, or longer than ``MAX_BODY_LENGTH``."""


class CommentRateLimited(Exception):
    """The author posted as many comments as the last minute allows."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"Too many comments; try again in {retry_after_seconds} s.")
        self.retry_after_seconds = retry_after_seconds


class CommentNotAllowed(Exception):
    """The reader sees the comment but may not change it."""


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A comment and its author's name."""

    record: CommentRecord
    author_name: str

    @property
    def created_at(self) -> datetime:
        """The comment's keyset key."""
        return self.record.created_at

    @property
    def id(self) -> uuid.UUID:
        """The comment's id (its keyset tiebreak)."""
        return self.record.id


def kind_of_type_name(type_name: str) -> CommentKind | None:
    """The comment kind whose global IDs carry ``type_name`` (None: not commentable)."""
    return next((kind for kind, t in TARGETS.items() if t.type_name == type_name), None)


def check_body(body: str) -> None:
    """Refuse an empty (after trimming) or too long body with ``InvalidComment``."""
    if not body.strip():
        raise InvalidComment("A comment cannot be empty.")
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidComment(f"A comment may be at most {MAX_BODY_LENGTH} characters.")


def can_edit_comment(reader: Reader, comment: CommentRecord) -> bool:
    """Only its author edits a comment."""
    return reader.user_id is not None and comment.author_id == reader.user_id


def can_delete_comment(reader: Reader, comment: CommentRecord) -> bool:
    """Its author and admins delete a comment."""
    return reader.is_admin or can_edit_comment(reader, comment)


def _target_visible(reader: Reader) -> ColumnElement[bool]:
    return or_(
        *(
            and_(
                CommentRecord.kind == kind.value,
                exists().where(target.model.id == CommentRecord.target_id, target.visible(reader)),
            )
            for kind, target in TARGETS.items()
        )
    )


async def _check_rate(
    session: AsyncSession, author_id: uuid.UUID, rate: int, now: datetime
) -> None:
    since = now - RATE_WINDOW
    recent = list(
        await session.scalars(
            select(CommentRecord.created_at)
            .where(CommentRecord.author_id == author_id, CommentRecord.created_at > since)
            .order_by(CommentRecord.created_at.desc())
            .limit(rate)
        )
    )
    if len(recent) < rate:
        return
    # The oldest of the last ``rate`` comments leaves the window first.
    wait = (recent[-1] + RATE_WINDOW - now).total_seconds()
    raise CommentRateLimited(max(1, math.ceil(wait)))


async def add_comment(
    session: AsyncSession,
    *,
    reader: Reader,
    author_id: uuid.UUID,
    kind: CommentKind,
    target_id: uuid.UUID,
    body: str,
    rate: int,
    now: datetime | None = None,
) -> CommentRow:
    """Post a comment and commit; the exceptions above say why not."""
    target = TARGETS[kind]
    found = await session.scalar(
        select(target.model.id).where(target.model.id == target_id, target.visible(reader))
    )
    if found is None:
        raise CommentTargetNotFound(str(target_id))
    check_body(body)
    moment = now or utcnow()
    await _check_rate(session, author_id, rate, moment)
    record = CommentRecord(
        author_id=author_id, kind=kind.value, target_id=target_id, body=body, created_at=moment
    )
    session.add(record)
    await session.flush()
    name = await session.scalar(select(UserRecord.username).where(UserRecord.id == author_id))
    await session.commit()
    return CommentRow(record, name or "")


async def _visible_comment(
    session: AsyncSession, reader: Reader, comment_id: uuid.UUID
) -> CommentRow:
    row = (
        await session.execute(
            select(CommentRecord, UserRecord.username)
            .join(UserRecord, UserRecord.id == CommentRecord.author_id)
            .where(CommentRecord.id == comment_id, _target_visible(reader))
        )
    ).first()
    if row is None:
        raise CommentNotFound(str(comment_id))
    return CommentRow(row[0], row[1])


async def edit_comment(
    session: AsyncSession,
    *,
    reader: Reader,
    comment_id: uuid.UUID,
    body: str,
    now: datetime | None = None,
) -> CommentRow:
    """Replace a comment's body (its author only) and commit."""
    found = await _visible_comment(session, reader, comment_id)
    if not can_edit_comment(reader, found.record):
        raise CommentNotAllowed(str(comment_id))
    check_body(body)
    found.record.body = body
    found.record.edited_at = now or utcnow()
    await session.commit()
    return found


async def delete_comment(session: AsyncSession, *, reader: Reader, comment_id: uuid.UUID) -> None:
    """Delete a comment (its author or an admin) and commit."""
    found = await _visible_comment(session, reader, comment_id)
    if not can_delete_comment(reader, found.record):
        raise CommentNotAllowed(str(comment_id))
    await session.delete(found.record)
    await session.commit()


def _comments_statement(kind: CommentKind, target_id: uuid.UUID) -> Any:
    return (
        select(CommentRecord, UserRecord.username)
        .join(UserRecord, UserRecord.id == CommentRecord.author_id)
        .where(CommentRecord.kind == kind.value, CommentRecord.target_id == target_id)
    )


async def list_comments(
    session: AsyncSession, *, kind: CommentKind, target_id: uuid.UUID, page: PageRequest
) -> Page[CommentRow]:
    """A page of the comments on a target, newest first.

    The caller has already found the target through the reader's visibility (the field
    lives on a track or album the reader sees).
    """
    return await keyset_page(
        session,
        _comments_statement(kind, target_id),
        spec=ORDERS[CommentOrder.NEWEST],
        page=page,
        convert=lambda row: CommentRow(row[0], row[1]),
    )


async def count_comments(session: AsyncSession, *, kind: CommentKind, target_id: uuid.UUID) -> int:
    """How many comments a target has."""
    return int(
        await session.scalar(
            select(func.count()).where(
                CommentRecord.kind == kind.value, CommentRecord.target_id == target_id
            )
        )
        or 0
    )
