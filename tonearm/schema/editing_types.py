"""GraphQL inputs and results of editing tracks and albums and of sharing them."""

from __future__ import annotations

from typing import Annotated

import strawberry

from tonearm.schema.collaborator_types import (
    AlbumNotFoundError,
    CollaboratorNotFoundError,
    EditNotAllowedError,
    InvalidTrackInputError,
    LastOwnerError,
)
from tonearm.schema.library_types import Album
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.schema.users import UserNotFoundError


@strawberry.input(
    description=(
        "Changes to a track: omitted fields stay as they are; null clears a nullable field. "
        "Scanned files keep the edits as overrides a rescan respects; uploaded files also "
        "get them written into their tags."
    )
)
class TrackInput:
    """Every field is optional (omitted: unchanged)."""

    title: str | None = strawberry.field(default=strawberry.UNSET, description="Not empty.")
    artists: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="The track's artists, in credit order."
    )
    album: str | None = strawberry.field(default=strawberry.UNSET, description="Album title.")
    album_artist: str | None = strawberry.field(
        default=strawberry.UNSET, description="The album artist credit."
    )
    track_number: int | None = strawberry.field(default=strawberry.UNSET, description="1 to 999.")
    disc_number: int | None = strawberry.field(default=strawberry.UNSET, description="1 to 999.")
    year: int | None = strawberry.field(default=strawberry.UNSET, description="1000 to 9999.")
    genre: str | None = strawberry.field(default=strawberry.UNSET, description="One genre.")
    lyrics: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 100,000 characters."
    )
    explicit: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Marked as explicit."
    )
    published: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether everyone sees it (a flag of the registry, not a tag).",
    )


@strawberry.input(
    description=(
        "Album fields to set on every track of the album you may edit (omitted: unchanged)."
    )
)
class AlbumInput:
    """Every field is optional (omitted: unchanged)."""

    title: str | None = strawberry.field(default=strawberry.UNSET, description="Album title.")
    album_artist: str | None = strawberry.field(
        default=strawberry.UNSET, description="The album artist credit."
    )
    year: int | None = strawberry.field(default=strawberry.UNSET, description="1000 to 9999.")
    genre: str | None = strawberry.field(default=strawberry.UNSET, description="One genre.")


UpdateTrackResult = Annotated[
    Track | TrackNotFoundError | EditNotAllowedError | InvalidTrackInputError,
    strawberry.union("UpdateTrackResult", description="The edited track, or why not."),
]
UpdateAlbumResult = Annotated[
    Album | AlbumNotFoundError | EditNotAllowedError | InvalidTrackInputError,
    strawberry.union("UpdateAlbumResult", description="The edited album, or why not."),
]
TrackCollaboratorsResult = Annotated[
    Track
    | TrackNotFoundError
    | EditNotAllowedError
    | UserNotFoundError
    | LastOwnerError
    | CollaboratorNotFoundError,
    strawberry.union(
        "TrackCollaboratorsResult", description="The track with its collaborators, or why not."
    ),
]
AlbumCollaboratorsResult = Annotated[
    Album
    | AlbumNotFoundError
    | EditNotAllowedError
    | UserNotFoundError
    | LastOwnerError
    | CollaboratorNotFoundError,
    strawberry.union(
        "AlbumCollaboratorsResult", description="The album with its collaborators, or why not."
    ),
]
