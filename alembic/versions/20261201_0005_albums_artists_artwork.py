"""Albums, artists, their links to tracks, cover artwork, and the tags they come from.

New tables: ``artworks`` (a source image by its SHA-256 and the thumbnail sizes made),
``artists``, ``albums``, ``album_artists`` and ``track_artists`` (links with a role and the
credit order). ``tracks`` gains the codec, bit depth, disc subtitle, composer, genres,
compilation flag, MusicBrainz ids, the split artist names, the album it belongs to and the
kind of embedded picture. Albums and artists are searched like tracks: an FTS5 table with
triggers on SQLite, a GIN expression index on PostgreSQL.

Existing tracks were read by a scanner that knew none of these tags, so their stored mtime
is reset: the next scan reads every file again (same path, same id) and builds the albums.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SORT_KEY = sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")
SEARCHED = ("albums", "artists")


def _sqlite_search(table: str) -> list[str]:
    return [
        f"""CREATE VIRTUAL TABLE {table}_fts USING fts5(
               search_text, content='{table}', content_rowid='row_id',
               tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')""",
        f"""CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN
               INSERT INTO {table}_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
           END""",
        f"""CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN
               INSERT INTO {table}_fts({table}_fts, rowid, search_text)
               VALUES ('delete', old.row_id, old.search_text);
           END""",
        f"""CREATE TRIGGER {table}_fts_au AFTER UPDATE OF search_text ON {table} BEGIN
               INSERT INTO {table}_fts({table}_fts, rowid, search_text)
               VALUES ('delete', old.row_id, old.search_text);
               INSERT INTO {table}_fts(rowid, search_text) VALUES (new.row_id, new.search_text);
           END""",
    ]


