"""Plays indexed by (track_id, started_at), replacing the index on track_id alone.

``topTracks(period, EVERYONE)`` counts each played track's plays in the period with a range
of this index instead of grouping every play of the period (measured over 1,000,000 plays,
~82,000 in a month: see ``benchmarks/social.py``). Its prefix still serves what the index
on ``track_id`` did (a track's plays, the cascade when a track goes).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace ``ix_plays_track_id`` with ``ix_plays_track_id_started_at``."""
    op.create_index("ix_plays_track_id_started_at", "plays", ["track_id", "started_at"])
    op.drop_index("ix_plays_track_id", table_name="plays")


def downgrade() -> None:
    """Back to the index on ``track_id`` alone."""
    op.create_index("ix_plays_track_id", "plays", ["track_id"])
    op.drop_index("ix_plays_track_id_started_at", table_name="plays")
