"""Trash, shares and missing files.

- ``tracks.state`` (available, missing or trashed) with ``state_changed_at``; a file gone at
  a rescan no longer deletes its row, so likes, plays and playlist entries survive it.
  ``tracks.trash_id`` names the trash entry holding a trashed track (its own or its
  album's); ``tracks.fingerprint`` lets a scan re-attach a missing track to its moved file.
- ``albums.is_available``: whether any of its tracks is; ``playlists.trash_id``.
- ``trash``: what users deleted, restorable until purged.
- ``shares``: links that let anyone with the key listen to one track, album or playlist.
- ``purged_paths``: scanned files purged from the registry but left on disk.

Columns are only added to ``tracks``, ``albums`` and ``playlists`` (no table rebuild, so
SQLite's FTS triggers and the rows that refer to tracks are untouched); for that reason
``trash_id`` has no foreign key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trash",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="track, album or playlist"),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True, comment="whose trash it is in"),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_trash_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by"],
            ["users.id"],
            name=op.f("fk_trash_deleted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trash")),
    )
    op.create_index("ix_trash_kind_target_id", "trash", ["kind", "target_id"], unique=True)
    op.create_index("ix_trash_owner_id_deleted_at", "trash", ["owner_id", "deleted_at", "id"])
    op.create_index("ix_trash_deleted_at", "trash", ["deleted_at", "id"])

    op.create_table(
        "shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, comment="URL-safe, >= 128 bits"),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="track, album or playlist"),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True, comment="argon2id"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_plays", sa.Integer(), nullable=True),
        sa.Column("allow_download", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("quality", sa.String(32), nullable=True, comment="a variant slug, or none"),
        sa.Column("visit_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("play_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_shares_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("key", name=op.f("uq_shares_key")),
    )
    op.create_index("ix_shares_owner_id_created_at", "shares", ["owner_id", "created_at", "id"])
    op.create_index("ix_shares_kind_target_id", "shares", ["kind", "target_id"])

    op.create_table(
        "purged_paths",
        sa.Column("path", sa.LargeBinary(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["purged_by"],
            ["users.id"],
            name=op.f("fk_purged_paths_purged_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_purged_paths")),
    )

    op.add_column(
        "tracks",
        sa.Column(
            "state",
            sa.String(16),
            nullable=False,
            server_default=sa.text("'available'"),
            comment="available, missing or trashed",
        ),
    )
    op.add_column(
        "tracks",
        sa.Column(
            "state_changed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when it went missing or to the trash",
        ),
    )
    op.add_column(
        "tracks",
        sa.Column(
            "trash_id",
            sa.Uuid(),
            nullable=True,
            comment="the trash entry (the track's own or its album's) holding it",
        ),
    )
    op.add_column(
        "tracks",
        sa.Column(
            "fingerprint",
            sa.String(64),
            nullable=True,
            comment="SHA-256 of the size and the file's first and last bytes",
        ),
    )
    # Partial: only the rows that are not available (see the model).
    op.create_index(
        "ix_tracks_gone",
        "tracks",
        ["state", "state_changed_at", "id"],
        sqlite_where=sa.text("state <> 'available'"),
        postgresql_where=sa.text("state <> 'available'"),
    )
    op.create_index(op.f("ix_tracks_trash_id"), "tracks", ["trash_id"])
    op.create_index(op.f("ix_tracks_fingerprint"), "tracks", ["fingerprint"])
    op.add_column(
        "albums",
        sa.Column(
            "is_available",
            sa.Boolean(),
            nullable=False,
            server_default=sa.true(),
            comment="has a track that is available",
        ),
    )
    op.add_column(
        "playlists",
        sa.Column(
            "trash_id",
            sa.Uuid(),
            nullable=True,
            comment="the trash entry holding it (no foreign key, as on tracks)",
        ),
    )
    op.create_index(op.f("ix_playlists_trash_id"), "playlists", ["trash_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_playlists_trash_id"), table_name="playlists")
    op.drop_index(op.f("ix_tracks_fingerprint"), table_name="tracks")
    op.drop_index(op.f("ix_tracks_trash_id"), table_name="tracks")
    op.drop_index("ix_tracks_gone", table_name="tracks")
    # Dropped in place (SQLite 3.35+ can): a batch rebuild of tracks would drop the FTS
    # triggers and, with foreign keys on, cascade into every row that refers to tracks.
    op.execute("ALTER TABLE playlists DROP COLUMN trash_id")
    op.execute("ALTER TABLE albums DROP COLUMN is_available")
    for column in ("fingerprint", "trash_id", "state_changed_at", "state"):
        op.execute(f"ALTER TABLE tracks DROP COLUMN {column}")
    op.drop_table("purged_paths")
    op.drop_index("ix_shares_kind_target_id", table_name="shares")
    op.drop_index("ix_shares_owner_id_created_at", table_name="shares")
    op.drop_table("shares")
    op.drop_index("ix_trash_deleted_at", table_name="trash")
    op.drop_index("ix_trash_owner_id_deleted_at", table_name="trash")
    op.drop_index("ix_trash_kind_target_id", table_name="trash")
    op.drop_table("trash")
