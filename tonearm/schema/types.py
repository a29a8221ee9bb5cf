"""GraphQL object types. Rows become these at the boundary (``Track.from_record``)."""

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
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.origins import TrackOrigin
from tonearm.catalog.pagination import TrackOrder
from tonearm.catalog.queries import LibraryTotals
from tonearm.catalog.rows import overridden_fields
from tonearm.catalog.states import TrackState
from tonearm.db.models import TrackRecord
from tonearm.library.summary import ScanSummary, SkippedFile, UnresolvedEntry
from tonearm.paths import display_path
from tonearm.schema.collaborator_types import Collaborator
from tonearm.schema.context import Context
from tonearm.schema.scalars import Long
from tonearm.schema.variant_types import (
    AudioVariant,
    BitrateTooLowError,
    FormatNotOfferedError,
    RetriedVariant,
    VariantNotFailedError,
    VariantNotOfferedError,
)

if TYPE_CHECKING:
    from tonearm.schema.library_types import Album, Artist, CoverArt
    from tonearm.schema.social_types import CommentConnection

# ``library_types`` imports this module (an album lists its tracks): its types are lazy here.
LIBRARY_TYPES = "tonearm.schema.library_types"
SOCIAL_TYPES = "tonearm.schema.social_types"
Info = strawberry.Info[Context, None]

strawberry.enum(
    TrackOrder,
    name="TrackOrder",
    description=(
        "Sort orders for the track list. ARTIST (the default): album artist (or artist), "
        "album, disc, track number, title. TITLE: title, leading article ignored. "
        "RECENTLY_ADDED: newest in the registry first. DURATION: shortest first. "
        "POPULAR: most popular first (plays and likes, recent ones weighing more; ties by "
        "id, descending like the score)."
    ),
)

strawberry.enum(
    TrackState,
    name="TrackState",
    description=(
        "Whether a track is there for listeners. AVAILABLE: its file is there. MISSING: its "
        "file was gone at a rescan (hidden from everyone; its likes, plays and playlist "
        "entries are kept until the file comes back, turns up elsewhere, or it is purged). "
        "TRASHED: someone deleted it (in the trash until restored or purged)."
    ),
)


