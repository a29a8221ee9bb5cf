"""Failed sign-ins shared by every worker, and the one-time-password flag on users.

``login_failures`` replaces the per-process failed-login counter: one row per failed
attempt and key (a SHA-256 of ``user:<name>`` or ``addr:<ip>``), pruned after the window.
``users.must_change_password`` marks an account whose password an admin handed out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        op.f("ix_login_failures_key_hash"), "login_failures", ["key_hash", "failed_at"]
    )
    op.create_index(op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"])
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35): a batch rebuild of ``users`` would cascade-delete
    # every session and token through the foreign keys.
    op.drop_column("users", "must_change_password")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_key_hash"), table_name="login_failures")
    op.drop_table("login_failures")