# The triggers of 0001, verbatim: a rebuild of ``tracks`` drops them.
TRACK_TRIGGERS = [
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


def _rebuild_sqlite_tracks(*, add_album_link: bool) -> None:
    """SQLite cannot add or drop a column with a foreign key in place: rebuild ``tracks``.

    The rebuild keeps every ``row_id`` (the FTS5 index refers to them) and drops the FTS
    triggers with the old table, so they are created again and the index rebuilt.
    """
    for name in ("tracks_fts_ai", "tracks_fts_ad", "tracks_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("tracks", recreate="always") as batch:
        if add_album_link:
            batch.add_column(sa.Column("album_id", sa.Uuid(), nullable=True))
            batch.create_foreign_key(
                op.f("fk_tracks_album_id_albums"),
                "albums",
                ["album_id"],
                ["id"],
                ondelete="SET NULL",
            )
        else:
            batch.drop_constraint(op.f("fk_tracks_album_id_albums"), type_="foreignkey")
            batch.drop_column("album_id")
    for statement in TRACK_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO tracks_fts(tracks_fts) VALUES ('rebuild')")


def _is_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "artworks",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sizes", sa.JSON(), nullable=False, comment="edge lengths made, ascending"),
        sa.Column("color", sa.String(length=7), nullable=False, comment="#rrggbb placeholder"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_artworks")),
    )
    op.create_table(
        "artists",
        sa.Column("row_id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("name_key", SORT_KEY, nullable=False),
        sa.Column("sort_name", SORT_KEY, nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("album_count", sa.Integer(), nullable=False),
        sa.Column("track_count", sa.Integer(), nullable=False),
        sa.Column("artwork_hash", sa.String(length=64), nullable=True),
        sa.Column("artwork_source", sa.LargeBinary(), nullable=True),
        sa.Column("artwork_stamp", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artwork_hash"],
            ["artworks.hash"],
            name=op.f("fk_artists_artwork_hash_artworks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_artists")),
        sa.UniqueConstraint("id", name=op.f("uq_artists_id")),
        sa.UniqueConstraint("name_key", name=op.f("uq_artists_name_key")),
    )
    op.create_index(op.f("ix_artists_sort_name"), "artists", ["sort_name", "id"])
    op.create_table(
        "albums",
        sa.Column("row_id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False, comment="SHA-256 hex"),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("artist_credit", sa.String(length=1024), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("is_compilation", sa.Boolean(), nullable=False),
        sa.Column("musicbrainz_album_id", sa.String(length=36), nullable=True),
        sa.Column("disc_count", sa.Integer(), nullable=False),
        sa.Column("track_count", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("sort_title", SORT_KEY, nullable=False),
        sa.Column("sort_artist", SORT_KEY, nullable=False),
        sa.Column("sort_year", SORT_KEY, nullable=False),
        sa.Column("artwork_hash", sa.String(length=64), nullable=True),
        sa.Column("artwork_source", sa.LargeBinary(), nullable=True),
        sa.Column("artwork_stamp", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artwork_hash"],
            ["artworks.hash"],
            name=op.f("fk_albums_artwork_hash_artworks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_albums")),
        sa.UniqueConstraint("id", name=op.f("uq_albums_id")),
        sa.UniqueConstraint("identity", name=op.f("uq_albums_identity")),
    )
    for name, columns in (
        ("ix_albums_sort_title", ["sort_title", "id"]),
        ("ix_albums_sort_artist", ["sort_artist", "id"]),
        ("ix_albums_sort_year", ["sort_year", "id"]),
        ("ix_albums_created_at", ["created_at", "id"]),
    ):
        op.create_index(op.f(name), "albums", columns)
    for table, owner in (("album_artists", "albums"), ("track_artists", "tracks")):
        owner_column = "album_id" if owner == "albums" else "track_id"
        op.create_table(
            table,
            sa.Column(owner_column, sa.Uuid(), nullable=False),
            sa.Column("artist_id", sa.Uuid(), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                [owner_column],
                [f"{owner}.id"],
                name=op.f(f"fk_{table}_{owner_column}_{owner}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["artist_id"],
                ["artists.id"],
                name=op.f(f"fk_{table}_artist_id_artists"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(owner_column, "artist_id", "role", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_artist_id"), table, ["artist_id"])

    json_list = {"nullable": False, "server_default": sa.text("'[]'")}
    new_columns = [
        sa.Column(
            "format",
            sa.String(length=16),
            nullable=False,
            server_default=sa.text("'mp3'"),
            comment="catalog.formats.AudioFormat value",
        ),
        sa.Column("bit_depth", sa.Integer(), nullable=True),
        sa.Column("disc_subtitle", sa.String(length=1024), nullable=True),
        sa.Column("composer", sa.String(length=1024), nullable=True),
        sa.Column("genres", sa.JSON(), **json_list),
        sa.Column("is_compilation", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("musicbrainz_album_id", sa.String(length=36), nullable=True),
        sa.Column("musicbrainz_track_id", sa.String(length=36), nullable=True),
        sa.Column("artist_names", sa.JSON(), **json_list),
        sa.Column("featured_artist_names", sa.JSON(), **json_list),
        sa.Column("album_artist_names", sa.JSON(), **json_list),
        sa.Column("album_group", sa.String(length=64), nullable=True),
        sa.Column(
            "picture",
            sa.String(length=8),
            nullable=True,
            comment="best embedded picture: front, other or none",
        ),
    ]
    for column in new_columns:
        op.add_column("tracks", column)
    if _is_sqlite():
        _rebuild_sqlite_tracks(add_album_link=True)
    else:
        op.add_column("tracks", sa.Column("album_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f("fk_tracks_album_id_albums"),
            "tracks",
            "albums",
            ["album_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(op.f("ix_tracks_album_id"), "tracks", ["album_id"])
    op.create_index(op.f("ix_tracks_album_group"), "tracks", ["album_group"])
    op.create_index(op.f("ix_tracks_musicbrainz_track_id"), "tracks", ["musicbrainz_track_id"])
    for table in SEARCHED:
        if _is_sqlite():
            for statement in _sqlite_search(table):
                op.execute(statement)
        else:
            op.execute(
                f"CREATE INDEX ix_{table}_search_vector ON {table} "
                "USING gin (to_tsvector('simple'::regconfig, search_text))"
            )
    op.execute("UPDATE tracks SET mtime_ns = -1")


def downgrade() -> None:
    for table in SEARCHED:
        if _is_sqlite():
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
    op.drop_index(op.f("ix_tracks_musicbrainz_track_id"), table_name="tracks")
    op.drop_index(op.f("ix_tracks_album_group"), table_name="tracks")
    op.drop_index(op.f("ix_tracks_album_id"), table_name="tracks")
    if _is_sqlite():
        _rebuild_sqlite_tracks(add_album_link=False)
    else:
        op.drop_constraint(op.f("fk_tracks_album_id_albums"), "tracks", type_="foreignkey")
        op.drop_column("tracks", "album_id")
    for name in (
        "picture",
        "album_group",
        "album_artist_names",
        "featured_artist_names",
        "artist_names",
        "musicbrainz_track_id",
        "musicbrainz_album_id",
        "is_compilation",
        "genres",
        "composer",
        "disc_subtitle",
        "bit_depth",
        "format",
    ):
        op.drop_column("tracks", name)
    op.drop_table("track_artists")
    op.drop_table("album_artists")
    op.drop_table("albums")
    op.drop_table("artists")
    op.drop_table("artworks")
    # The old scanner reads every file again on its next scan (nothing it knew was lost).
    op.execute("UPDATE tracks SET mtime_ns = -1")
