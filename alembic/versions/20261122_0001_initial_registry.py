"""Initial registry: the tracks table and its search index.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEY = sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE tracks_fts USING fts5(
           search_text, content='tracks', content_rowid='row_id',
           tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')""",
    """CREATE TRIGGER tracks_fts_ai AFTER INSERT ON tracks BEGIN
           INSERT INTO tracks_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
       END""",
    """CREATE TRIGGER tracks_fts_ad AFTER DELETE ON tracks BEGIN
           INSERT INTO tracks_fts(tracks_fts, rowid, search_text)
           VALUES ('delete', old.row_id, old.search_text);
       END""",
    """CREATE TRIGGER tracks_fts_au AFTER UPDATE OF search_text ON tracks BEGIN
           INSERT INTO tracks_fts(tracks_fts, rowid, search_text)
           VALUES ('delete', old.row_id, old.search_text);
           INSERT INTO tracks_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
       END""",
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_tracks_search_vector ON tracks "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
]


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column(
            "row_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(length=4096), nullable=False, comment="POSIX, relative"),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("artist", sa.String(length=1024), nullable=True),
        sa.Column("album", sa.String(length=1024), nullable=True),
        sa.Column("album_artist", sa.String(length=1024), nullable=True),
        sa.Column("track_number", sa.Integer(), nullable=True),
        sa.Column("disc_number", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("genre", sa.String(length=255), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("bitrate", sa.Integer(), nullable=True),
        sa.Column("sample_rate", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("sort_library", SORT_KEY, nullable=False),
        sa.Column("sort_title", SORT_KEY, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_tracks")),
        sa.UniqueConstraint("id", name=op.f("uq_tracks_id")),
        sa.UniqueConstraint("path", name=op.f("uq_tracks_path")),
    )
    op.create_index("ix_tracks_created_at", "tracks", ["created_at", "id"])
    op.create_index("ix_tracks_duration_seconds", "tracks", ["duration_seconds", "id"])
    op.create_index("ix_tracks_sort_library", "tracks", ["sort_library", "id"])
    op.create_index("ix_tracks_sort_title", "tracks", ["sort_title", "id"])
    statements = SQLITE_SEARCH if op.get_context().dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS tracks_fts")
    op.drop_table("tracks")
