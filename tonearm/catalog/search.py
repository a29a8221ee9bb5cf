"""Full-text search conditions over ``search_text`` of tracks, albums and artists.

User input is reduced to folded words with ``catalog.text.search_words`` (the same folding
the scanner stored), so it can never carry FTS syntax; each word becomes a prefix term and
all must match. Each searchable table has the same two indexes (migrations 0001 and 0005):
on SQLite an FTS5 table ``<table>_fts`` over ``search_text`` with ``row_id`` as its rowid;
on PostgreSQL a GIN index on ``to_tsvector('simple', search_text)``, which the condition
repeats exactly, with the configuration written as a literal, since a bound parameter
would keep the planner from matching the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnClause,
    ColumnElement,
    TableClause,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from tonearm.catalog.text import search_words
from tonearm.db.models import AlbumRecord, ArtistRecord, Base, TrackRecord

# Longer than any title a person types; keeps a pasted novel from becoming a huge FTS query.
MAX_SEARCH_LENGTH = 200

_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """The full-text index of one table: its FTS5 table and the columns it covers."""

    fts: TableClause
    row_id: InstrumentedAttribute[int]
    search_text: InstrumentedAttribute[str]


def _index(model: type[TrackRecord | AlbumRecord | ArtistRecord]) -> SearchIndex:
    fts = table(f"{model.__tablename__}_fts", column("rowid"))
    return SearchIndex(fts, model.row_id, model.search_text)


SEARCH_INDEXES: dict[type[Base], SearchIndex] = {
    model: _index(model) for model in (TrackRecord, AlbumRecord, ArtistRecord)
}


def search_terms(search: str | None) -> list[str]:
    """The words a search matches by; empty means "no search"."""
    return search_words(search) if search else []


def search_condition(
    words: list[str], dialect: Dialect, model: type[Base] = TrackRecord
) -> ColumnElement[bool]:
    """Rows of ``model`` whose search text has a word starting with each of ``words``.

    Tracks are found by title, artist, album and album artist; albums by title, credit and
    album artists; artists by name.
    """
    index = SEARCH_INDEXES[model]
    if dialect.name == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        vector = func.to_tsvector(_SIMPLE, index.search_text)
        return vector.op("@@", return_type=Boolean)(func.to_tsquery(_SIMPLE, literal(tsquery)))
    match = " AND ".join(f'"{word}"*' for word in words)
    matching = select(index.fts.c.rowid).where(
        text(f"{index.fts.name} MATCH :fts_query").bindparams(fts_query=match)
    )
    return index.row_id.in_(matching)


def search_filters(
    dialect: Dialect, search: str | None, model: type[Base] = TrackRecord
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a search on ``model`` (none when it has no words)."""
    words = search_terms(search)
    return [search_condition(words, dialect, model)] if words else []
