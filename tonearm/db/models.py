"""The registry's tables as SQLAlchemy 2 typed models.

Search infrastructure that differs per database (SQLite FTS5 table and triggers, the
PostgreSQL tsvector index) lives in the migrations only; see ``SEARCH_OBJECTS``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RowId = BigInteger().with_variant(Integer, "sqlite")

# Sort keys compare byte-wise on every database, so pages are ordered identically on
# SQLite (BINARY) and PostgreSQL (collation "C").
SortKey = String(1024).with_variant(String(1024, collation="C"), "postgresql")

# Names of per-database search objects created by migrations and invisible to the models.
SEARCHABLE_TABLES = ("tracks", "albums", "artists")
SEARCH_OBJECTS = frozenset(
    name
    for table in SEARCHABLE_TABLES
    for name in (
        f"{table}_fts",
        f"{table}_fts_data",
        f"{table}_fts_idx",
        f"{table}_fts_docsize",
        f"{table}_fts_config",
        f"{table}_fts_content",
        f"ix_{table}_search_vector",
    )
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
    format: Mapped[str] = mapped_column(
        String(16), server_default=text("'mp3'"), comment="catalog.formats.AudioFormat value"
    )
    bit_depth: Mapped[int | None]
    disc_subtitle: Mapped[str | None] = mapped_column(String(1024))
    composer: Mapped[str | None] = mapped_column(String(1024))
    genres: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    is_compilation: Mapped[bool] = mapped_column(default=False, server_default=false())
    musicbrainz_album_id: Mapped[str | None] = mapped_column(String(36))
    musicbrainz_track_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The artist names the tags give (main, featured, album artists), after splitting a
    # single credit (``catalog.artists``):
    # what the links to ``artists`` are derived from, so a regroup needs no file access.
    artist_names: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    featured_artist_names: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    album_artist_names: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # Which album this track belongs to: ``album_group`` is the part of the album identity
    # one file decides (``catalog.albums``); the album itself is decided over the group.
    album_group: Mapped[str | None] = mapped_column(String(64), index=True)
    album_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("albums.id", ondelete="SET NULL"), index=True
    )
    picture: Mapped[str | None] = mapped_column(
        String(8), comment="best embedded picture: front, other or none"
    )
    search_text: Mapped[str] = mapped_column(Text)
    sort_library: Mapped[str] = mapped_column(SortKey)
    sort_title: Mapped[str] = mapped_column(SortKey)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    origin: Mapped[str] = mapped_column(
        String(16),
        default="library",
        server_default=text("'library'"),
        comment="library (scanned) or upload",
    )
    # No foreign key: the quota's account of an upload outlives nothing it refers to.
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, comment="the uploader, for quotas")
    content_hash: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of an upload")
    storage_key: Mapped[str | None] = mapped_column(
        String(512),
        comment="object-storage key of an upload's original; null: a file under its root",
    )
    original_name: Mapped[str | None] = mapped_column(String(1024), comment="metadata only")
    is_published: Mapped[bool] = mapped_column(default=True, server_default=true(), index=True)
    is_explicit: Mapped[bool] = mapped_column(default=False, server_default=false())
    lyrics: Mapped[str | None] = mapped_column(Text)
    overrides: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        server_default=text("'{}'"),
        comment="edited fields, applied over the file's tags",
    )
    # Listening facts kept by ``social`` (never by a scan: the scanner's upsert leaves them).
    play_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    popularity: Mapped[float] = mapped_column(
        default=0.0,
        server_default=text("0"),
        comment="sum of plays and likes, each weighted 2^((t - epoch) / half-life)",
    )
    # Whether the track is there for listeners (``catalog.states.TrackState``): a file gone
    # at a rescan makes it ``missing``, a delete ``trashed``; either keeps every row that
    # refers to it, and the visibility predicates of ``catalog.access`` hide it.
    state: Mapped[str] = mapped_column(
        String(16),
        default="available",
        server_default=text("'available'"),
        comment="available, missing or trashed",
    )
    state_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="when it went missing or to the trash"
    )
    # No foreign key: SQLite cannot add one to an existing table without rebuilding it
    # (which would drop the FTS triggers); ``trash`` clears it on restore and purge.
    trash_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, index=True, comment="the trash entry (the track's own or its album's) holding it"
    )
    fingerprint: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="SHA-256 of the size and the file's first and last bytes"
    )

    __table_args__ = (
        Index("ix_tracks_uploaded_by_content_hash", "uploaded_by", "content_hash", unique=True),
        Index("ix_tracks_sort_library", "sort_library", "id"),
        Index("ix_tracks_sort_title", "sort_title", "id"),
        Index("ix_tracks_created_at", "created_at", "id"),
        Index("ix_tracks_duration_seconds", "duration_seconds", "id"),
        Index("ix_tracks_popularity", "popularity", "id"),
        # Only the rows that are not available (few): an index of every row's state would
        # lead the planners to walk it for ``state = 'available'`` and sort every page.
        Index(
            "ix_tracks_gone",
            "state",
            "state_changed_at",
            "id",
            sqlite_where=text("state <> 'available'"),
            postgresql_where=text("state <> 'available'"),
        ),
    )


class ArtworkRecord(Base):
    """One source image, by the SHA-256 of its bytes, and the thumbnails made of it.

    Thumbnails live content-addressed in the artwork store (``artwork/``), so a URL naming
    a hash and a size never changes what it serves.
    """

    __tablename__ = "artworks"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    width: Mapped[int]
    height: Mapped[int]
    sizes: Mapped[list[int]] = mapped_column(JSON, comment="edge lengths made, ascending")
    color: Mapped[str] = mapped_column(String(7), comment="#rrggbb placeholder")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArtistRecord(Base):
    """A person or group credited on tracks or albums; identified by the folded name."""

    __tablename__ = "artists"

    row_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(1024))
    name_key: Mapped[str] = mapped_column(SortKey, unique=True)
    sort_name: Mapped[str] = mapped_column(SortKey)
    search_text: Mapped[str] = mapped_column(Text)
    album_count: Mapped[int] = mapped_column(default=0)
    track_count: Mapped[int] = mapped_column(default=0)
    artwork_hash: Mapped[str | None] = mapped_column(
        ForeignKey("artworks.hash", ondelete="SET NULL")
    )
    # The image the artwork was made from (``artist.*`` in their folder) and its size and
    # mtime, so a rescan that finds the same file does not read it again.
    artwork_source: Mapped[str | None] = mapped_column(FilesystemPath)
    artwork_stamp: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_artists_sort_name", "sort_name", "id"),)


class AlbumRecord(Base):
    """An album: the tracks that share one album identity (``catalog.albums``).

    Counts, duration, genres and discs are kept up to date by the scan, so listing albums
    reads one row each.
    """

    __tablename__ = "albums"

    row_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    identity: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 hex")
    title: Mapped[str] = mapped_column(String(1024))
    artist_credit: Mapped[str] = mapped_column(String(1024))
    year: Mapped[int | None]
    is_compilation: Mapped[bool] = mapped_column(default=False)
    musicbrainz_album_id: Mapped[str | None] = mapped_column(String(36))
    disc_count: Mapped[int] = mapped_column(default=1)
    # Published tracks only (``catalog.access``); indexed for the hidden albums' count.
    track_count: Mapped[int] = mapped_column(default=0, index=True)
    duration_seconds: Mapped[float] = mapped_column(default=0.0)
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text)
    sort_title: Mapped[str] = mapped_column(SortKey)
    sort_artist: Mapped[str] = mapped_column(SortKey)
    sort_year: Mapped[str] = mapped_column(SortKey)
    artwork_hash: Mapped[str | None] = mapped_column(
        ForeignKey("artworks.hash", ondelete="SET NULL")
    )
    # Where the cover came from (a folder image or a track with an embedded picture) and
    # that file's size and mtime: an unchanged source is not read again on rescans.
    artwork_source: Mapped[str | None] = mapped_column(FilesystemPath)
    artwork_stamp: Mapped[str | None] = mapped_column(String(64))
    is_available: Mapped[bool] = mapped_column(
        default=True, server_default=true(), comment="has a track that is available"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_albums_sort_title", "sort_title", "id"),
        Index("ix_albums_sort_artist", "sort_artist", "id"),
        Index("ix_albums_sort_year", "sort_year", "id"),
        Index("ix_albums_created_at", "created_at", "id"),
    )


class AlbumArtistRecord(Base):
    """An album artist of an album, in credit order."""

    __tablename__ = "album_artists"

    album_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int]


class TrackArtistRecord(Base):
    """An artist of a track with a role (main, featured, composer), in credit order."""

    __tablename__ = "track_artists"

    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int]


class VariantRecord(Base):
    """One transcoded variant of a track (``catalog.variants``): made, being made, or failed.

    The file lives in the variant store under a name derived from the track id and the
    variant's slug, never from user input; this row is the truth about it. A variant is
    ``ready`` only after the encoder's output was verified and renamed into place, and it
    is stale once the source's size or mtime differs from the ones it was made from.
    """

    __tablename__ = "track_variants"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    track_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(16), comment="catalog.formats.AudioFormat value")
    container: Mapped[str] = mapped_column(String(16))
    bitrate_kbps: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), comment="pending, ready or failed")
    failure_reason: Mapped[str | None] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None]
    content_hash: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of the file")
    source_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    source_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("track_id", "format", "bitrate_kbps"),
        Index("ix_track_variants_state_updated_at", "state", "updated_at"),
        Index("ix_track_variants_last_used_at", "last_used_at"),
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
    # An admin's grant; admins may always upload.
    can_upload: Mapped[bool] = mapped_column(default=False, server_default=false())
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


class TrackCollaboratorRecord(Base):
    """A user's role on one track: ``owner``, ``editor`` or ``viewer``."""

    __tablename__ = "track_collaborators"

    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), comment="owner, editor or viewer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlbumCollaboratorRecord(Base):
    """A user's role on one album, which reaches every track of the album."""

    __tablename__ = "album_collaborators"

    album_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), comment="owner, editor or viewer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UploadRecord(Base):
    """A resumable upload (tus, or direct into object storage): received so far, and the
    track it became once finished."""

    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    length: Mapped[int] = mapped_column(BigInteger, comment="declared Upload-Length")
    offset: Mapped[int] = mapped_column(BigInteger, comment="bytes received")
    original_name: Mapped[str | None] = mapped_column(String(1024), comment="metadata only")
    declared_type: Mapped[str | None] = mapped_column(String(255))
    album_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(16), comment="receiving or finished")
    track_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, comment="the track it became")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A direct upload (the client PUTs parts to the bucket): the object's key while it is
    # assembled, the storage's multipart upload id and the part size. Null: tus.
    storage_key: Mapped[str | None] = mapped_column(
        String(512), comment="a direct upload's object key while assembled; null: tus"
    )
    multipart_id: Mapped[str | None] = mapped_column(
        String(1024), comment="the storage's multipart upload id; null: tus"
    )
    part_bytes: Mapped[int | None] = mapped_column(
        BigInteger, comment="the size of every part but the last; null: tus"
    )


