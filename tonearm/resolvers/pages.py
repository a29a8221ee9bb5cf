"""What every list resolver shares: page arguments and search text, checked into API errors.

``tracks``, ``albums``, ``artists`` and ``Artist.albums`` take the same Relay arguments with
the same limits and errors (``PAGE_TOO_LARGE``, ``INVALID_CURSOR``, ``BAD_USER_INPUT``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from strawberry import relay
from strawberry.types.unset import UnsetType

from tonearm.catalog.pagination import (
    BadPageArgument,
    InvalidCursor,
    Page,
    PageRequest,
    PageTooLarge,
    PaginationError,
    page_request,
)
from tonearm.catalog.search import MAX_SEARCH_LENGTH
from tonearm.schema.errors import ErrorCode, api_error

T = TypeVar("T")

_PAGINATION_CODES: dict[type[PaginationError], ErrorCode] = {
    InvalidCursor: ErrorCode.INVALID_CURSOR,
    PageTooLarge: ErrorCode.PAGE_TOO_LARGE,
    BadPageArgument: ErrorCode.BAD_USER_INPUT,
}
_PAGINATION_MESSAGES: dict[type[PaginationError], str] = {
    InvalidCursor: "The cursor is not valid for this list and order.",
}


def given(value: T | UnsetType | None) -> T | None:
    """An argument's value; None when it was omitted (``UNSET``) or null."""
    return None if isinstance(value, UnsetType) else value


def checked_page(
    order: Enum,
    *,
    first: int | UnsetType | None,
    after: str | UnsetType | None,
    last: int | UnsetType | None = None,
    before: str | UnsetType | None = None,
) -> PageRequest:
    """The page the Relay arguments ask for in ``order``, or the API error saying why not."""
    try:
        return page_request(
            order, first=given(first), after=given(after), last=given(last), before=given(before)
        )
    except PaginationError as exc:
        kind = type(exc)
        raise api_error(
            _PAGINATION_CODES[kind], _PAGINATION_MESSAGES.get(kind) or str(exc)
        ) from None


def checked_search(search: str | UnsetType | None) -> str | None:
    """The search text, or ``BAD_USER_INPUT`` when it is longer than a search may be."""
    text = given(search)
    if len(text or "") > MAX_SEARCH_LENGTH:
        raise api_error(
            ErrorCode.BAD_USER_INPUT,
            f"Search text is limited to {MAX_SEARCH_LENGTH} characters.",
        )
    return text


def page_info(page: Page[T], cursors: Sequence[str]) -> relay.PageInfo:
    """Relay's page info for a page whose edges have ``cursors``."""
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
