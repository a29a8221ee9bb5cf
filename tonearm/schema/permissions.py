"""Who may resolve what: every field but ``login``/``viewer``/``authMode`` needs a viewer."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode


class IsAuthenticated(BasePermission):
    """A logged-in (or, with TONEARM_AUTH=none, local) user."""

    message = "Sign in first: this needs a logged-in user."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        """Whether the request carries valid credentials."""
        return info.context.viewer is not None


class IsAdmin(BasePermission):
    """An administrator (scanning the library, managing users)."""

    message = "Only administrators may do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        """Whether the viewer is an admin (``IsAuthenticated`` runs first)."""
        viewer = info.context.viewer
        return viewer is not None and viewer.is_admin


class IsMemberOrSignedIn(BasePermission):
    """A signed-in user, or a listening session's anonymous guest (its token): the session
    fields check membership themselves; every other field refuses a guest."""

    message = "Sign in or join a listening session first."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        """Whether the request carries a viewer or a guest."""
        return info.context.viewer is not None or info.context.guest is not None


SIGNED_IN: list[type[BasePermission]] = [IsAuthenticated]
SESSION_MEMBER: list[type[BasePermission]] = [IsMemberOrSignedIn]
# In order: an anonymous request is told to sign in, a listener that it is not allowed.
ADMIN_ONLY: list[type[BasePermission]] = [IsAuthenticated, IsAdmin]