class PlaylistRecord(Base):
    """A playlist: a user's (static or smart) or the server's, read from an M3U file.

    ``kind`` is ``static`` (stored items), ``smart`` (items are ``rules`` evaluated at read
    time) or ``file`` (items read by the scanner from ``source_path``, read-only, owned by
    nobody and visible to every signed-in user).
    """

    __tablename__ = "playlists"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), comment="null: the server's (a file)"
    )
    kind: Mapped[str] = mapped_column(String(16), comment="static, smart or file")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_collaborative: Mapped[bool] = mapped_column(default=False, server_default=false())
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="a smart playlist's")
    source_path: Mapped[str | None] = mapped_column(
        FilesystemPath, unique=True, comment="an M3U file's path in the media root"
    )
    source_stamp: Mapped[str | None] = mapped_column(String(64), comment="its size and mtime")
    # A picture of its own (none can be set yet), else the mosaic of its first albums'
    # covers, with the album covers it was made from so an unchanged mosaic is not remade.
    artwork_hash: Mapped[str | None] = mapped_column(
        ForeignKey("artworks.hash", ondelete="SET NULL")
    )
    mosaic_hash: Mapped[str | None] = mapped_column(
        ForeignKey("artworks.hash", ondelete="SET NULL")
    )
    mosaic_key: Mapped[str | None] = mapped_column(String(64))
    sort_name: Mapped[str] = mapped_column(SortKey)
    trash_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, index=True, comment="the trash entry holding it (no foreign key, as on tracks)"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_playlists_owner_id", "owner_id", "sort_name", "id"),
        Index("ix_playlists_is_public", "is_public", "sort_name", "id"),
    )


