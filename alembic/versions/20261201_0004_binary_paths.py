"""Store track paths as the exact bytes of their names on disk.

A file name that is not valid UTF-8 (a Latin-1 name from an old Windows or FAT drive) cannot
be stored as text; ``tracks.path`` becomes binary (``bytea`` / ``BLOB``) and existing paths
become their UTF-8 bytes, which is exactly what they are on disk.

SQLite cannot change a column's type in place: batch mode rebuilds the table (keeping every
``row_id``, which the FTS5 index refers to), and dropping the old table drops the FTS5
triggers with it, so they are created again and the index is rebuilt.

Downgrade: a text column cannot hold a name that is not UTF-8, and the old scanner could not
register one either, so those rows are removed; every other path becomes text again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COMMENT = "POSIX, relative"
BYTES_COMMENT = "relative, POSIX; the exact bytes of the name"

# The triggers of 0001, verbatim: the table rebuild drops them.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER tracks_fts_ai AFTER INSERT ON tracks BEGIN
           INSERT INTO tracks_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
       END""",
    """CREATE TRIGGER tracks_fts_ad AFTER DELETE ON tracks BEGIN
           INSERT INTO tracks_fts(tracks_fts, rowid, search_text)
           VALUES ('delete', old.row_id, old.search_text);
       END""",
    """CREATE TRIGGER tracks_fts_au AFTER UPDATE OF search_text ON tracks BEGIN
           INSERT INTO tracks_fts(tracks_fts, rowid, search_text)
           VALUES ('delete', old.row_id, old.search_text);
           INSERT INTO tracks_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
       END""",
]


def _is_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _rebuild_sqlite_table(
    from_type: sa.types.TypeEngine[object], to_type: sa.types.TypeEngine[object]
) -> None:
    for name in ("tracks_fts_ai", "tracks_fts_ad", "tracks_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # The copy casts the column: CAST(text AS BLOB) is its UTF-8 bytes, and back.
    with op.batch_alter_table("tracks", recreate="always") as batch:
        batch.alter_column("path", type_=to_type, existing_type=from_type, existing_nullable=False)
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO tracks_fts(tracks_fts) VALUES ('rebuild')")


def upgrade() -> None:
    if _is_sqlite():
        _rebuild_sqlite_table(sa.String(length=4096), sa.LargeBinary())
        return
    op.alter_column(
        "tracks",
        "path",
        type_=sa.LargeBinary(),
        existing_type=sa.String(length=4096),
        existing_nullable=False,
        postgresql_using="convert_to(path, 'UTF8')",
        comment=BYTES_COMMENT,
        existing_comment=TEXT_COMMENT,
    )


def _remove_rows_without_utf8_paths() -> None:
    bind = op.get_bind()
    unrepresentable = []
    for row_id, path in bind.execute(sa.text("SELECT row_id, path FROM tracks")):
        try:
            bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            unrepresentable.append(row_id)
    statement = sa.text("DELETE FROM tracks WHERE row_id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    for start in range(0, len(unrepresentable), 500):
        bind.execute(statement, {"ids": unrepresentable[start : start + 500]})


def downgrade() -> None:
    _remove_rows_without_utf8_paths()
    if _is_sqlite():
        _rebuild_sqlite_table(sa.LargeBinary(), sa.String(length=4096))
        return
    op.alter_column(
        "tracks",
        "path",
        type_=sa.String(length=4096),
        existing_type=sa.LargeBinary(),
        existing_nullable=False,
        postgresql_using="convert_from(path, 'UTF8')",
        comment=TEXT_COMMENT,
        existing_comment=BYTES_COMMENT,
    )
