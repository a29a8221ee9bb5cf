"""GraphQL types of playlists: the playlist, its items, smart rules, inputs, results.

Linked fields (owner, collaborators, counts, cover, items) are resolved by
``resolvers/playlists.py`` through the request's playlist loaders (one query per page).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry import relay
from strawberry.scalars import JSON

from tonearm.catalog.pagination import SmartOrder
from tonearm.db.models import PlaylistRecord
from tonearm.playlists.access import PlaylistKind
from tonearm.playlists.queries import PlaylistScope
from tonearm.playlists.rules import SmartMatch, parse_rules
from tonearm.schema.collaborator_types import EditNotAllowedError, PublicUser
from tonearm.schema.context import Context
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.schema.users import UserNotFoundError

if TYPE_CHECKING:
    from tonearm.schema.library_types import CoverArt

LIBRARY_TYPES = "tonearm.schema.library_types"
Info = strawberry.Info[Context, None]

strawberry.enum(
    PlaylistScope,
    name="PlaylistScope",
    description=(
        "MINE: playlists you own or collaborate on. PUBLIC: public ones and the server's. "
        "ALL: every playlist you can see."
    ),
)
strawberry.enum(SmartMatch, name="SmartMatch", description="Every rule must hold, or any one.")
strawberry.enum(
    SmartOrder,
    name="SmartOrder",
    description=(
        "The order of a smart playlist. MOST_PLAYED and RECENTLY_PLAYED use the owner's "
        "plays and list only tracks they played (MOST_PLAYED: within orderPeriodDays)."
    ),
)


@strawberry.type(description="One rule of a smart playlist.")
class SmartRule:
    """A field, an operator and a value (see SmartRuleInput)."""

    field: str = strawberry.field(description="The track field, e.g. genre or playCount.")
    operator: str = strawberry.field(description="e.g. is, contains, between, inTheLast.")
    value: JSON | None = strawberry.field(description="The operand (null for isTrue/isFalse).")


@strawberry.type(description="The rules of a smart playlist.")
class SmartRules:
    """What a smart playlist's items are computed from."""

    match: SmartMatch = strawberry.field(description="ALL rules, or ANY.")
    rules: list[SmartRule] = strawberry.field(description="The rules, in order.")
    order_by: SmartOrder = strawberry.field(description="The order of the items.")
    order_period_days: int | None = strawberry.field(
        description="MOST_PLAYED: count plays of the last this many days."
    )
    limit: int | None = strawberry.field(description="At most this many items (≤ 10,000).")

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> SmartRules:
        """The GraphQL view of ``playlists.rules``."""
        rules = parse_rules(stored)
        return cls(
            match=rules.match,
            rules=[
                SmartRule(field=rule["field"], operator=rule["operator"], value=rule["value"])
                for rule in rules.to_json()["rules"]
            ],
            order_by=rules.order_by,
            order_period_days=rules.order_period_days,
            limit=rules.limit,
        )


@strawberry.input(description="One rule: field, operator and value.")
class SmartRuleInput:
    """Fields: title artist album albumArtist composer genre format (text: is isNot
    contains notContains startsWith), year durationSeconds bitrate playCount popularity
    (numbers: eq neq gt gte lt lte, between [low, high]), addedAt lastPlayedAt (dates:
    inTheLast/notInTheLast days, before/after an ISO date), liked (isTrue/isFalse)."""

    field: str = strawberry.field(description="The track field.")
    operator: str = strawberry.field(description="The operator for that field.")
    value: JSON | None = strawberry.field(default=None, description="The operand.")


@strawberry.input(description="The rules of a smart playlist.")
class SmartRulesInput:
    """Validated completely; InvalidSmartRulesError says which rule and field failed."""

    match: SmartMatch = strawberry.field(default=SmartMatch.ALL, description="ALL or ANY.")
    rules: list[SmartRuleInput] = strawberry.field(description="At most 50 rules.")
    order_by: SmartOrder = strawberry.field(default=SmartOrder.ARTIST, description="Order.")
    order_period_days: int | None = strawberry.field(
        default=None, description="MOST_PLAYED only: 1 to 36,500 days."
    )
    limit: int | None = strawberry.field(default=None, description="1 to 10,000 items.")

    def to_raw(self) -> dict[str, Any]:
        """The JSON shape ``playlists.rules.parse_rules`` checks."""
        return {
            "match": self.match.value,
            "rules": [
                {"field": rule.field, "operator": rule.operator, "value": rule.value}
                for rule in self.rules
            ],
            "orderBy": self.order_by.value,
            "orderPeriodDays": self.order_period_days,
            "limit": self.limit,
        }