class PlaylistItemRecord(Base):
    """One entry of a static or file playlist; a track may appear many times.

    ``position`` is a sparse sort key (gaps of 2^32): an insert or a move takes a key
    between its neighbours, so no other row changes unless a gap is used up.
    """

    __tablename__ = "playlist_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    playlist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(BigInteger)
    added_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_playlist_items_playlist_id_position", "playlist_id", "position", unique=True),
    )


class PlaylistCollaboratorRecord(Base):
    """A user the owner of a collaborative playlist lets add and reorder."""

    __tablename__ = "playlist_collaborators"

    playlist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LikeRecord(Base):
    """A user's like of a track, album, artist or playlist (``kind`` says which)."""

    __tablename__ = "likes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(
        String(16), primary_key=True, comment="track, album, artist or playlist"
    )
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_likes_kind_target_id", "kind", "target_id"),
        Index("ix_likes_user_id_kind_created_at", "user_id", "kind", "created_at", "target_id"),
    )


class PlayRecord(Base):
    """One counted play a client reported (``social.plays`` decides what counts)."""

    __tablename__ = "plays"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    track_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    played_seconds: Mapped[float]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_plays_user_id_started_at", "user_id", "started_at", "track_id"),
        Index("ix_plays_started_at", "started_at", "track_id"),
        Index("ix_plays_track_id", "track_id"),
    )


