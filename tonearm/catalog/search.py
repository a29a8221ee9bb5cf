"""Full-text search conditions over ``tracks.search_text``, one per database.

User input is reduced to folded words with ``catalog.text.search_words`` (the same folding
the scanner stored), so it can never carry FTS syntax; each word becomes a prefix term and
all must match. SQLite asks the FTS5 table ``tracks_fts``; PostgreSQL uses an expression
identical to the GIN index's, with the configuration written as a literal, since a bound
parameter would keep the planner from matching the index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnClause,
    ColumnElement,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.engine import Dialect

from tonearm.catalog.text import search_words
from tonearm.db.models import TrackRecord

# Longer than any title a person types; keeps a pasted novel from becoming a huge FTS query.
MAX_SEARCH_LENGTH = 200

_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")
_FTS = table("tracks_fts", column("rowid"))


def search_terms(search: str | None) -> list[str]:
    """The words a search matches by; empty means "no search"."""
    return search_words(search) if search else []


def search_condition(words: list[str], dialect: Dialect) -> ColumnElement[bool]:
    """Rows whose title, artist, album or album artist has a word starting with each word."""
    if dialect.name == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        vector = func.to_tsvector(_SIMPLE, TrackRecord.search_text)
        return vector.op("@@", return_type=Boolean)(func.to_tsquery(_SIMPLE, literal(tsquery)))
    match = " AND ".join(f'"{word}"*' for word in words)
    matching = select(_FTS.c.rowid).where(
        text("tracks_fts MATCH :fts_query").bindparams(fts_query=match)
    )
    return TrackRecord.row_id.in_(matching)
