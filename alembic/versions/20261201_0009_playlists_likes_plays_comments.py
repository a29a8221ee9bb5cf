"""Playlists, likes, play history and comments.

- ``playlists``: a user's static or smart playlist, or the server's read from an M3U file in
  the media root; ``playlist_items`` with sparse positions (a move rewrites one row);
  ``playlist_collaborators``: who may add to and reorder a collaborative playlist.
- ``likes``: per user, of a track, album, artist or playlist.
- ``plays``: each counted play a client reported; ``play_counts``: per user and track;
  ``tracks.play_count`` and ``tracks.popularity`` (plays and likes, decayed over time, as a
  sum that orders tracks the same at any moment).
- ``comments`` on tracks and albums.

Columns are only added to ``tracks`` (no table rebuild), so SQLite's FTS triggers and the
rows that refer to tracks are untouched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="track or album"),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index("ix_comments_author_id_created_at", "comments", ["author_id", "created_at"])
    op.create_index(
        "ix_comments_kind_target_id", "comments", ["kind", "target_id", "created_at", "id"]
    )

    op.create_table(
        "likes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind", sa.String(length=16), nullable=False, comment="track, album, artist or playlist"
        ),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_likes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "target_id", name=op.f("pk_likes")),
    )
    op.create_index("ix_likes_kind_target_id", "likes", ["kind", "target_id"])
    op.create_index(
        "ix_likes_user_id_kind_created_at", "likes", ["user_id", "kind", "created_at", "target_id"]
    )

    op.create_table(
        "playlists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True, comment="null: the server's (a file)"),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="static, smart or file"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_collaborative", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=True, comment="a smart playlist's"),
        sa.Column(
            "source_path",
            sa.LargeBinary(),
            nullable=True,
            comment="an M3U file's path in the media root",
        ),
        sa.Column(
            "source_stamp", sa.String(length=64), nullable=True, comment="its size and mtime"
        ),
        sa.Column("artwork_hash", sa.String(length=64), nullable=True),
        sa.Column("mosaic_hash", sa.String(length=64), nullable=True),
        sa.Column("mosaic_key", sa.String(length=64), nullable=True),
        sa.Column(
            "sort_name",
            sa.String(length=1024).with_variant(
                sa.String(length=1024, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artwork_hash"],
            ["artworks.hash"],
            name=op.f("fk_playlists_artwork_hash_artworks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mosaic_hash"],
            ["artworks.hash"],
            name=op.f("fk_playlists_mosaic_hash_artworks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_playlists_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlists")),
        sa.UniqueConstraint("source_path", name=op.f("uq_playlists_source_path")),
    )
    op.create_index("ix_playlists_is_public", "playlists", ["is_public", "sort_name", "id"])
    op.create_index("ix_playlists_owner_id", "playlists", ["owner_id", "sort_name", "id"])

    op.create_table(
        "playlist_collaborators",
        sa.Column("playlist_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_collaborators_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_playlist_collaborators_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playlist_id", "user_id", name=op.f("pk_playlist_collaborators")),
    )
    op.create_index(
        op.f("ix_playlist_collaborators_user_id"), "playlist_collaborators", ["user_id"]
    )

    op.create_table(
        "play_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("play_count", sa.Integer(), nullable=False),
        sa.Column("last_played_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_play_counts_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_play_counts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "track_id", name=op.f("pk_play_counts")),
    )
    op.create_index(op.f("ix_play_counts_track_id"), "play_counts", ["track_id"])
    op.create_index(
        "ix_play_counts_user_id_last_played_at", "play_counts", ["user_id", "last_played_at"]
    )

    op.create_table(
        "playlist_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("playlist_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_playlist_items_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_items_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_playlist_items_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlist_items")),
    )
    op.create_index(op.f("ix_playlist_items_added_by"), "playlist_items", ["added_by"])
    op.create_index(
        "ix_playlist_items_playlist_id_position",
        "playlist_items",
        ["playlist_id", "position"],
        unique=True,
    )
    op.create_index(op.f("ix_playlist_items_track_id"), "playlist_items", ["track_id"])

    op.create_table(
        "plays",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("played_seconds", sa.Double(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_plays_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_plays_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plays")),
    )
    op.create_index("ix_plays_started_at", "plays", ["started_at", "track_id"])
    op.create_index("ix_plays_track_id", "plays", ["track_id"])
    op.create_index("ix_plays_user_id_started_at", "plays", ["user_id", "started_at", "track_id"])

    op.add_column(
        "tracks", sa.Column("play_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column(
        "tracks",
        sa.Column(
            "popularity",
            sa.Double(),
            server_default=sa.text("0"),
            nullable=False,
            comment="sum of plays and likes, each weighted 2^((t - epoch) / half-life)",
        ),
    )
    op.create_index("ix_tracks_popularity", "tracks", ["popularity", "id"])


def downgrade() -> None:
    op.drop_index("ix_tracks_popularity", table_name="tracks")
    # Dropped in place (SQLite 3.35+ can): a batch rebuild of tracks would drop the FTS
    # triggers and, with foreign keys on, cascade into every row that refers to tracks.
    op.execute("ALTER TABLE tracks DROP COLUMN popularity")
    op.execute("ALTER TABLE tracks DROP COLUMN play_count")

    op.drop_index("ix_plays_user_id_started_at", table_name="plays")
    op.drop_index("ix_plays_track_id", table_name="plays")
    op.drop_index("ix_plays_started_at", table_name="plays")

    op.drop_table("plays")
    op.drop_index(op.f("ix_playlist_items_track_id"), table_name="playlist_items")
    op.drop_index("ix_playlist_items_playlist_id_position", table_name="playlist_items")
    op.drop_index(op.f("ix_playlist_items_added_by"), table_name="playlist_items")

    op.drop_table("playlist_items")
    op.drop_index("ix_play_counts_user_id_last_played_at", table_name="play_counts")
    op.drop_index(op.f("ix_play_counts_track_id"), table_name="play_counts")

    op.drop_table("play_counts")
    op.drop_index(op.f("ix_playlist_collaborators_user_id"), table_name="playlist_collaborators")

    op.drop_table("playlist_collaborators")
    op.drop_index("ix_playlists_owner_id", table_name="playlists")
    op.drop_index("ix_playlists_is_public", table_name="playlists")

    op.drop_table("playlists")
    op.drop_index("ix_likes_user_id_kind_created_at", table_name="likes")
    op.drop_index("ix_likes_kind_target_id", table_name="likes")

    op.drop_table("likes")
    op.drop_index("ix_comments_kind_target_id", table_name="comments")
    op.drop_index("ix_comments_author_id_created_at", table_name="comments")

    op.drop_table("comments")
