"""Shares in GraphQL: the owner's ``Share``, the public ``SharedItem`` and their refusals.

The public types (``SharedTrack``, ``SharedAlbum``, ``SharedPlaylist``) are trimmed views
built from ``shares.queries.SharedView``: a listener without an account sees titles,
durations and covers of the share's target, and nothing that links on into the library.
Their cover URLs carry a token bound to the share and the cover (``shares.cookies``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry

from tonearm.db.models import ShareRecord, TrackRecord
from tonearm.schema.bound_covers import BoundCover
from tonearm.schema.ids import (
    ALBUM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    SHARE_TYPE_NAME,
    TRACK_TYPE_NAME,
    global_id,
)
from tonearm.schema.library_types import Album
from tonearm.schema.playlist_types import Playlist
from tonearm.schema.types import StreamUrl, Track, TrackNotFoundError
from tonearm.shares.access import ShareKind
from tonearm.shares.cookies import ART_PARAM, ShareSigner
from tonearm.shares.keys import share_path
from tonearm.shares.quality import ShareQuality
from tonearm.shares.queries import SharedView

ShareQualityType = strawberry.enum(
    ShareQuality,
    name="ShareQuality",
    description=(
        "What a share streams: the original, or at most this variant (Opus 96/160/320 kbps, "
        "MP3 at the source's bitrate up to 320). A track offering nothing of that format "
        "gets its best version within the bitrate, else its original."
    ),
)

SharedObject = Annotated[
    Track | Album | Playlist,
    strawberry.union("SharedObject", description="What a share points at (as you see it)."),
]


@strawberry.type(description="A link that lets anyone holding its key listen to its target.")
class Share:
    """The owner's view of one share, with its audit counters."""

    id: strawberry.ID = strawberry.field(description="Its global ID (for revokeShare).")
    key: str = strawberry.field(description="The secret part of the link (192 random bits).")
    url: str = strawberry.field(
        description="The public page: /s/<key>, joined with the request's origin when known."
    )
    description: str | None = strawberry.field(description="Shown on the public page.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    has_password: bool = strawberry.field(description="Whether the page asks for a password.")
    max_plays: int | None = strawberry.field(description="Plays allowed in all; null: no limit.")
    allow_download: bool = strawberry.field(description="Whether the page offers downloads.")
    quality: ShareQualityType | None = strawberry.field(  # type: ignore[valid-type]
        description="What it streams (ORIGINAL: the files as they are)."
    )
    visit_count: int = strawberry.field(description="How often the page was opened.")
    play_count: int = strawberry.field(description="Stream URLs minted through it.")
    last_visited_at: datetime | None = strawberry.field(description="The latest visit.")
    is_revoked: bool = strawberry.field(description="Whether it was revoked.")
    created_at: datetime = strawberry.field(description="When it was made.")
    kind: strawberry.Private[ShareKind]
    target_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="What it points at, as you see it; null when you cannot.")  # type: ignore[untyped-decorator]
    async def target(self, info: strawberry.Info[Any, None]) -> SharedObject | None:
        """The target through the request's loaders (``resolvers/shares.py``)."""
        from tonearm.resolvers.shares import resolve_share_target

        return await resolve_share_target(self, info)

    @classmethod
    def from_record(cls, record: ShareRecord, *, origin: str | None) -> Share:
        """The GraphQL view of a share row; ``origin`` makes the URL absolute."""
        path = share_path(record.key)
        return cls(
            id=strawberry.ID(global_id(SHARE_TYPE_NAME, record.id)),
            key=record.key,
            url=f"{origin}{path}" if origin else path,
            description=record.description,
            expires_at=record.expires_at,
            has_password=record.password_hash is not None,
            max_plays=record.max_plays,
            allow_download=record.allow_download,
            quality=ShareQuality.from_stored(record.quality),
            visit_count=record.visit_count,
            play_count=record.play_count,
            last_visited_at=record.last_visited_at,
            is_revoked=record.revoked_at is not None,
            created_at=record.created_at,
            kind=ShareKind(record.kind),
            target_id=record.target_id,
        )


