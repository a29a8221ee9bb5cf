"""The trash's types: entries, their connection and the results of delete, restore, purge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from tonearm.schema.collaborator_types import AlbumNotFoundError, EditNotAllowedError, PublicUser
from tonearm.schema.library_types import Album
from tonearm.schema.playlist_types import Playlist
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.trash.queries import TrashKind

strawberry.enum(TrashKind, name="TrashKind", description="What a trash entry holds.")

TrashedObject = Annotated[
    Track | Album | Playlist,
    strawberry.union("TrashedObject", description="A track, album or playlist in the trash."),
]


@strawberry.type(description="Something deleted: restorable until it is purged.")
class TrashEntry:
    """One deleted track, album or playlist; ``id`` is the object's own global ID."""

    id: strawberry.ID = strawberry.field(
        description="The trashed object's global ID (Track, Album or Playlist)."
    )
    kind: TrashKind = strawberry.field(description="What it is.")
    name: str = strawberry.field(description="Its title or name when it was deleted.")
    object: TrashedObject | None = strawberry.field(
        description="The object as it is kept in the trash (null once it is gone)."
    )
    deleted_by: PublicUser | None = strawberry.field(
        description="Who deleted it (null when that account is gone)."
    )
    deleted_at: datetime = strawberry.field(description="When it was deleted.")
    purge_at: datetime | None = strawberry.field(
        description="When it is purged automatically (null: kept until someone purges it)."
    )
    track_count: int = strawberry.field(
        description="The tracks it holds: 1 for a track, an album's deleted tracks, a "
        "playlist's items."
    )


@strawberry.type(description="An edge of TrashEntryConnection.")
class TrashEntryEdge:
    """One entry and its cursor."""

    cursor: str = strawberry.field(description="Where this edge is, for after:.")
    node: TrashEntry = strawberry.field(description="The entry.")


@strawberry.type(
    name="TrashEntryConnection", description="A page of the trash, most recently deleted first."
)
class TrashEntryConnection:
    """A page of entries; ``totalCount`` is counted only when asked for."""

    page_info: relay.PageInfo = strawberry.field(description="Where the page is in the list.")
    edges: list[TrashEntryEdge] = strawberry.field(description="The edges of the page.")

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many entries you see in the trash.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()


@strawberry.type(description="Nothing you can see in the trash has this ID.")
class NotInTrashError:
    """Never deleted, restored or purged already, or someone else's entry."""

    message: str = strawberry.field(description="What went wrong, for people.")
    id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="Deleted for good.")
class Purged:
    """The object that no longer exists."""

    id: strawberry.ID = strawberry.field(description="Its global ID.")
    kind: TrashKind = strawberry.field(description="What it was.")


@strawberry.type(description="What emptyTrash purged.")
class EmptyTrashResult:
    """How many entries went for good."""

    purged_count: int = strawberry.field(description="How many entries were purged.")


DeleteResult = Annotated[
    TrashEntry | TrackNotFoundError | AlbumNotFoundError | EditNotAllowedError,
    strawberry.union("DeleteResult", description="The new trash entry, or why not."),
]
RestoreResult = Annotated[
    TrashEntry | NotInTrashError,
    strawberry.union("RestoreResult", description="The entry restored, or why not."),
]
PurgeResult = Annotated[
    Purged | NotInTrashError,
    strawberry.union("PurgeResult", description="What was purged, or why not."),
]