class PlayCountRecord(Base):
    """A user's play count and latest play of one track, kept with each counted play."""

    __tablename__ = "play_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    play_count: Mapped[int] = mapped_column(default=0)
    last_played_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_play_counts_user_id_last_played_at", "user_id", "last_played_at"),)


class CommentRecord(Base):
    """A comment on a track or an album: plain text, stored exactly as typed."""

    __tablename__ = "comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), comment="track or album")
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_comments_kind_target_id", "kind", "target_id", "created_at", "id"),
        Index("ix_comments_author_id_created_at", "author_id", "created_at"),
    )


class TrashRecord(Base):
    """A track, album or playlist a user deleted: restorable until it is purged.

    The object keeps its row (``trash_id`` points here); for an album, every track that was
    available when it was deleted. ``name`` is what the object was called, for the list.
    """

    __tablename__ = "trash"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16), comment="track, album or playlist")
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(1024))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), comment="whose trash it is in"
    )
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_trash_kind_target_id", "kind", "target_id", unique=True),
        Index("ix_trash_owner_id_deleted_at", "owner_id", "deleted_at", "id"),
        Index("ix_trash_deleted_at", "deleted_at", "id"),
    )


class ShareRecord(Base):
    """A link that lets anyone holding its key listen to one track, album or playlist."""

    __tablename__ = "shares"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True, comment="URL-safe, >= 128 bits")
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), comment="track, album or playlist")
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    description: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(String(255), comment="argon2id")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_plays: Mapped[int | None]
    allow_download: Mapped[bool] = mapped_column(default=False, server_default=false())
    quality: Mapped[str | None] = mapped_column(String(32), comment="a variant slug, or none")
    visit_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    play_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_shares_owner_id_created_at", "owner_id", "created_at", "id"),
        Index("ix_shares_kind_target_id", "kind", "target_id"),
    )