@strawberry.input(description="A new playlist.")
class PlaylistInput:
    """Name 1 to 200 characters (trimmed), description at most 2,000."""

    name: str = strawberry.field(description="1 to 200 characters.")
    description: str | None = strawberry.field(default=None, description="≤ 2,000 characters.")
    is_public: bool = strawberry.field(default=False, description="Listed for every user.")
    is_collaborative: bool = strawberry.field(
        default=False, description="Its collaborators may add, remove and reorder."
    )


@strawberry.input(description="Changes to a playlist: null or absent fields stay as they are.")
class PlaylistUpdateInput:
    """Every field is optional."""

    name: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    description: str | None = strawberry.field(
        default=None, description="≤ 2,000 characters; an empty string removes it."
    )
    is_public: bool | None = strawberry.field(default=None, description="Listed for everyone.")
    is_collaborative: bool | None = strawberry.field(
        default=None, description="Collaborators may change its tracks (static only)."
    )
    rules: SmartRulesInput | None = strawberry.field(
        default=None, description="New rules (smart playlists only)."
    )


@strawberry.input(description="A new smart playlist.")
class SmartPlaylistInput:
    """Its items are its rules evaluated when read."""

    name: str = strawberry.field(description="1 to 200 characters.")
    description: str | None = strawberry.field(default=None, description="≤ 2,000 characters.")
    is_public: bool = strawberry.field(default=False, description="Listed for every user.")
    rules: SmartRulesInput = strawberry.field(description="What the items are.")


def _lazy(name: str) -> Any:
    from tonearm.resolvers import playlists

    return getattr(playlists, name)


def _owner(root: strawberry.Parent[Playlist], info: Info) -> AwaitableOrValue[PublicUser | None]:
    resolve: Callable[..., AwaitableOrValue[PublicUser | None]] = _lazy("resolve_owner")
    return resolve(info, root.record.owner_id)


async def _collaborators(root: strawberry.Parent[Playlist], info: Info) -> list[PublicUser]:
    resolve: Callable[..., Awaitable[list[PublicUser]]] = _lazy("resolve_collaborators")
    return await resolve(info, root.record)


async def _can_add(root: strawberry.Parent[Playlist], info: Info) -> bool:
    resolve: Callable[..., Awaitable[bool]] = _lazy("resolve_viewer_can_add_tracks")
    return await resolve(info, root.record)


def _can_edit(root: strawberry.Parent[Playlist], info: Info) -> bool:
    resolve: Callable[..., bool] = _lazy("resolve_viewer_can_edit")
    return resolve(info, root.record)


async def _track_count(root: strawberry.Parent[Playlist], info: Info) -> int:
    resolve: Callable[..., Awaitable[int]] = _lazy("resolve_track_count")
    return await resolve(info, root.record)


async def _duration(root: strawberry.Parent[Playlist], info: Info) -> float:
    resolve: Callable[..., Awaitable[float]] = _lazy("resolve_duration")
    return await resolve(info, root.record)


def _cover(root: strawberry.Parent[Playlist], info: Info) -> AwaitableOrValue[CoverArt | None]:
    from tonearm.resolvers.covers import resolve_cover

    record = root.record
    return resolve_cover(info, record.artwork_hash or record.mosaic_hash)


async def _items(
    root: strawberry.Parent[Playlist],
    info: Info,
    first: int | None = None,
    after: str | None = None,
) -> PlaylistItemConnection:
    resolve: Callable[..., Awaitable[PlaylistItemConnection]] = _lazy("resolve_items")
    return await resolve(info, root.record, first=first, after=after)


def _like_count(root: strawberry.Parent[Playlist], info: Info) -> AwaitableOrValue[int]:
    from tonearm.resolvers.likes import resolve_like_count
    from tonearm.social.likes import LikeKind

    return resolve_like_count(info, LikeKind.PLAYLIST, root.record.id)


