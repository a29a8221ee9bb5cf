"""Uploads, owners and editors: who may change a track, and where an uploaded file lives.

- ``users.can_upload``: an admin's grant (admins may always upload).
- ``tracks``: ``origin`` (``library``: scanned from the media root; ``upload``: stored under
  the uploads root), the uploader (for quotas), the SHA-256 and original name of an upload,
  the published and explicit flags, lyrics, and ``overrides``: the fields a person edited,
  which a rescan applies over the file's own tags.
- ``track_collaborators`` and ``album_collaborators``: owner, editor or viewer per user.
- ``uploads``: resumable (tus) uploads in progress, until they are finished into a track.

Columns are only added (no table rebuild), so SQLite's FTS triggers and the rows that refer
to tracks are untouched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACK_COLUMNS = [
    sa.Column(
        "origin",
        sa.String(16),
        nullable=False,
        server_default=sa.text("'library'"),
        comment="library (scanned) or upload",
    ),
    sa.Column("uploaded_by", sa.Uuid(), nullable=True, comment="the uploader, for quotas"),
    sa.Column("content_hash", sa.String(64), nullable=True, comment="SHA-256 of an upload"),
    sa.Column("original_name", sa.String(1024), nullable=True, comment="metadata only"),
    sa.Column("is_published", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("is_explicit", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("lyrics", sa.Text(), nullable=True),
    sa.Column(
        "overrides",
        sa.JSON(),
        nullable=False,
        server_default=sa.text("'{}'"),
        comment="edited fields, applied over the file's tags",
    ),
]


def _collaborators(table: str, subject: str, subject_table: str) -> None:
    op.create_table(
        table,
        sa.Column(f"{subject}_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, comment="owner, editor or viewer"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            [f"{subject}_id"],
            [f"{subject_table}.id"],
            name=op.f(f"fk_{table}_{subject}_id_{subject_table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(f"{subject}_id", "user_id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"])


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("can_upload", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    for column in TRACK_COLUMNS:
        op.add_column("tracks", column)
    op.create_index(
        op.f("ix_tracks_uploaded_by_content_hash"),
        "tracks",
        ["uploaded_by", "content_hash"],
        unique=True,
    )
    _collaborators("track_collaborators", "track", "tracks")
    _collaborators("album_collaborators", "album", "albums")
    op.create_table(
        "uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False, comment="declared Upload-Length"),
        sa.Column("offset", sa.BigInteger(), nullable=False, comment="bytes received"),
        sa.Column("original_name", sa.String(1024), nullable=True, comment="metadata only"),
        sa.Column("declared_type", sa.String(255), nullable=True),
        sa.Column("album_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False, comment="receiving or finished"),
        sa.Column("track_id", sa.Uuid(), nullable=True, comment="the track it became"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index(op.f("ix_uploads_user_id"), "uploads", ["user_id"])
    op.create_index(op.f("ix_uploads_expires_at"), "uploads", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_uploads_expires_at"), table_name="uploads")
    op.drop_index(op.f("ix_uploads_user_id"), table_name="uploads")
    op.drop_table("uploads")
    for table in ("album_collaborators", "track_collaborators"):
        op.drop_index(op.f(f"ix_{table}_user_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_tracks_uploaded_by_content_hash"), table_name="tracks")
    # Dropped in place (SQLite 3.35+ can): a batch rebuild of tracks or users would drop
    # the FTS triggers and, with foreign keys on, cascade into every row that refers to them.
    for column in reversed(TRACK_COLUMNS):
        op.execute(f"ALTER TABLE tracks DROP COLUMN {column.name}")
    op.execute("ALTER TABLE users DROP COLUMN can_upload")
