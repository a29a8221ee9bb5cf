"""Uploaded originals in object storage: the key a track's file is stored under.

With ``TONEARM_STORAGE=s3`` an upload's original goes into the bucket under
``originals/<user>/<yyyy>/<mm>/<track id>.<ext>`` (``tonearm/storage/keys.py``) and its
row records that key; ``path`` keeps the same relative name (it stays unique, and the
local layout is the key without its namespace). Null: the file is under its origin's root,
as every track was before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(
            sa.Column(
                "storage_key",
                sa.String(512),
                nullable=True,
                comment="object-storage key of an upload's original; null: a file under its root",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("storage_key")
