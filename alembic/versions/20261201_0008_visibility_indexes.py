"""Indexes that keep counting what a viewer may see as cheap as counting everything.

A count of the tracks (or albums) a viewer sees is the count of all of them minus the hidden
ones: unpublished tracks without a role for the viewer, albums without a published track.
These indexes make the hidden part a range over the few unpublished rows (none at all in
most libraries) instead of a scan of the table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_tracks_is_published"), "tracks", ["is_published"])
    op.create_index(op.f("ix_albums_track_count"), "albums", ["track_count"])


def downgrade() -> None:
    op.drop_index(op.f("ix_albums_track_count"), table_name="albums")
    op.drop_index(op.f("ix_tracks_is_published"), table_name="tracks")
