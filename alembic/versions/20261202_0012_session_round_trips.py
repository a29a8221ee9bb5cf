"""Listening sessions: each member's last reported round trip for the start being prepared.

The scheduled start of a session's playback lies ahead by the slowest member's round trip
× 1.5 + 150 ms; the worker that runs the ready deadline may not be the one that heard the
reports, so the round trip is stored with the member's ready report.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_members") as batch:
        batch.add_column(
            sa.Column(
                "round_trip_ms",
                sa.Float(),
                nullable=True,
                comment="round trip reported with the last ready report (ms)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("session_members") as batch:
        batch.drop_column("round_trip_ms")
