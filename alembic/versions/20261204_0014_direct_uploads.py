"""Direct uploads into object storage: an ``uploads`` row may name an S3 multipart upload.

With ``TONEARM_STORAGE=s3`` the client PUTs parts straight to the bucket (presigned
UploadPart URLs) instead of PATCHing tonearm. The row then records the object's key while
it is assembled (``incoming/<user>/<upload>``, ``tonearm/storage/keys.py``), the multipart
upload's id and the part size the client was told; null for a tus upload, as every upload
was before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(
            sa.Column(
                "storage_key",
                sa.String(512),
                nullable=True,
                comment="a direct upload's object key while assembled; null: tus",
            )
        )
        batch.add_column(
            sa.Column(
                "multipart_id",
                sa.String(1024),
                nullable=True,
                comment="the storage's multipart upload id; null: tus",
            )
        )
        batch.add_column(
            sa.Column(
                "part_bytes",
                sa.BigInteger(),
                nullable=True,
                comment="the size of every part but the last; null: tus",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("part_bytes")
        batch.drop_column("multipart_id")
        batch.drop_column("storage_key")
