"""Transcoded variants of tracks: ``track_variants``.

One row per variant a track has (or had) made: format, container, bitrate, state
(``pending``, ``ready``, ``failed`` with a reason), size, duration, content hash, the source
file's size and mtime it was made from, and when it was created, changed and last served.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "track_variants",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "track_id",
            sa.Uuid(),
            sa.ForeignKey(
                "tracks.id", ondelete="CASCADE", name="fk_track_variants_track_id_tracks"
            ),
            nullable=False,
        ),
        sa.Column(
            "format", sa.String(16), nullable=False, comment="catalog.formats.AudioFormat value"
        ),
        sa.Column("container", sa.String(16), nullable=False),
        sa.Column("bitrate_kbps", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, comment="pending, ready or failed"),
        sa.Column("failure_reason", sa.String(1000), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True, comment="SHA-256 of the file"),
        sa.Column("source_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("source_mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_track_variants"),
        sa.UniqueConstraint(
            "track_id",
            "format",
            "bitrate_kbps",
            name="uq_track_variants_track_id_format_bitrate_kbps",
        ),
    )
    op.create_index("ix_track_variants_state_updated_at", "track_variants", ["state", "updated_at"])
    op.create_index("ix_track_variants_last_used_at", "track_variants", ["last_used_at"])


def downgrade() -> None:
    op.drop_index("ix_track_variants_last_used_at", table_name="track_variants")
    op.drop_index("ix_track_variants_state_updated_at", table_name="track_variants")
    op.drop_table("track_variants")