def _viewer_has_liked(root: strawberry.Parent[Playlist], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.likes import resolve_viewer_has_liked
    from tonearm.social.likes import LikeKind

    return resolve_viewer_has_liked(info, LikeKind.PLAYLIST, root.record.id)


@strawberry.type(description="A list of tracks: a user's (static or smart) or the server's file.")
class Playlist(relay.Node):
    """One playlist the viewer may see."""

    id: relay.NodeID[str]
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(description="Its description, if any.")
    owner: AwaitableOrValue[PublicUser | None] = strawberry.field(
        resolver=_owner,
        graphql_type=PublicUser | None,
        description="Who owns it; null for the server's playlists (M3U files).",
    )
    is_public: bool = strawberry.field(description="Listed and playable by every user.")
    is_collaborative: bool = strawberry.field(
        description="Its collaborators may add, remove and reorder tracks."
    )
    is_smart: bool = strawberry.field(description="Its tracks are computed from rules.")
    is_read_only: bool = strawberry.field(
        description="The server's playlist (an M3U file): nobody changes it here."
    )
    viewer_can_edit: bool = strawberry.field(
        resolver=_can_edit, description="Whether you may rename, delete or change settings."
    )
    viewer_can_add_tracks: bool = strawberry.field(
        resolver=_can_add, description="Whether you may add, remove and reorder tracks."
    )
    rules: SmartRules | None = strawberry.field(description="A smart playlist's rules.")
    track_count: int = strawberry.field(
        resolver=_track_count, description="Items whose track you can see."
    )
    duration_seconds: float = strawberry.field(
        resolver=_duration, description="Playing time of the items whose track you can see."
    )
    cover_art: AwaitableOrValue[Annotated[CoverArt, strawberry.lazy(LIBRARY_TYPES)] | None] = (
        strawberry.field(
            resolver=_cover,
            graphql_type=Annotated["CoverArt", strawberry.lazy(LIBRARY_TYPES)] | None,
            description="Its own image, else a mosaic of its first albums' covers, else null.",
        )
    )
    items: PlaylistItemConnection = strawberry.field(
        resolver=_items,
        description=(
            "Its items in order, one page at a time (default 20, at most 100); items whose "
            "track you cannot see are left out."
        ),
    )
    collaborators: list[PublicUser] = strawberry.field(
        resolver=_collaborators, description="Who may add and reorder (when collaborative)."
    )
    like_count: AwaitableOrValue[int] = strawberry.field(
        resolver=_like_count, graphql_type=int, description="How many users like it."
    )
    viewer_has_liked: AwaitableOrValue[bool] = strawberry.field(
        resolver=_viewer_has_liked, graphql_type=bool, description="Whether you like it."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    record: strawberry.Private[PlaylistRecord]

    @classmethod
    def from_record(cls, record: PlaylistRecord) -> Playlist:
        """The GraphQL view of a playlist row."""
        is_smart = record.kind == PlaylistKind.SMART.value
        return cls(
            id=str(record.id),
            record=record,
            name=record.name,
            description=record.description,
            is_public=record.is_public,
            is_collaborative=record.is_collaborative,
            is_smart=is_smart,
            is_read_only=record.kind == PlaylistKind.FILE.value,
            rules=SmartRules.from_stored(record.rules or {}) if is_smart else None,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


def _added_by(
    root: strawberry.Parent[PlaylistItem], info: Info
) -> AwaitableOrValue[PublicUser | None]:
    resolve: Callable[..., AwaitableOrValue[PublicUser | None]] = _lazy("resolve_owner")
    return resolve(info, root.added_by_id)


@strawberry.type(description="One entry of a playlist.")
class PlaylistItem:
    """A track at a place in a playlist; the same track may appear many times."""

    id: strawberry.ID = strawberry.field(description="The PlaylistItem global ID.")
    position: int = strawberry.field(
        description="0-based index in the whole playlist (hidden items keep their places)."
    )
    added_at: datetime = strawberry.field(description="When it was added.")
    added_by: AwaitableOrValue[PublicUser | None] = strawberry.field(
        resolver=_added_by,
        graphql_type=PublicUser | None,
        description="Who added it (null for smart and server playlists).",
    )
    track: Track = strawberry.field(description="The track.")
    added_by_id: strawberry.Private[uuid.UUID | None]


@strawberry.type(name="PlaylistItemEdge", description="An item in a connection.")
class PlaylistItemEdge:
    """An edge of ``PlaylistItemConnection``."""

    cursor: str = strawberry.field(description="A cursor for use in pagination")
    node: PlaylistItem = strawberry.field(description="The item at the end of the edge")


@strawberry.type(name="PlaylistItemConnection", description="A page of a playlist's items.")
class PlaylistItemConnection:
    """Keyset cursors; ``totalCount`` is the playlist's trackCount."""

    page_info: relay.PageInfo = strawberry.field(description="Pagination data for this connection")
    edges: list[PlaylistItemEdge] = strawberry.field(
        description="Contains the nodes in this connection"
    )
    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items whose track you can see.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Counted only when asked for."""
        return await self.total_count_loader()


@strawberry.type(name="PlaylistConnection", description="A page of playlists, by name.")
class PlaylistConnection(relay.Connection[Playlist]):
    """Keyset cursors; ``totalCount`` is counted only when asked for."""

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many playlists the whole list holds.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()


@strawberry.type(description="No playlist has the given ID.")
class PlaylistNotFoundError:
    """A playlist that does not exist, or that you may not see."""

    message: str = strawberry.field(description="What went wrong, for people.")
    playlist_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="The playlist has no item with the given ID.")
class PlaylistItemNotFoundError:
    """An item of another playlist, a removed one, or none at all."""

    message: str = strawberry.field(description="What went wrong, for people.")
    item_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="A field of the input is not acceptable; nothing was changed.")
class InvalidPlaylistInputError:
    """e.g. an empty name, or one over 200 characters."""

    message: str = strawberry.field(description="What is wrong, for people.")
    field: str = strawberry.field(description='The input field, e.g. "name".')


@strawberry.type(description="The position is outside the playlist.")
class InvalidPlaylistPositionError:
    """Positions run from 0 to the item count (adding) or count - 1 (moving)."""

    message: str = strawberry.field(description="What is wrong, for people.")
    position: int = strawberry.field(description="The position asked for.")
    track_count: int = strawberry.field(description="How many items the playlist holds.")


@strawberry.type(description="Too many tracks: for the playlist, or for one call.")
class PlaylistTooLongError:
    """A playlist holds at most 50,000 items; one call adds at most 1,000."""

    message: str = strawberry.field(description="What is wrong, for people.")
    limit: int = strawberry.field(description="The limit that was reached.")


@strawberry.type(description="The smart rules cannot be evaluated.")
class InvalidSmartRulesError:
    """Which rule (0-based) and which of its parts failed, when it is one rule."""

    message: str = strawberry.field(description="What is wrong, for people.")
    rule_index: int | None = strawberry.field(description="The index of the failing rule.")
    field: str | None = strawberry.field(
        description='Which part: "field", "operator", "value", or a SmartRulesInput field.'
    )


@strawberry.type(description="The playlist was deleted.")
class DeletedPlaylist:
    """The id of the playlist that no longer exists."""

    id: strawberry.ID = strawberry.field(description="The Playlist global ID.")


@strawberry.type(description="What smart rules give now.")
class SmartPlaylistPreview:
    """Counts over the tracks you can see, and the first few tracks."""

    track_count: int = strawberry.field(description="How many tracks match.")
    duration_seconds: float = strawberry.field(description="Their playing time.")
    preview_loader: strawberry.Private[Callable[[int], Awaitable[list[Track]]]]

    @strawberry.field(description="The first tracks, in order (first ≤ 100).")  # type: ignore[untyped-decorator]
    async def tracks(self, first: int = 5) -> list[Track]:
        """Fetched only when asked for."""
        return await self.preview_loader(first)


CreatePlaylistResult = Annotated[
    Playlist | InvalidPlaylistInputError,
    strawberry.union("CreatePlaylistResult", description="The new playlist, or why not."),
]
CreateSmartPlaylistResult = Annotated[
    Playlist | InvalidPlaylistInputError | InvalidSmartRulesError,
    strawberry.union("CreateSmartPlaylistResult", description="The new playlist, or why not."),
]
UpdatePlaylistResult = Annotated[
    Playlist
    | PlaylistNotFoundError
    | EditNotAllowedError
    | InvalidPlaylistInputError
    | InvalidSmartRulesError,
    strawberry.union("UpdatePlaylistResult", description="The changed playlist, or why not."),
]
DeletePlaylistResult = Annotated[
    DeletedPlaylist | PlaylistNotFoundError | EditNotAllowedError,
    strawberry.union("DeletePlaylistResult", description="The deleted id, or why not."),
]
PlaylistItemsResult = Annotated[
    Playlist
    | PlaylistNotFoundError
    | EditNotAllowedError
    | TrackNotFoundError
    | PlaylistItemNotFoundError
    | InvalidPlaylistPositionError
    | PlaylistTooLongError,
    strawberry.union("PlaylistItemsResult", description="The changed playlist, or why not."),
]
PlaylistCollaboratorsResult = Annotated[
    Playlist | PlaylistNotFoundError | EditNotAllowedError | UserNotFoundError,
    strawberry.union(
        "PlaylistCollaboratorsResult",
        description="The playlist with its collaborators, or why not.",
    ),
]
SmartPlaylistPreviewResult = Annotated[
    SmartPlaylistPreview | InvalidSmartRulesError,
    strawberry.union("SmartPlaylistPreviewResult", description="The preview, or why not."),
]