@strawberry.type(description="One edge of ShareConnection.")
class ShareEdge:
    """A share and its cursor."""

    cursor: str = strawberry.field(description="Where this edge is, for after:.")
    node: Share = strawberry.field(description="The share.")


@strawberry.type(description="A page of your shares, newest first.")
class ShareConnection:
    """Keyset cursors; ``totalCount`` is counted only when asked for."""

    page_info: strawberry.relay.PageInfo = strawberry.field(description="Where the page is.")
    edges: list[ShareEdge] = strawberry.field(description="The edges of the page.")
    total_count_loader: strawberry.Private[object]

    @strawberry.field(description="How many shares the whole list holds.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()  # type: ignore[operator,no-any-return]


@strawberry.type(description="A track as a share's page shows it.")
class SharedTrack:
    """Title, credit, album title, duration and cover: nothing that links further."""

    id: strawberry.ID = strawberry.field(
        description="The track's global ID (createShareStreamUrl)."
    )
    title: str = strawberry.field(description="Its title.")
    artist: str | None = strawberry.field(description="Its artist credit.")
    album: str | None = strawberry.field(description="Its album's title.")
    duration_seconds: float = strawberry.field(description="Its length in seconds.")
    cover: strawberry.Private[BoundCover]

    @strawberry.field(description="Its album's cover at the nearest size (null: none).")  # type: ignore[untyped-decorator]
    def cover_url(self, size: int = 300) -> str | None:
        """A share-bound URL of the cover."""
        return self.cover.url(size)


@strawberry.type(description="An album as a share's page shows it.")
class SharedAlbum:
    """The album's title, credit, year, cover and the tracks the share grants."""

    id: strawberry.ID = strawberry.field(description="The album's global ID.")
    title: str = strawberry.field(description="Its title.")
    artist_credit: str = strawberry.field(description="Its album artist credit.")
    year: int | None = strawberry.field(description="Its year.")
    tracks: list[SharedTrack] = strawberry.field(description="Its tracks in order.")
    cover: strawberry.Private[BoundCover]

    @strawberry.field(description="Its cover at the nearest size (null: none).")  # type: ignore[untyped-decorator]
    def cover_url(self, size: int = 300) -> str | None:
        """A share-bound URL of the cover."""
        return self.cover.url(size)


@strawberry.type(description="A playlist as a share's page shows it.")
class SharedPlaylist:
    """The playlist's name, cover and the tracks the share grants (at most 1,000)."""

    id: strawberry.ID = strawberry.field(description="The playlist's global ID.")
    name: str = strawberry.field(description="Its name.")
    tracks: list[SharedTrack] = strawberry.field(description="Its tracks in order.")
    cover: strawberry.Private[BoundCover]

    @strawberry.field(description="Its cover at the nearest size (null: none).")  # type: ignore[untyped-decorator]
    def cover_url(self, size: int = 300) -> str | None:
        """A share-bound URL of the cover."""
        return self.cover.url(size)


SharedTarget = Annotated[
    SharedTrack | SharedAlbum | SharedPlaylist,
    strawberry.union("SharedTarget", description="A share's target, trimmed for the public."),
]


@strawberry.type(description="What a share's page shows.")
class SharedItem:
    """The public answer of ``sharedItem``."""

    description: str | None = strawberry.field(description="The owner's note.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    allow_download: bool = strawberry.field(description="Whether to offer downloads.")
    target: SharedTarget = strawberry.field(description="The shared track, album or playlist.")

    @classmethod
    def from_view(cls, view: SharedView, signer: ShareSigner) -> SharedItem:
        """The public view of a live share's page."""
        share = view.share

        def cover(artwork: str | None) -> BoundCover:
            sizes = view.cover_sizes.get(artwork, ()) if artwork else ()
            return BoundCover(
                signer.art_tokens, ART_PARAM, share.id, artwork if sizes else None, sizes
            )

        def track(record: TrackRecord) -> SharedTrack:
            return SharedTrack(
                id=strawberry.ID(global_id(TRACK_TYPE_NAME, record.id)),
                title=record.title,
                artist=record.artist,
                album=record.album,
                duration_seconds=record.duration_seconds,
                cover=cover(view.cover_of_track(record)),
            )

        tracks = [track(record) for record in view.tracks]
        target: SharedTrack | SharedAlbum | SharedPlaylist
        if view.album is not None:
            target = SharedAlbum(
                id=strawberry.ID(global_id(ALBUM_TYPE_NAME, view.album.id)),
                title=view.album.title,
                artist_credit=view.album.artist_credit,
                year=view.album.year,
                tracks=tracks,
                cover=cover(view.target_cover),
            )
        elif view.playlist is not None:
            target = SharedPlaylist(
                id=strawberry.ID(global_id(PLAYLIST_TYPE_NAME, view.playlist.id)),
                name=view.playlist.name,
                tracks=tracks,
                cover=cover(view.target_cover),
            )
        else:
            target = tracks[0]
        return cls(
            description=share.description,
            expires_at=share.expires_at,
            allow_download=share.allow_download,
            target=target,
        )


@strawberry.input(description="A new share of a track, album or playlist you can see.")
class CreateShareInput:
    """What ``createShare`` takes; everything but the target is optional."""

    target_id: strawberry.ID = strawberry.field(description="A Track, Album or Playlist ID.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="Default: 7 days from now; at most TONEARM_SHARE_MAX_DAYS."
    )
    password: str | None = strawberry.field(
        default=None, description="Asked for before anything is shown (1 to 1,024 characters)."
    )
    max_plays: int | None = strawberry.field(default=None, description="Plays allowed in all.")
    allow_download: bool | None = strawberry.field(
        default=False, description="Offer a download link (default false)."
    )
    quality: ShareQualityType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Force a quality (default: the original)."
    )
    description: str | None = strawberry.field(
        default=None, description="A note for the page (at most 500 characters)."
    )


@strawberry.type(description="No share link answers to this: unknown, expired or revoked.")
class ShareNotFound:
    """Every reason a key does not open anything gives exactly this answer."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The share has a password, and this request did not unlock it.")
class SharePasswordRequired:
    """Ask for the password (again, when ``wrongPassword``)."""

    message: str = strawberry.field(description="What to do, for people.")
    wrong_password: bool = strawberry.field(description="A password was sent and was wrong.")
    retry_after_seconds: int | None = strawberry.field(
        description="Too many wrong passwords: wait this long before the next try."
    )


@strawberry.type(description="The share's plays are used up.")
class SharePlaysExhausted:
    """``maxPlays`` stream URLs were minted already."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="No track, album or playlist you can see has this ID.")
class ShareTargetNotFoundError:
    """The target to share does not exist, or you may not see it."""

    message: str = strawberry.field(description="What went wrong, for people.")
    target_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="A share input the rules refuse.")
class InvalidShareInputError:
    """Which input, and why."""

    message: str = strawberry.field(description="What went wrong, for people.")
    field: str = strawberry.field(description="The input field at fault (e.g. expiresAt).")


CreateShareResult = Annotated[
    Share | ShareTargetNotFoundError | InvalidShareInputError,
    strawberry.union("CreateShareResult", description="The new share, or why there is none."),
]
RevokeShareResult = Annotated[
    Share | ShareNotFound,
    strawberry.union("RevokeShareResult", description="The revoked share, or not found."),
]
SharedItemResult = Annotated[
    SharedItem | SharePasswordRequired | ShareNotFound,
    strawberry.union("SharedItemResult", description="The shared item, or why not."),
]
CreateShareStreamUrlResult = Annotated[
    StreamUrl | ShareNotFound | SharePasswordRequired | TrackNotFoundError | SharePlaysExhausted,
    strawberry.union(
        "CreateShareStreamUrlResult", description="A stream URL through the share, or why not."
    ),
]