# Linked fields resolve at once when the request's loaders already hold their values (see
# ``resolvers/loading.py``), so their resolvers are not coroutines and the GraphQL type is
# given as ``graphql_type``.
def _track_album(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[Album | None]:
    from tonearm.resolvers.albums import resolve_track_album

    return resolve_track_album(info, root.album_id)


def _track_artists(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[list[Artist]]:
    from tonearm.resolvers.artists import resolve_track_artists

    return resolve_track_artists(info, root.track_id)


def _track_variants(
    root: strawberry.Parent[Track], info: Info
) -> AwaitableOrValue[list[AudioVariant]]:
    from tonearm.resolvers.variants import resolve_track_variants

    return resolve_track_variants(info, root)


def _track_cover(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[CoverArt | None]:
    from tonearm.resolvers.covers import resolve_album_cover

    return resolve_album_cover(info, root.album_id)


def _track_viewer_role(
    root: strawberry.Parent[Track], info: Info
) -> AwaitableOrValue[CollaboratorRole | None]:
    from tonearm.resolvers.collaborators import resolve_track_viewer_role

    return resolve_track_viewer_role(info, root)


def _track_can_edit(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.collaborators import resolve_track_can_edit

    return resolve_track_can_edit(info, root)


async def _track_collaborators(root: strawberry.Parent[Track], info: Info) -> list[Collaborator]:
    from tonearm.resolvers.collaborators import resolve_track_collaborators

    return await resolve_track_collaborators(info, root)


def _track_like_count(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[int]:
    from tonearm.resolvers.likes import resolve_like_count
    from tonearm.social.likes import LikeKind

    return resolve_like_count(info, LikeKind.TRACK, root.track_id)


def _track_viewer_has_liked(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[bool]:
    from tonearm.resolvers.likes import resolve_viewer_has_liked
    from tonearm.social.likes import LikeKind

    return resolve_viewer_has_liked(info, LikeKind.TRACK, root.track_id)


def _track_viewer_play_count(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[int]:
    from tonearm.resolvers.plays import resolve_viewer_play_count

    return resolve_viewer_play_count(info, root.track_id)


def _track_last_played_at(
    root: strawberry.Parent[Track], info: Info
) -> AwaitableOrValue[datetime | None]:
    from tonearm.resolvers.plays import resolve_last_played_at

    return resolve_last_played_at(info, root.track_id)


def _track_state(root: strawberry.Parent[Track], info: Info) -> AwaitableOrValue[TrackState | None]:
    from tonearm.resolvers.missing import resolve_track_state

    return resolve_track_state(info, root)


def _track_missing_since(
    root: strawberry.Parent[Track], info: Info
) -> AwaitableOrValue[datetime | None]:
    from tonearm.resolvers.missing import resolve_track_missing_since

    return resolve_track_missing_since(info, root)


async def _track_comments(
    root: strawberry.Parent[Track],
    info: Info,
    first: int | None = UNSET,
    after: str | None = UNSET,
) -> Annotated[CommentConnection, strawberry.lazy(SOCIAL_TYPES)]:
    from tonearm.resolvers.comments import resolve_comments
    from tonearm.social.comments import CommentKind

    return await resolve_comments(info, CommentKind.TRACK, root.track_id, first, after)


@strawberry.type(description="An audio file in the registry: its tags and stream facts.")
class Track(relay.Node):
    """One registered track. The file's path on the server is deliberately not exposed."""

    id: relay.NodeID[str]
    title: str = strawberry.field(description="Title tag, or the file name without a tag.")
    artist: str | None = strawberry.field(
        description="The track artist credit as tagged (for display)."
    )
    artists: AwaitableOrValue[list[Annotated[Artist, strawberry.lazy(LIBRARY_TYPES)]]] = (
        strawberry.field(
            resolver=_track_artists,
            graphql_type=list[Annotated["Artist", strawberry.lazy(LIBRARY_TYPES)]],
            description="The main, then featured artists of the track, in credit order.",
        )
    )
    album: AwaitableOrValue[Annotated[Album, strawberry.lazy(LIBRARY_TYPES)] | None] = (
        strawberry.field(
            resolver=_track_album,
            graphql_type=Annotated["Album", strawberry.lazy(LIBRARY_TYPES)] | None,
            description="The album the track belongs to; null for a track without an album tag.",
        )
    )
    album_artist: str | None = strawberry.field(description="The album artist credit as tagged.")
    album_title: str | None = strawberry.field(
        description=(
            "The album title as tagged (edits applied), even when the album itself cannot "
            "be shown (all its tracks missing or in the trash)."
        )
    )
    track_number: int | None = strawberry.field(description="Position on the disc.")
    disc_number: int | None = strawberry.field(description="Disc number within the album.")
    disc_subtitle: str | None = strawberry.field(description="Title of the disc, when tagged.")
    year: int | None = strawberry.field(description="Release year.")
    genre: str | None = strawberry.field(description="Genre tag.")
    duration_seconds: float = strawberry.field(description="Playing time in seconds.")
    format: AudioFormat = strawberry.field(description="The codec of the audio.")
    bitrate: int | None = strawberry.field(description="Average bitrate in bits per second.")
    bit_depth: int | None = strawberry.field(
        description="Bits per sample for lossless formats, else null."
    )
    sample_rate: int | None = strawberry.field(description="Sample rate in Hz.")
    channels: int | None = strawberry.field(description="Number of audio channels.")
    size_bytes: Long = strawberry.field(description="File size in bytes (64-bit).")
    mime_type: str = strawberry.field(description="Media type the file is streamed as.")
    created_at: datetime = strawberry.field(description="When the track was first registered.")
    updated_at: datetime = strawberry.field(description="When the registry last changed it.")
    cover_art: AwaitableOrValue[Annotated[CoverArt, strawberry.lazy(LIBRARY_TYPES)] | None] = (
        strawberry.field(
            resolver=_track_cover,
            graphql_type=Annotated["CoverArt", strawberry.lazy(LIBRARY_TYPES)] | None,
            description="The album's cover; null when there is none.",
        )
    )
    variants: AwaitableOrValue[list[AudioVariant]] = strawberry.field(
        resolver=_track_variants,
        graphql_type=list[AudioVariant],
        description=(
            "Every version the track offers, made or not: the original first (always "
            "READY), then MP3 at the source's bitrate (at most 320 kbps) and Opus at "
            "96, 160 and 320 kbps, never above the source's bitrate."
        ),
    )
    is_published: bool = strawberry.field(
        description="Whether everyone sees it; unpublished, only its collaborators and admins do."
    )
    is_explicit: bool = strawberry.field(description="Marked as explicit.")
    lyrics: str | None = strawberry.field(description="Lyrics, when someone added them.")
    overridden_fields: list[str] = strawberry.field(
        description=(
            "TrackInput field names whose value comes from an edit, not from the file "
            "(scanned tracks: a rescan keeps them). Empty for uploads, whose file carries "
            "the edits."
        )
    )
    is_upload: bool = strawberry.field(
        description="Uploaded through the API (else scanned from the media root)."
    )
    viewer_role: AwaitableOrValue[CollaboratorRole | None] = strawberry.field(
        resolver=_track_viewer_role,
        graphql_type=CollaboratorRole | None,
        description="Your role on the track (its own or its album's; admins: OWNER), or null.",
    )
    can_edit: AwaitableOrValue[bool] = strawberry.field(
        resolver=_track_can_edit,
        graphql_type=bool,
        description="Whether you may change its fields (owners, editors and admins).",
    )
    collaborators: list[Collaborator] = strawberry.field(
        resolver=_track_collaborators,
        description=(
            "Who has a role on the track, album owners included (inherited); only for its "
            "owners and admins, empty for everyone else."
        ),
    )
    like_count: AwaitableOrValue[int] = strawberry.field(
        resolver=_track_like_count, graphql_type=int, description="How many users like it."
    )
    viewer_has_liked: AwaitableOrValue[bool] = strawberry.field(
        resolver=_track_viewer_has_liked, graphql_type=bool, description="Whether you like it."
    )
    play_count: int = strawberry.field(description="Everyone's counted plays of it.")
    viewer_play_count: AwaitableOrValue[int] = strawberry.field(
        resolver=_track_viewer_play_count,
        graphql_type=int,
        description="Your counted plays of it.",
    )
    last_played_at: AwaitableOrValue[datetime | None] = strawberry.field(
        resolver=_track_last_played_at,
        graphql_type=datetime | None,
        description="When your latest counted play of it started; null if you never played it.",
    )
    comments: Annotated[CommentConnection, strawberry.lazy(SOCIAL_TYPES)] = strawberry.field(
        resolver=_track_comments,
        graphql_type=Annotated["CommentConnection", strawberry.lazy(SOCIAL_TYPES)],
        description="Comments on the track, newest first (default 20, at most 100 per page).",
    )
    state: AwaitableOrValue[TrackState | None] = strawberry.field(
        resolver=_track_state,
        graphql_type=TrackState | None,
        description=(
            "Whether the track is available, missing or in the trash; null unless you are "
            "an admin or an owner of the track."
        ),
    )
    missing_since: AwaitableOrValue[datetime | None] = strawberry.field(
        resolver=_track_missing_since,
        graphql_type=datetime | None,
        description=(
            "When a missing track's file was found gone; null when it is not missing, or "
            "unless you are an admin or an owner of the track."
        ),
    )
    track_id: strawberry.Private[uuid.UUID]
    album_id: strawberry.Private[uuid.UUID | None]
    mtime_ns: strawberry.Private[int]
    state_value: strawberry.Private[str] = TrackState.AVAILABLE.value
    state_changed_at: strawberry.Private[datetime | None] = None

    @strawberry.field(  # type: ignore[untyped-decorator]
        description=(
            "A signed URL for the viewer to stream this track: the same per-user, per-track "
            "token with the same lifetime as createStreamUrl mints, so a player can start "
            "without another request. Minted only when asked for."
        ),
    )
    def stream_url(self, info: Info) -> StreamUrl:
        """Minted by ``resolvers.streams`` (imported here: it imports this module)."""
        from tonearm.catalog.variants import SourceAudio
        from tonearm.resolvers.streams import resolve_track_stream_url

        source = SourceAudio(self.format, self.bitrate, self.mime_type, self.channels)
        return resolve_track_stream_url(info, self.id, source)

    @classmethod
    def from_record(cls, record: TrackRecord) -> Track:
        """The GraphQL view of a registry row."""
        return cls(
            id=str(record.id),
            track_id=record.id,
            album_id=record.album_id,
            mtime_ns=record.mtime_ns,
            title=record.title,
            artist=record.artist,
            album_artist=record.album_artist,
            album_title=record.album,
            track_number=record.track_number,
            disc_number=record.disc_number,
            disc_subtitle=record.disc_subtitle,
            year=record.year,
            genre=record.genre,
            duration_seconds=record.duration_seconds,
            format=AudioFormat(record.format),
            bitrate=record.bitrate,
            bit_depth=record.bit_depth,
            sample_rate=record.sample_rate,
            channels=record.channels,
            size_bytes=Long(record.size_bytes),
            mime_type=record.mime_type,
            created_at=record.created_at,
            updated_at=record.updated_at,
            is_published=record.is_published,
            is_explicit=record.is_explicit,
            lyrics=record.lyrics,
            play_count=record.play_count,
            state_value=record.state,
            state_changed_at=record.state_changed_at,
            is_upload=record.origin == TrackOrigin.UPLOAD,
            overridden_fields=[]
            if record.origin == TrackOrigin.UPLOAD
            else overridden_fields(record.overrides),
        )


@strawberry.type(
    name="TrackConnection", description="A page of tracks (Relay connection, keyset cursors)."
)
class TrackConnection(relay.Connection[Track]):
    """A page of the track list; ``totalCount`` is counted only when asked for."""

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="How many tracks the whole list holds (search applied)."
    )
    async def total_count(self) -> int:
        """Run the count query lazily: most page requests do not ask for it."""
        return await self.total_count_loader()


@strawberry.type(description="Totals over the whole registry.")
class LibraryStats:
    """Library-wide counts."""

    track_count: int = strawberry.field(description="Number of tracks.")
    artist_count: int = strawberry.field(
        description="Artists credited as a main, featured or album artist (as Query.artists)."
    )
    album_count: int = strawberry.field(description="Albums (as Query.albums).")
    total_duration_seconds: float = strawberry.field(description="Playing time of all tracks.")

    @classmethod
    def from_totals(cls, totals: LibraryTotals) -> LibraryStats:
        """The GraphQL view of the catalog's totals."""
        return cls(
            track_count=totals.track_count,
            artist_count=totals.artist_count,
            album_count=totals.album_count,
            total_duration_seconds=totals.total_duration_seconds,
        )


@strawberry.type(description="A signed, expiring URL that streams one track.")
class StreamUrl:
    """Where the player fetches audio from, and until when."""

    url: str = strawberry.field(description="Server-relative: /api/tracks/<uuid>/stream?token=...")
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    format: AudioFormat = strawberry.field(description="The codec the URL streams.")
    bitrate_kbps: int | None = strawberry.field(
        description="Its bitrate in kbps (an original's average; null when unknown)."
    )
    mime_type: str = strawberry.field(description="The media type it is streamed as.")


@strawberry.type(description="No track has the given ID.")
class TrackNotFoundError:
    """The result of asking for a stream of a track that is not (or no longer) registered."""

    message: str = strawberry.field(description="What went wrong, for people.")
    track_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


CreateStreamUrlResult = Annotated[
    StreamUrl | TrackNotFoundError | FormatNotOfferedError | BitrateTooLowError,
    strawberry.union("CreateStreamUrlResult", description="A stream URL, or why there is none."),
]


RetryVariantResult = Annotated[
    RetriedVariant | VariantNotFailedError | VariantNotOfferedError | TrackNotFoundError,
    strawberry.union("RetryVariantResult", description="The variant queued again, or why not."),
]


def _shown_path(root: strawberry.Parent[SkippedFile]) -> str:
    return display_path(root.path)


@strawberry.type(name="SkippedFile", description="A file the scan did not register.")
class SkippedFileType:
    """GraphQL's view of ``library.summary.SkippedFile``, which is what resolvers return."""

    path: str = strawberry.field(
        resolver=_shown_path,
        description=(
            "Path relative to the media root, for reading: bytes of the name that are not "
            "UTF-8, and control characters, are shown as U+FFFD."
        ),
    )
    reason: str = strawberry.field(description="Why the file was skipped.")

    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        """Values of this type are the scanner's own ``SkippedFile`` records."""
        return isinstance(obj, SkippedFile)


@strawberry.type(
    name="UnresolvedPlaylistEntry",
    description="An entry of a playlist file in the media root that names no track.",
)
class UnresolvedPlaylistEntryType:
    """GraphQL's view of ``library.summary.UnresolvedEntry`` (display text already)."""

    playlist: str = strawberry.field(
        description="The playlist file's path relative to the media root, for reading."
    )
    entry: str = strawberry.field(
        description=(
            "What the entry says, for reading (an absolute path is shown relative to the "
            "media root, or by its file name when outside it)."
        )
    )
    reason: str = strawberry.field(description="Why it names no track.")

    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        """Values of this type are the scanner's own ``UnresolvedEntry`` records."""
        return isinstance(obj, UnresolvedEntry)


def _unresolved_examples(root: strawberry.Parent[ScanSummary]) -> list[UnresolvedEntry]:
    return root.unresolved_examples


def _skipped_count(root: strawberry.Parent[ScanSummary]) -> int:
    return len(root.skipped)


def _skipped_files(root: strawberry.Parent[ScanSummary]) -> list[SkippedFile]:
    return root.skipped


@strawberry.type(name="ScanSummary", description="What a scan of the media root did.")
class ScanSummaryType:
    """GraphQL's view of ``library.summary.ScanSummary``, which is what resolvers return.

    Fields are read off the scanner's record; only what GraphQL adds (a count beside the
    list of skipped files) is resolved here.
    """

    added: int = strawberry.field(description="New tracks registered.")
    updated: int = strawberry.field(description="Known tracks whose file changed.")
    unchanged: int = strawberry.field(description="Known tracks whose file did not change.")
    removed: int = strawberry.field(
        description="Tracks whose file is gone (now marked missing, never deleted: as missing)."
    )
    missing: int = strawberry.field(
        description=(
            "Tracks whose file is gone, marked missing by this scan (hidden; their likes, "
            "plays and playlist entries kept)."
        )
    )
    reattached: int = strawberry.field(
        description=(
            "Missing tracks found again: their file back at the same path, or a new file "
            "with the same content or MusicBrainz track id (same id and history)."
        )
    )
    ambiguous_matches: int = strawberry.field(
        description=(
            "New files that matched several missing tracks: none was re-attached, each "
            "was registered as a new track."
        )
    )
    skipped: int = strawberry.field(
        resolver=_skipped_count, description="Files that could not be registered."
    )
    skipped_files: list[SkippedFile] = strawberry.field(
        resolver=_skipped_files,
        graphql_type=list[SkippedFileType],
        description="The skipped files.",
    )
    elapsed_seconds: float = strawberry.field(description="How long the scan took.")
    unresolved_entries: int = strawberry.field(
        name="unresolvedPlaylistEntries",
        description="Entries of playlist files read by this scan that name no track.",
    )
    unresolved_examples: list[UnresolvedEntry] = strawberry.field(
        name="unresolvedPlaylistEntryExamples",
        resolver=_unresolved_examples,
        graphql_type=list[UnresolvedPlaylistEntryType],
        description="The first of them (at most 20).",
    )

    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        """Values of this type are the scanner's own ``ScanSummary`` records."""
        return isinstance(obj, ScanSummary)
