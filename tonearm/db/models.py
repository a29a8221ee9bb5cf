"""The registry's tables as SQLAlchemy 2 typed models.

Search infrastructure that differs per database (SQLite FTS5 table and triggers, the
PostgreSQL tsvector index) lives in the migrations only; see ``SEARCH_OBJECTS``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RowId = BigInteger().with_variant(Integer, "sqlite")

# Sort keys compare byte-wise on every database, so pages are ordered identically on
# SQLite (BINARY) and PostgreSQL (collation "C").
SortKey = String(1024).with_variant(String(1024, collation="C"), "postgresql")

# Names of per-database search objects created by migrations and invisible to the models.
SEARCH_OBJECTS = frozenset(
    {
        "tracks_fts",
        "tracks_fts_data",
        "tracks_fts_idx",
        "tracks_fts_docsize",
        "tracks_fts_config",
        "tracks_fts_content",
        "ix_tracks_search_vector",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FilesystemPath(TypeDecorator[str]):
    """A relative media path stored as the exact bytes of its name on disk.

    File names are bytes; one that is not UTF-8 (a Latin-1 name from an old drive) cannot be
    stored as text. Python holds it as the ``str`` the OS gives (``surrogateescape``, see
    ``tonearm.paths``); this is the one place it becomes bytes and back, on every database.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else os.fsencode(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else os.fsdecode(value)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class TrackRecord(Base):
    """One audio file in the media root, with the tags and stream facts read from it."""

    __tablename__ = "tracks"

    # An integer key keeps SQLite's rowid stable (the FTS5 index refers to it); the UUID is
    # the public identity and survives rescans of the same file.
    row_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    path: Mapped[str] = mapped_column(
        FilesystemPath, unique=True, comment="relative, POSIX; the exact bytes of the name"
    )
    title: Mapped[str] = mapped_column(String(1024))
    artist: Mapped[str | None] = mapped_column(String(1024))
    album: Mapped[str | None] = mapped_column(String(1024))
    album_artist: Mapped[str | None] = mapped_column(String(1024))
    track_number: Mapped[int | None]
    disc_number: Mapped[int | None]
    year: Mapped[int | None]
    genre: Mapped[str | None] = mapped_column(String(255))
    duration_seconds: Mapped[float]
    bitrate: Mapped[int | None]
    sample_rate: Mapped[int | None]
    channels: Mapped[int | None]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    search_text: Mapped[str] = mapped_column(Text)
    sort_library: Mapped[str] = mapped_column(SortKey)
    sort_title: Mapped[str] = mapped_column(SortKey)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_tracks_sort_library", "sort_library", "id"),
        Index("ix_tracks_sort_title", "sort_title", "id"),
        Index("ix_tracks_created_at", "created_at", "id"),
        Index("ix_tracks_duration_seconds", "duration_seconds", "id"),
    )


class UserRecord(Base):
    """An account. ``username_key`` is the case-folded name that makes usernames unique."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set while the password is a one-time password an admin handed out.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SessionRecord(Base):
    """A browser login: the cookie holds a random secret, the table only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiTokenRecord(Base):
    """A personal API token for scripts; stored as a SHA-256 of the secret, shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailureRecord(Base):
    """One failed sign-in, counted against a hashed key (``user:<name>`` or ``addr:<ip>``).

    Kept in the database, not in a worker's memory, so every worker counts the same
    failures; rows older than the limiter's window are pruned as new ones arrive.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_login_failures_key_hash", "key_hash", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )
