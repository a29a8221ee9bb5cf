"""GraphQL types of the music library beyond tracks: albums, artists and their cover art.

Rows become these at the boundary (``Album.from_record``, ``Artist.from_record``,
``CoverArt.from_record``). Fields that need more than the row (an album's artists, tracks
and cover; an artist's albums and cover) are resolved by ``resolvers/albums.py``,
``resolvers/artists.py`` and ``resolvers/covers.py`` through the request's DataLoaders;
each is imported when first called, since those modules import this one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry import relay
from strawberry.types.unset import UNSET

from tonearm.catalog.access import CollaboratorRole
from tonearm.catalog.artists import ArtistRole
from tonearm.catalog.pagination import AlbumOrder, ArtistOrder
from tonearm.db.models import AlbumRecord, ArtistRecord, ArtworkRecord
from tonearm.schema.collaborator_types import Collaborator
from tonearm.schema.context import Context
from tonearm.schema.types import SOCIAL_TYPES, Track
from tonearm.social.likes import LikeKind

if TYPE_CHECKING:
    from tonearm.schema.social_types import CommentConnection

Info = strawberry.Info[Context, None]

strawberry.enum(
    AlbumOrder,
    name="AlbumOrder",
    description=(
        "Sort orders for the album list. ARTIST (the default): artist credit, then year, "
        "then title. TITLE: title (leading article ignored), then artist. YEAR: year "
        "(albums without one last), then artist, then title. RECENTLY_ADDED: newest first. "
        "Names compare folded for case and accents."
    ),
)
strawberry.enum(
    ArtistOrder,
    name="ArtistOrder",
    description="Sort orders for the artist list. NAME: folded name, leading article ignored.",
)
strawberry.enum(
    ArtistRole,
    name="ArtistRole",
    description="How an artist is credited on a track: main, featured, or composer.",
)


def _cover_url(root: strawberry.Parent[CoverArt], size: int = 300) -> str:
    from tonearm.resolvers.covers import resolve_cover_url

    return resolve_cover_url(root, size)


@strawberry.type(
    description=(
        "Cover art of an album or artist. URLs are content-addressed and immutable (cache forever)."
    )
)
class CoverArt:
    """One source image and the thumbnail sizes made of it."""

    url: str = strawberry.field(
        resolver=_cover_url,
        description=(
            "Server-relative URL of the image at the nearest made size (64, 300, 600 or the "
            "large one, never bigger than the original): /api/art/<sha256 hex>/<size>. The "
            "smallest made size at least as large as asked for, else the largest made. "
            "Readable with the session cookie (an <img>) or a bearer token; never anonymously."
        ),
    )
    placeholder: str = strawberry.field(
        description='A CSS colour "#rrggbb" (dominant colour) to paint while the image loads.'
    )
    width: int = strawberry.field(description="Width of the original image in pixels.")
    height: int = strawberry.field(description="Height of the original image in pixels.")
    artwork_hash: strawberry.Private[str]
    sizes: strawberry.Private[tuple[int, ...]]

    @classmethod
    def from_record(cls, record: ArtworkRecord | None) -> CoverArt | None:
        """The GraphQL view of an artwork; None without one (or without any size made)."""
        if record is None or not record.sizes:
            return None
        return cls(
            artwork_hash=record.hash,
            sizes=tuple(sorted(record.sizes)),
            placeholder=record.color,
            width=record.width,
            height=record.height,
        )


async def _artist_albums(
    root: strawberry.Parent[Artist],
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
) -> AlbumConnection:
    from tonearm.resolvers.artists import resolve_artist_albums

    return await resolve_artist_albums(info, root, first=first, after=after)


def _artist_cover(root: strawberry.Parent[Artist], info: Info) -> AwaitableOrValue[CoverArt | None]:
    from tonearm.resolvers.artists import resolve_artist_cover

    return resolve_artist_cover(info, root)


def _artist_like_count(root: strawberry.Parent[Artist], info: Info) -> AwaitableOrValue[int]:
    from tonearm.resolvers.likes import resolve_like_count

    return resolve_like_count(info, LikeKind.ARTIST, root.artist_id)


def _artist_viewer_has_liked(root: strawberry.Parent[Artist], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.likes import resolve_viewer_has_liked

    return resolve_viewer_has_liked(info, LikeKind.ARTIST, root.artist_id)


@strawberry.type(description="A person or group credited on tracks or albums.")
class Artist(relay.Node):
    """One artist, identified by the folded name."""

    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name, as first credited.")
    albums: AlbumConnection = strawberry.field(
        resolver=_artist_albums,
        description=(
            "Their albums (album artist), then the albums they appear on (edges marked "
            "isAppearance); each by year (default 20, at most 100 per page)."
        ),
    )
    album_count: int = strawberry.field(
        description="Albums they are an album artist of (appearances not counted)."
    )
    track_count: int = strawberry.field(
        description="Published tracks they are a main or featured artist on."
    )
    cover_art: AwaitableOrValue[CoverArt | None] = strawberry.field(
        resolver=_artist_cover,
        graphql_type=CoverArt | None,
        description=(
            "An artist.* image in their folder, else the cover of their newest album that "
            "has one; null when neither exists."
        ),
    )
    like_count: AwaitableOrValue[int] = strawberry.field(
        resolver=_artist_like_count, graphql_type=int, description="How many users like them."
    )
    viewer_has_liked: AwaitableOrValue[bool] = strawberry.field(
        resolver=_artist_viewer_has_liked,
        graphql_type=bool,
        description="Whether you like them.",
    )
    artist_id: strawberry.Private[uuid.UUID]
    artwork_hash: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: ArtistRecord) -> Artist:
        """The GraphQL view of an artist row."""
        return cls(
            id=str(record.id),
            artist_id=record.id,
            name=record.name,
            album_count=record.album_count,
            track_count=record.track_count,
            artwork_hash=record.artwork_hash,
        )


@strawberry.type(
    name="ArtistConnection", description="A page of artists (Relay connection, keyset cursors)."
)
class ArtistConnection(relay.Connection[Artist]):
    """A page of artists; ``totalCount`` is counted only when asked for."""

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="How many artists the whole list holds (search applied)."
    )
    async def total_count(self) -> int:
        """Run the count query lazily: most page requests do not ask for it."""
        return await self.total_count_loader()


# Linked fields resolve at once when the request's loaders already hold their values (see
# ``resolvers/loading.py``), so their resolvers are not coroutines and the GraphQL type is
# given as ``graphql_type``.
def _album_artists(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[list[Artist]]:
    from tonearm.resolvers.albums import resolve_album_artists

    return resolve_album_artists(info, root)


def _album_tracks(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[list[Track]]:
    from tonearm.resolvers.albums import resolve_album_tracks

    return resolve_album_tracks(info, root)


def _album_cover(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[CoverArt | None]:
    from tonearm.resolvers.covers import resolve_cover

    return resolve_cover(info, root.artwork_hash)


def _album_viewer_role(
    root: strawberry.Parent[Album], info: Info
) -> AwaitableOrValue[CollaboratorRole | None]:
    from tonearm.resolvers.collaborators import resolve_album_viewer_role

    return resolve_album_viewer_role(info, root)


def _album_can_edit(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.collaborators import resolve_album_can_edit

    return resolve_album_can_edit(info, root)


async def _album_collaborators(root: strawberry.Parent[Album], info: Info) -> list[Collaborator]:
    from tonearm.resolvers.collaborators import resolve_album_collaborators

    return await resolve_album_collaborators(info, root)


def _album_like_count(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[int]:
    from tonearm.resolvers.likes import resolve_like_count

    return resolve_like_count(info, LikeKind.ALBUM, root.album_id)


def _album_viewer_has_liked(root: strawberry.Parent[Album], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.likes import resolve_viewer_has_liked

    return resolve_viewer_has_liked(info, LikeKind.ALBUM, root.album_id)


async def _album_comments(
    root: strawberry.Parent[Album],
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
) -> Annotated[CommentConnection, strawberry.lazy(SOCIAL_TYPES)]:
    from tonearm.resolvers.comments import resolve_comments
    from tonearm.social.comments import CommentKind

    return await resolve_comments(info, CommentKind.ALBUM, root.album_id, first, after)


@strawberry.type(description="An album: the tracks that share one album identity.")
class Album(relay.Node):
    """One album of the library; counts and duration are kept up to date by the scan."""

    id: relay.NodeID[str]
    title: str = strawberry.field(description="Album title, as most of its tracks tag it.")
    artist_credit: str = strawberry.field(
        description='Display string, e.g. "Simon & Garfunkel" or "Various Artists".'
    )
    artists: AwaitableOrValue[list[Artist]] = strawberry.field(
        resolver=_album_artists,
        graphql_type=list[Artist],
        description="The album artists, in credit order.",
    )
    year: int | None = strawberry.field(description="Release year, as most of its tracks tag it.")
    is_compilation: bool = strawberry.field(
        description="Whether its tracks are flagged as a compilation (TCMP, cpil, COMPILATION)."
    )
    disc_count: int = strawberry.field(description="Highest disc number of its tracks.")
    track_count: int = strawberry.field(description="Number of published tracks.")
    duration_seconds: float = strawberry.field(description="Playing time of its published tracks.")
    genres: list[str] = strawberry.field(description="Genres of its tracks, most common first.")
    tracks: AwaitableOrValue[list[Track]] = strawberry.field(
        resolver=_album_tracks,
        graphql_type=list[Track],
        description="Its tracks: by disc, then track number, then title.",
    )
    cover_art: AwaitableOrValue[CoverArt | None] = strawberry.field(
        resolver=_album_cover,
        graphql_type=CoverArt | None,
        description="The album's cover; null when it has none.",
    )
    created_at: datetime = strawberry.field(description="When the album was first registered.")
    viewer_role: AwaitableOrValue[CollaboratorRole | None] = strawberry.field(
        resolver=_album_viewer_role,
        graphql_type=CollaboratorRole | None,
        description="Your role on the album (admins: OWNER), or null.",
    )
    can_edit: AwaitableOrValue[bool] = strawberry.field(
        resolver=_album_can_edit,
        graphql_type=bool,
        description=(
            "Whether updateAlbum would change anything for you: an album role of EDITOR or "
            "OWNER, or a track of it you may edit (admins: always)."
        ),
    )
    collaborators: list[Collaborator] = strawberry.field(
        resolver=_album_collaborators,
        description="Who has a role on the album; only for its owners and admins, else empty.",
    )
    like_count: AwaitableOrValue[int] = strawberry.field(
        resolver=_album_like_count, graphql_type=int, description="How many users like it."
    )
    viewer_has_liked: AwaitableOrValue[bool] = strawberry.field(
        resolver=_album_viewer_has_liked, graphql_type=bool, description="Whether you like it."
    )
    comments: Annotated[CommentConnection, strawberry.lazy(SOCIAL_TYPES)] = strawberry.field(
        resolver=_album_comments,
        graphql_type=Annotated["CommentConnection", strawberry.lazy(SOCIAL_TYPES)],
        description="Comments on the album, newest first (default 20, at most 100 per page).",
    )
    album_id: strawberry.Private[uuid.UUID]
    artwork_hash: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: AlbumRecord) -> Album:
        """The GraphQL view of an album row."""
        return cls(
            id=str(record.id),
            album_id=record.id,
            title=record.title,
            artist_credit=record.artist_credit,
            year=record.year,
            is_compilation=record.is_compilation,
            disc_count=record.disc_count,
            track_count=record.track_count,
            duration_seconds=record.duration_seconds,
            genres=list(record.genres or []),
            created_at=record.created_at,
            artwork_hash=record.artwork_hash,
        )


@strawberry.type(name="AlbumEdge", description="An album in a connection, and how it got there.")
class AlbumEdge(relay.Edge[Album]):
    """An edge of ``AlbumConnection``."""

    is_appearance: bool = strawberry.field(
        default=False,
        description=(
            "On Artist.albums: true when the artist only appears on tracks of this album "
            "(a compilation or a guest spot), not as an album artist. Always false on "
            "Query.albums."
        ),
    )


@strawberry.type(
    name="AlbumConnection", description="A page of albums (Relay connection, keyset cursors)."
)
class AlbumConnection(relay.Connection[Album]):
    """A page of albums; ``totalCount`` is counted only when asked for."""

    # Its own edge type (with ``isAppearance``) in place of the generic one.
    edges: list[AlbumEdge] = strawberry.field(  # type: ignore[assignment]
        description="Contains the nodes in this connection"
    )
    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="How many albums the whole list holds (search applied)."
    )
    async def total_count(self) -> int:
        """Run the count query lazily: most page requests do not ask for it."""
        return await self.total_count_loader()