class PurgedPathRecord(Base):
    """A scanned file purged from the registry but left on disk: scans skip it.

    ``tonearm scan --include-purged`` clears these, and the files come back as new tracks.
    """

    __tablename__ = "purged_paths"

    path: Mapped[str] = mapped_column(FilesystemPath, primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ListeningSessionRecord(Base):
    """A listening session: a host plays, members listen in step (``tonearm.sessions``).

    The playback state is the server's: ``playback_status`` is ``paused``, ``waiting`` (for
    members to report they have buffered, until ``ready_deadline_ms``) or ``playing``, and the
    position is ``position_seconds`` at the server time ``position_at_ms`` (milliseconds
    since the epoch; while playing it may lie ahead: the scheduled start). ``epoch`` counts
    track changes and starts, so a ready report names the start it is for. ``sequence`` is
    the last event's number (``session_events``), taken in the same transaction as the change.
    """

    __tablename__ = "listening_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    host_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    invite_code: Mapped[str] = mapped_column(String(64), unique=True, comment=">= 128 bits")
    invite_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allow_anonymous_guests: Mapped[bool] = mapped_column(default=False, server_default=false())
    allow_takeover: Mapped[bool] = mapped_column(default=False, server_default=false())
    request_limit: Mapped[int] = mapped_column(
        default=3, server_default=text("3"), comment="open requests per guest"
    )
    status: Mapped[str] = mapped_column(
        String(16), default="active", server_default=text("'active'"), comment="active or ended"
    )
    current_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, comment="a queue item")
    track_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    variant: Mapped[str | None] = mapped_column(
        String(32), comment="the variant slug everyone plays; null: the original"
    )
    playback_status: Mapped[str] = mapped_column(
        String(16), default="paused", server_default=text("'paused'")
    )
    position_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    position_at_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    ready_deadline_ms: Mapped[int | None] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_listening_sessions_status", "status", "last_activity_at"),)


class SessionMemberRecord(Base):
    """Someone in a listening session: a signed-in user, or an anonymous guest (no user).

    An anonymous guest holds a random token (``tgs_…``), stored as its SHA-256 only.
    ``left_at`` is set when they leave or are removed; a signed-in user who joins again gets
    the same row back.
    """

    __tablename__ = "session_members"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listening_sessions.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), comment="host, cohost or guest")
    guest_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    playable: Mapped[str | None] = mapped_column(
        String(255), comment="audio formats the member's player declared, comma-separated"
    )
    ready_epoch: Mapped[int] = mapped_column(default=-1, server_default=text("-1"))
    round_trip_ms: Mapped[float | None] = mapped_column(
        Float, comment="round trip reported with the last ready report (ms)"
    )
    sync_state: Mapped[str | None] = mapped_column(String(16), comment="in_sync or catching_up")
    offset_ms: Mapped[float | None] = mapped_column(Float, comment="last reported playback error")
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_session_members_session_id", "session_id", "joined_at", "id"),
        Index(
            "ix_session_members_session_id_user_id",
            "session_id",
            "user_id",
            unique=True,
            sqlite_where=text("user_id IS NOT NULL"),
            postgresql_where=text("user_id IS NOT NULL"),
        ),
    )


class SessionQueueItemRecord(Base):
    """One entry of a session's queue (sparse ``position`` keys, as playlist items have)."""

    __tablename__ = "session_queue_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listening_sessions.id", ondelete="CASCADE")
    )
    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(BigInteger)
    added_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("session_members.id", ondelete="SET NULL")
    )
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, comment="the approved request")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_session_queue_items_session_id_position", "session_id", "position", unique=True),
    )


class SessionRequestRecord(Base):
    """A guest's request for a track, and the host's decision (the session's log keeps it)."""

    __tablename__ = "session_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listening_sessions.id", ondelete="CASCADE")
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("session_members.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(
        String(16), default="pending", comment="pending, approved or declined"
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("session_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_session_requests_session_id", "session_id", "created_at", "id"),)


class SessionEventRecord(Base):
    """One event of a session, numbered consecutively from 1: the log reconnects resume from.

    ``payload`` is the changed state as the subscription delivers it; pub/sub messages only
    say which session and sequence to read (``tonearm.pubsub``).
    """

    __tablename__ = "session_events"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listening_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(16), comment="PLAYBACK, QUEUE, REQUEST, MEMBERS, ENDED"
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
