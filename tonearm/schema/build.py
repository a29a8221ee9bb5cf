"""Building the schema: the root types and ``build_schema()`` (no module-level instance)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from tonearm.resolvers.library import resolve_library, resolve_scan_library
from tonearm.resolvers.streams import resolve_create_stream_url
from tonearm.resolvers.tracks import resolve_node, resolve_track, resolve_tracks
from tonearm.schema.extensions import api_extensions, apply_error_policy, is_unexpected
from tonearm.schema.types import (
    CreateStreamUrlResult,
    LibraryStats,
    ScanSummary,
    Track,
    TrackConnection,
)

logger = logging.getLogger("tonearm.graphql")


@strawberry.type(description="Reading the registry.")
class Query:
    """Root query type."""

    node: relay.Node | None = strawberry.field(
        resolver=resolve_node, description="Any object by its global ID (Relay refetch)."
    )
    track: Track | None = strawberry.field(
        resolver=resolve_track, description="The track with this global ID, or null."
    )
    tracks: TrackConnection = strawberry.field(
        resolver=resolve_tracks,
        description="Tracks, one page at a time (default 20, at most 100 per page).",
    )
    library: LibraryStats = strawberry.field(
        resolver=resolve_library, description="Totals over the whole registry."
    )


@strawberry.type(description="Changing the registry or minting access.")
class Mutation:
    """Root mutation type."""

    create_stream_url: CreateStreamUrlResult = strawberry.field(
        resolver=resolve_create_stream_url,
        description="A signed, expiring URL to stream a track.",
    )
    scan_library: ScanSummary = strawberry.mutation(
        resolver=resolve_scan_library, description="Scan the media root into the registry now."
    )


class TonearmSchema(strawberry.Schema):
    """Applies the error policy to every result; logs unexpected errors with traceback."""

    async def execute(  # noqa: PLR0917 - Strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Strawberry's ``execute``, then codes and masking on whatever errors came out."""
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if result.errors:
            result.errors = apply_error_policy(result.errors)
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Called with the original errors, before they are masked."""
        for error in errors:
            if is_unexpected(error):
                logger.error(
                    "unexpected error in GraphQL operation at %s",
                    error.path,
                    exc_info=error.original_error,
                )
            else:
                logger.debug("GraphQL request failed: %s", error.message)


def build_schema() -> strawberry.Schema:
    """A fresh schema with tonearm's limits and error policy."""
    return TonearmSchema(query=Query, mutation=Mutation, extensions=api_extensions())
