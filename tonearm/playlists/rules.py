"""Smart playlist rules: parse and validate the stored JSON, compile it to one SELECT.

A rule set is ``{"match": "ALL"|"ANY", "rules": [{"field", "operator", "value"}, …],
"orderBy": <SmartOrder>, "orderPeriodDays": int|null, "limit": int|null}``, the shape of
the GraphQL ``SmartRulesInput``, stored as it is in ``playlists.rules``. ``parse_rules``
checks it completely (``InvalidSmartRules`` names the rule index and field);
``smart_tracks`` compiles it to a SELECT over ``tracks`` with the *owner's* likes and plays
and the *reader's* track visibility, written with portable SQL only (plus the one JSON
array function each database has for ``genre``), so it runs on SQLite and PostgreSQL.

Text operators compare case-insensitively (``lower()`` on both sides); SQLite's
``lower()`` folds ASCII letters only, so accented capitals match on PostgreSQL alone.
``MOST_PLAYED`` and ``RECENTLY_PLAYED`` list only tracks the owner has played (within
``orderPeriodDays`` for ``MOST_PLAYED`` when given).
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from tonearm.catalog.access import Reader, track_visible
from tonearm.catalog.pagination import ORDERS, OrderSpec, SmartOrder, SortColumn
from tonearm.db.models import LikeRecord, PlayCountRecord, PlayRecord, TrackRecord, UTCDateTime

MAX_LIMIT = 10_000
MAX_RULES = 50
MAX_DAYS = 36_500
MAX_TEXT = 1_000


class SmartMatch(enum.Enum):
    """Whether every rule must hold, or any one."""

    ALL = "ALL"
    ANY = "ANY"


class InvalidSmartRules(ValueError):
    """A rule set that cannot be evaluated; ``rule_index``/``field`` say where."""

    def __init__(self, message: str, *, rule_index: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule_index = rule_index
        self.field = field


class ValueType(enum.Enum):
    """What a field holds, which decides its operators and values."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"


TEXT_OPERATORS = ("is", "isNot", "contains", "notContains", "startsWith")
NUMBER_OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "between")
DATE_OPERATORS = ("inTheLast", "notInTheLast", "before", "after")
BOOLEAN_OPERATORS = ("isTrue", "isFalse")
OPERATORS: dict[ValueType, tuple[str, ...]] = {
    ValueType.TEXT: TEXT_OPERATORS,
    ValueType.NUMBER: NUMBER_OPERATORS,
    ValueType.INTEGER: NUMBER_OPERATORS,
    ValueType.DATE: DATE_OPERATORS,
    ValueType.BOOLEAN: BOOLEAN_OPERATORS,
}

FIELDS: dict[str, ValueType] = {
    "title": ValueType.TEXT,
    "artist": ValueType.TEXT,
    "album": ValueType.TEXT,
    "albumArtist": ValueType.TEXT,
    "composer": ValueType.TEXT,
    "genre": ValueType.TEXT,
    "format": ValueType.TEXT,
    "year": ValueType.INTEGER,
    "durationSeconds": ValueType.NUMBER,
    "bitrate": ValueType.INTEGER,
    "playCount": ValueType.INTEGER,
    "popularity": ValueType.NUMBER,
    "addedAt": ValueType.DATE,
    "lastPlayedAt": ValueType.DATE,
    "liked": ValueType.BOOLEAN,
}
_TEXT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "title": TrackRecord.title,
    "artist": TrackRecord.artist,
    "album": TrackRecord.album,
    "albumArtist": TrackRecord.album_artist,
    "composer": TrackRecord.composer,
    "format": TrackRecord.format,
}


