"""Resolvers of ``updateTrack`` and ``updateAlbum``: inputs to ``editing.service`` calls."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from tonearm.catalog.collaboration import AlbumNotFound, EditNotAllowed, TrackNotFound
from tonearm.editing.service import InvalidTrackInput, TrackChange, update_album, update_track
from tonearm.resolvers.albums import album_uuid
from tonearm.resolvers.tracks import track_uuid
from tonearm.schema.collaborator_types import (
    AlbumNotFoundError,
    EditNotAllowedError,
    InvalidTrackInputError,
)
from tonearm.schema.context import Context
from tonearm.schema.editing_types import (
    AlbumInput,
    TrackInput,
    UpdateAlbumResult,
    UpdateTrackResult,
)
from tonearm.schema.library_types import Album
from tonearm.schema.types import Track, TrackNotFoundError

Info = strawberry.Info[Context, None]
# TrackInput attribute → key in ``tracks.overrides`` (``published`` is a flag, not an edit).
_TRACK_KEYS = {
    "title": "title",
    "artists": "artists",
    "album": "album",
    "album_artist": "album_artist",
    "track_number": "track_number",
    "disc_number": "disc_number",
    "year": "year",
    "genre": "genre",
    "lyrics": "lyrics",
    "explicit": "is_explicit",
}
NOT_ALLOWED = "Only owners and editors may change this."


def _given(source: object, names: list[str]) -> dict[str, Any]:
    return {name: value for name in names if (value := getattr(source, name)) is not UNSET}


def track_change(data: TrackInput) -> TrackChange:
    """The edit a ``TrackInput`` asks for (omitted fields are not part of it)."""
    given = _given(data, list(_TRACK_KEYS))
    fields = {_TRACK_KEYS[name]: value for name, value in given.items()}
    if "is_explicit" in fields and fields["is_explicit"] is None:
        fields["is_explicit"] = False
    published = data.published if data.published is not UNSET else None
    return TrackChange(fields, published)


async def resolve_update_track(
    info: Info, id: strawberry.ID, input: TrackInput
) -> UpdateTrackResult:
    """Edit a track's fields (owners, editors, admins)."""
    track_id = track_uuid(id)
    context = info.context
    try:
        record = await update_track(context.services, context.reader, track_id, track_change(input))
    except InvalidTrackInput as refused:
        return InvalidTrackInputError(field=refused.field, message=refused.message)
    except TrackNotFound:
        return TrackNotFoundError(message="No track has this ID.", track_id=id)
    except EditNotAllowed:
        return EditNotAllowedError(message=NOT_ALLOWED)
    return Track.from_record(record)


async def resolve_update_album(
    info: Info, id: strawberry.ID, input: AlbumInput
) -> UpdateAlbumResult:
    """Set album fields on every track of the album the viewer may edit."""
    album_id = album_uuid(id)
    context = info.context
    fields = _given(input, ["title", "album_artist", "year", "genre"])
    try:
        record = await update_album(context.services, context.reader, album_id, fields)
    except InvalidTrackInput as refused:
        return InvalidTrackInputError(field=refused.field, message=refused.message)
    except AlbumNotFound:
        return AlbumNotFoundError(message="No album has this ID.", album_id=id)
    except EditNotAllowed:
        return EditNotAllowedError(message=NOT_ALLOWED)
    return Album.from_record(record)
