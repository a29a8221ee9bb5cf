"""Listening sessions: sessions, members, queue items, requests and the event log.

- ``listening_sessions``: the host, the invite code, the settings and the server's playback
  state (track, position at a server time in ms, paused/waiting/playing, the start epoch)
  with the last event's ``sequence``.
- ``session_members``: signed-in users and anonymous guests (a token's SHA-256).
- ``session_queue_items``: the shared queue, with sparse positions as playlist items have.
- ``session_requests``: guests' requests and the host's decisions.
- ``session_events``: every event by (session, sequence), so a reconnect resumes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listening_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("invite_code", sa.String(64), nullable=False, comment=">= 128 bits"),
        sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "allow_anonymous_guests", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        sa.Column("allow_takeover", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column(
            "request_limit",
            sa.Integer(),
            nullable=False,
            server_default=sa.text("3"),
            comment="open requests per guest",
        ),
        sa.Column(
            "status",
            sa.String(16),
            nullable=False,
            server_default=sa.text("'active'"),
            comment="active or ended",
        ),
        sa.Column("current_item_id", sa.Uuid(), nullable=True, comment="a queue item"),
        sa.Column("track_id", sa.Uuid(), nullable=True),
        sa.Column(
            "variant",
            sa.String(32),
            nullable=True,
            comment="the variant slug everyone plays; null: the original",
        ),
        sa.Column(
            "playback_status", sa.String(16), nullable=False, server_default=sa.text("'paused'")
        ),
        sa.Column("position_seconds", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("position_at_ms", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("ready_deadline_ms", sa.BigInteger(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("sequence", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["users.id"],
            name=op.f("fk_listening_sessions_host_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_listening_sessions_track_id_tracks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_sessions")),
        sa.UniqueConstraint("invite_code", name=op.f("uq_listening_sessions_invite_code")),
    )
    op.create_index(op.f("ix_listening_sessions_host_id"), "listening_sessions", ["host_id"])
    op.create_index(
        "ix_listening_sessions_status", "listening_sessions", ["status", "last_activity_at"]
    )

    op.create_table(
        "session_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, comment="host, cohost or guest"),
        sa.Column("guest_token_hash", sa.String(64), nullable=True),
        sa.Column(
            "playable",
            sa.String(255),
            nullable=True,
            comment="audio formats the member's player declared, comma-separated",
        ),
        sa.Column("ready_epoch", sa.Integer(), nullable=False, server_default=sa.text("-1")),
        sa.Column("sync_state", sa.String(16), nullable=True, comment="in_sync or catching_up"),
        sa.Column("offset_ms", sa.Float(), nullable=True, comment="last reported playback error"),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_session_members_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_members")),
        sa.UniqueConstraint("guest_token_hash", name=op.f("uq_session_members_guest_token_hash")),
    )
    op.create_index(op.f("ix_session_members_user_id"), "session_members", ["user_id"])
    op.create_index(
        "ix_session_members_session_id", "session_members", ["session_id", "joined_at", "id"]
    )
    op.create_index(
        "ix_session_members_session_id_user_id",
        "session_members",
        ["session_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("user_id IS NOT NULL"),
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )

    op.create_table(
        "session_queue_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("request_id", sa.Uuid(), nullable=True, comment="the approved request"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_session_queue_items_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_session_queue_items_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["session_members.id"],
            name=op.f("fk_session_queue_items_added_by_session_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_queue_items")),
    )
    op.create_index(op.f("ix_session_queue_items_track_id"), "session_queue_items", ["track_id"])
    op.create_index(
        "ix_session_queue_items_session_id_position",
        "session_queue_items",
        ["session_id", "position"],
        unique=True,
    )

    op.create_table(
        "session_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, comment="pending, approved or declined"),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_session_requests_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["session_members.id"],
            name=op.f("fk_session_requests_member_id_session_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_session_requests_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["session_members.id"],
            name=op.f("fk_session_requests_decided_by_session_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_requests")),
    )
    op.create_index(op.f("ix_session_requests_member_id"), "session_requests", ["member_id"])
    op.create_index(op.f("ix_session_requests_track_id"), "session_requests", ["track_id"])
    op.create_index(
        "ix_session_requests_session_id", "session_requests", ["session_id", "created_at", "id"]
    )

    op.create_table(
        "session_events",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.String(16),
            nullable=False,
            comment="PLAYBACK, QUEUE, REQUEST, MEMBERS, ENDED",
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_session_events_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "sequence", name=op.f("pk_session_events")),
    )


def downgrade() -> None:
    op.drop_table("session_events")
    op.drop_index("ix_session_requests_session_id", table_name="session_requests")
    op.drop_index(op.f("ix_session_requests_track_id"), table_name="session_requests")
    op.drop_index(op.f("ix_session_requests_member_id"), table_name="session_requests")
    op.drop_table("session_requests")
    op.drop_index("ix_session_queue_items_session_id_position", table_name="session_queue_items")
    op.drop_index(op.f("ix_session_queue_items_track_id"), table_name="session_queue_items")
    op.drop_table("session_queue_items")
    op.drop_index("ix_session_members_session_id_user_id", table_name="session_members")
    op.drop_index("ix_session_members_session_id", table_name="session_members")
    op.drop_index(op.f("ix_session_members_user_id"), table_name="session_members")
    op.drop_table("session_members")
    op.drop_index("ix_listening_sessions_status", table_name="listening_sessions")
    op.drop_index(op.f("ix_listening_sessions_host_id"), table_name="listening_sessions")
    op.drop_table("listening_sessions")