@dataclass(frozen=True, slots=True)
class SmartRule:
    """One checked rule: a field, an operator and a value of the right type."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class SmartRules:
    """A checked rule set."""

    match: SmartMatch
    rules: tuple[SmartRule, ...]
    order_by: SmartOrder
    order_period_days: int | None
    limit: int | None

    def to_json(self) -> dict[str, Any]:
        """What ``playlists.rules`` stores (``parse_rules`` reads it back)."""
        return {
            "match": self.match.value,
            "rules": [
                {"field": rule.field, "operator": rule.operator, "value": _stored(rule.value)}
                for rule in self.rules
            ],
            "orderBy": self.order_by.value,
            "orderPeriodDays": self.order_period_days,
            "limit": self.limit,
        }


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def parse_rules(raw: object) -> SmartRules:
    """The checked rules of ``raw`` (the stored JSON); ``InvalidSmartRules`` otherwise."""
    if not isinstance(raw, dict):
        raise InvalidSmartRules("Rules must be an object.")
    try:
        match = SmartMatch(raw.get("match", "ALL"))
    except ValueError:
        raise InvalidSmartRules("match must be ALL or ANY.", field="match") from None
    try:
        order_by = SmartOrder(raw.get("orderBy", "ARTIST"))
    except ValueError:
        raise InvalidSmartRules("Unknown orderBy.", field="orderBy") from None
    period = raw.get("orderPeriodDays")
    if period is not None:
        if not _is_int(period) or not 1 <= period <= MAX_DAYS:
            raise InvalidSmartRules(
                f"orderPeriodDays must be a whole number from 1 to {MAX_DAYS}.",
                field="orderPeriodDays",
            )
        if order_by is not SmartOrder.MOST_PLAYED:
            raise InvalidSmartRules(
                "orderPeriodDays applies to MOST_PLAYED only.", field="orderPeriodDays"
            )
    limit = raw.get("limit")
    if limit is not None and (not _is_int(limit) or not 1 <= limit <= MAX_LIMIT):
        raise InvalidSmartRules(f"limit must be from 1 to {MAX_LIMIT}.", field="limit")
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        raise InvalidSmartRules("rules must be a list.", field="rules")
    if len(rules) > MAX_RULES:
        raise InvalidSmartRules(f"At most {MAX_RULES} rules.", field="rules")
    checked = tuple(_parse_rule(index, rule) for index, rule in enumerate(rules))
    return SmartRules(match, checked, order_by, period, limit)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 2**53
    )


def _parse_rule(index: int, raw: object) -> SmartRule:
    if not isinstance(raw, dict):
        raise InvalidSmartRules("A rule must be an object.", rule_index=index)
    field, operator, value = raw.get("field"), raw.get("operator"), raw.get("value")
    if not isinstance(field, str) or field not in FIELDS:
        raise InvalidSmartRules(
            f"Unknown field {field!r}; known: {', '.join(FIELDS)}.",
            rule_index=index,
            field="field",
        )
    kind = FIELDS[field]
    if operator not in OPERATORS[kind]:
        raise InvalidSmartRules(
            f"Unknown operator {operator!r} for {field}; known: {', '.join(OPERATORS[kind])}.",
            rule_index=index,
            field="operator",
        )
    assert isinstance(operator, str)

    def bad(message: str) -> InvalidSmartRules:
        return InvalidSmartRules(f"{field} {operator}: {message}", rule_index=index, field="value")

    return SmartRule(field, operator, _parse_value(kind, operator, value, bad))


def _parse_value(  # noqa: PLR0912 - one branch per kind of value
    kind: ValueType, operator: str, value: object, bad: Callable[[str], InvalidSmartRules]
) -> Any:
    if kind is ValueType.BOOLEAN:
        if value is not None:
            raise bad("takes no value.")
        return None
    if kind is ValueType.TEXT:
        if not isinstance(value, str):
            raise bad("the value must be a string.")
        if not value or len(value) > MAX_TEXT:
            raise bad(f"the value must have 1 to {MAX_TEXT} characters.")
        return value
    if kind in {ValueType.NUMBER, ValueType.INTEGER}:
        check = _is_int if kind is ValueType.INTEGER else _is_number
        noun = "a whole number" if kind is ValueType.INTEGER else "a number"
        if operator == "between":
            if not (isinstance(value, list) and len(value) == 2 and all(map(check, value))):
                raise bad(f"the value must be two numbers [low, high], each {noun}.")
            low, high = value
            if low > high:
                raise bad("the range is empty: low is above high.")
            return (low, high)
        if not check(value):
            raise bad(f"the value must be {noun}.")
        return value
    if operator in {"inTheLast", "notInTheLast"}:
        if not _is_int(value) or not 1 <= value <= MAX_DAYS:  # type: ignore[operator]
            raise bad(f"the value must be a number of days from 1 to {MAX_DAYS}.")
        return value
    if not isinstance(value, str):
        raise bad("the value must be an ISO 8601 date or date-time.")
    return _moment(value, bad)


def _moment(value: str, bad: Callable[[str], InvalidSmartRules]) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad("the value must be an ISO 8601 date or date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- compiling ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compiled:
    """The rules as SQL: a subquery of ``track_id``, the order keys ``k0…`` and ``rn``
    (1-based rank), and the order spec over its columns."""

    subquery: Any
    spec: OrderSpec


def _like(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_condition(column: SortColumn, operator: str, value: str) -> ColumnElement[bool]:
    lowered = func.lower(column)
    if operator == "is":
        return lowered == value.lower()
    if operator == "isNot":
        return or_(column.is_(None), lowered != value.lower())
    if operator == "startsWith":
        return lowered.like(_like(value) + "%", escape="\\")
    pattern = "%" + _like(value) + "%"
    if operator == "contains":
        return lowered.like(pattern, escape="\\")
    return or_(column.is_(None), not_(lowered.like(pattern, escape="\\")))


def _genre_condition(dialect: Dialect, operator: str, value: str) -> ColumnElement[bool]:
    function = func.json_array_elements_text if dialect.name == "postgresql" else func.json_each
    elements = function(TrackRecord.genres).table_valued("value").alias("genre_value")
    genre = elements.c.value
    matching = exists(
        select(literal(1))
        .select_from(elements)
        .where(_text_condition(genre, _POSITIVE.get(operator, operator), value))
    )
    return not_(matching) if operator in _POSITIVE else matching


_POSITIVE = {"isNot": "is", "notContains": "contains"}


def _number_condition(column: SortColumn, operator: str, value: Any) -> ColumnElement[bool]:
    if operator == "between":
        return column.between(value[0], value[1])
    compare: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: column == value,
        "neq": lambda: column != value,
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
    }
    return compare[operator]()


def _date_condition(
    column: SortColumn, operator: str, value: Any, now: datetime
) -> ColumnElement[bool]:
    if operator in {"inTheLast", "notInTheLast"}:
        since = literal(now - timedelta(days=value), UTCDateTime())
        if operator == "inTheLast":
            return column >= since
        return or_(column.is_(None), column < since)
    moment = literal(value, UTCDateTime())
    return column < moment if operator == "before" else column > moment


def _owner_count(owner_id: uuid.UUID | None) -> ColumnElement[Any]:
    if owner_id is None:
        return literal(0)
    count = (
        select(PlayCountRecord.play_count)
        .where(PlayCountRecord.user_id == owner_id, PlayCountRecord.track_id == TrackRecord.id)
        .scalar_subquery()
    )
    return func.coalesce(count, 0)


def _owner_last_played(owner_id: uuid.UUID | None) -> ColumnElement[Any]:
    return (
        select(PlayCountRecord.last_played_at)
        .where(PlayCountRecord.user_id == owner_id, PlayCountRecord.track_id == TrackRecord.id)
        .scalar_subquery()
    )


def _owner_liked(owner_id: uuid.UUID | None) -> ColumnElement[bool]:
    if owner_id is None:
        return false()
    return exists().where(
        LikeRecord.user_id == owner_id,
        LikeRecord.kind == "track",
        LikeRecord.target_id == TrackRecord.id,
    )


def _condition(  # noqa: PLR0911 - one branch per kind of field
    rule: SmartRule, *, dialect: Dialect, owner_id: uuid.UUID | None, now: datetime
) -> ColumnElement[bool]:
    field, operator, value = rule.field, rule.operator, rule.value
    if field == "genre":
        return _genre_condition(dialect, operator, value)
    if field in _TEXT_COLUMNS:
        return _text_condition(_TEXT_COLUMNS[field], operator, value)
    if field == "liked":
        liked = _owner_liked(owner_id)
        return liked if operator == "isTrue" else not_(liked)
    if field == "addedAt":
        return _date_condition(TrackRecord.created_at, operator, value, now)
    if field == "lastPlayedAt":
        if owner_id is None:
            return true() if operator == "notInTheLast" else false()
        return _date_condition(_owner_last_played(owner_id), operator, value, now)
    numbers: dict[str, SortColumn] = {
        "year": TrackRecord.year,
        "durationSeconds": TrackRecord.duration_seconds,
        "bitrate": TrackRecord.bitrate,
        "popularity": TrackRecord.popularity,
    }
    column: SortColumn = numbers[field] if field in numbers else _owner_count(owner_id)
    return _number_condition(column, operator, value)


def _order_keys(  # noqa: PLR0911 - one branch per order
    rules: SmartRules, owner_id: uuid.UUID | None, now: datetime
) -> tuple[list[SortColumn], list[ColumnElement[bool]], Any]:
    """The key expressions of the order, extra WHERE clauses, and a join (or None)."""
    order = rules.order_by
    if order is SmartOrder.ARTIST:
        return [TrackRecord.sort_library], [], None
    if order is SmartOrder.TITLE:
        return [TrackRecord.sort_title], [], None
    if order is SmartOrder.RECENTLY_ADDED:
        return [TrackRecord.created_at], [], None
    if order is SmartOrder.YEAR:
        return [func.coalesce(TrackRecord.year, 0), TrackRecord.sort_library], [], None
    if order is SmartOrder.POPULAR:
        return [TrackRecord.popularity], [], None
    user = owner_id if owner_id is not None else uuid.UUID(int=0)
    if order is SmartOrder.RECENTLY_PLAYED:
        played = (
            select(
                PlayCountRecord.track_id.label("played_id"),
                PlayCountRecord.last_played_at.label("played_key"),
            )
            .where(PlayCountRecord.user_id == user)
            .subquery("played")
        )
        return [played.c.played_key], [], played
    if rules.order_period_days is None:
        played = (
            select(
                PlayCountRecord.track_id.label("played_id"),
                PlayCountRecord.play_count.label("played_key"),
            )
            .where(PlayCountRecord.user_id == user)
            .subquery("played")
        )
    else:
        since = literal(now - timedelta(days=rules.order_period_days), UTCDateTime())
        played = (
            select(
                PlayRecord.track_id.label("played_id"),
                func.count().label("played_key"),
            )
            .where(PlayRecord.user_id == user, PlayRecord.started_at >= since)
            .group_by(PlayRecord.track_id)
            .subquery("played")
        )
    return [played.c.played_key], [], played


def smart_tracks(
    rules: SmartRules,
    *,
    dialect: Dialect,
    owner_id: uuid.UUID | None,
    reader: Reader,
    now: datetime | None = None,
) -> Compiled:
    """The rules compiled: the tracks ``reader`` sees that match, ranked and limited."""
    moment = now or datetime.now(UTC)
    conditions = [
        _condition(rule, dialect=dialect, owner_id=owner_id, now=moment) for rule in rules.rules
    ]
    if not conditions:
        matched: ColumnElement[bool] = true()
    elif rules.match is SmartMatch.ALL:
        matched = and_(*conditions)
    else:
        matched = or_(*conditions)
    keys, extra, joined = _order_keys(rules, owner_id, moment)
    spec = ORDERS[rules.order_by]
    terms = [*keys, TrackRecord.id]
    ordering = [term.desc() if spec.descending else term.asc() for term in terms]
    statement: Select[*tuple[Any, ...]] = select(
        TrackRecord.id.label("track_id"),
        *(key.label(f"k{index}") for index, key in enumerate(keys)),
        func.row_number().over(order_by=ordering).label("rn"),
    )
    if joined is not None:
        statement = statement.join(joined, joined.c.played_id == TrackRecord.id)
    statement = statement.where(matched, track_visible(reader), *extra)
    if rules.limit is not None:
        statement = statement.order_by(*ordering).limit(rules.limit)
    subquery = statement.subquery("smart")
    columns = [subquery.c[f"k{index}"] for index in range(len(keys))]
    bound = replace(
        spec.with_columns(*columns), id_column=subquery.c.track_id, id_attribute="track_id"
    )
    return Compiled(subquery, bound)
