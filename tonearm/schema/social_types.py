"""GraphQL types of what listeners do: likes, plays and history, most played, comments.

Rows become these at the boundary (``Comment.from_row``, ``Play.from_record``); fields that
follow a link (a like's item, a play's track) resolve through the request's DataLoaders in
``resolvers/likes.py`` and ``resolvers/plays.py``, imported when first called.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from tonearm.db.models import PlayRecord
from tonearm.schema.collaborator_types import EditNotAllowedError, PublicUser
from tonearm.schema.context import Context
from tonearm.schema.ids import COMMENT_TYPE_NAME, global_id, play_global_id
from tonearm.schema.library_types import Album, Artist
from tonearm.schema.playlist_types import Playlist
from tonearm.schema.types import Track, TrackNotFoundError
from tonearm.social.comments import CommentRow
from tonearm.social.likes import LikeKind
from tonearm.social.plays import PlayRejection
from tonearm.social.top import PlayPeriod, PlayScope

Info = strawberry.Info[Context, None]

strawberry.enum(LikeKind, name="LikeKind", description="What a like is of.")
strawberry.enum(
    PlayPeriod,
    name="PlayPeriod",
    description="A rolling period ending now: the last 7, 30 or 365 days, or every play.",
)
strawberry.enum(PlayScope, name="PlayScope", description="Whose plays count: yours, or everyone's.")
strawberry.enum(
    PlayRejection,
    name="ImplausiblePlayReason",
    description=(
        "Why a reported play cannot be true. NEGATIVE: negative or not a number. "
        "LONGER_THAN_TRACK: more seconds than the track (2 s slack). IN_THE_FUTURE: starts "
        "after now or ends more than 60 s after now. TOO_OLD: started more than 14 days "
        "ago. OVERLAPS_PLAYS: more listening than wall time allows beside your other plays."
    ),
)

Likeable = Annotated[
    Track | Album | Artist | Playlist,
    strawberry.union("Likeable", description="Something a user can like."),
]


async def _like_item(root: strawberry.Parent[Like], info: Info) -> Likeable:
    from tonearm.resolvers.likes import resolve_like_item

    return await resolve_like_item(info, root)


@strawberry.type(description="One of your likes.")
class Like:
    """A like of a track, album or artist by the viewer."""

    liked_at: datetime = strawberry.field(description="When you liked it.")
    item: Likeable = strawberry.field(resolver=_like_item, description="What you liked.")
    kind: strawberry.Private[LikeKind]
    target_id: strawberry.Private[uuid.UUID]


@strawberry.type(description="A like in a connection, and its cursor.")
class LikeEdge:
    """An edge of ``LikeConnection``."""

    cursor: str = strawberry.field(description="Where this edge is, for after:.")
    node: Like = strawberry.field(description="The like.")


@strawberry.type(name="LikeConnection", description="A page of your likes, newest first.")
class LikeConnection:
    """A page of likes; ``totalCount`` is counted only when asked for."""

    page_info: relay.PageInfo = strawberry.field(description="Where the page is in the list.")
    edges: list[LikeEdge] = strawberry.field(description="The edges of the page.")

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many likes the whole list holds.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()


@strawberry.type(description="A target's like state after setLiked.")
class LikeState:
    """Whether the viewer likes the target now, and how many users do."""

    id: strawberry.ID = strawberry.field(description="The target's global ID.")
    liked: bool = strawberry.field(description="Whether you like it now.")
    like_count: int = strawberry.field(description="How many users like it.")


@strawberry.type(description="Nothing you can like has this ID.")
class LikeTargetNotFoundError:
    """A target that does not exist, or that the viewer may not see."""

    message: str = strawberry.field(description="What went wrong, for people.")
    id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


SetLikedResult = Annotated[
    LikeState | LikeTargetNotFoundError,
    strawberry.union("SetLikedResult", description="The new like state, or why there is none."),
]


async def _play_track(root: strawberry.Parent[Play], info: Info) -> Track:
    from tonearm.resolvers.plays import resolve_play_track

    return await resolve_play_track(info, root)


@strawberry.type(description="One counted play of a track.")
class Play:
    """A play the viewer reported."""

    id: strawberry.ID = strawberry.field(description="The Play global ID.")
    started_at: datetime = strawberry.field(description="When the play started.")
    played_seconds: float = strawberry.field(description="How long it played.")
    track: Track = strawberry.field(resolver=_play_track, description="What was played.")
    track_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_record(cls, record: PlayRecord) -> Play:
        """The GraphQL view of a play row."""
        return cls(
            id=strawberry.ID(play_global_id(record.id)),
            started_at=record.started_at,
            played_seconds=record.played_seconds,
            track_id=record.track_id,
        )


@strawberry.type(description="A play in a connection, and its cursor.")
class PlayEdge:
    """An edge of ``PlayConnection``."""

    cursor: str = strawberry.field(description="Where this edge is, for after:.")
    node: Play = strawberry.field(description="The play.")


@strawberry.type(name="PlayConnection", description="A page of your plays, newest first.")
class PlayConnection:
    """A page of the viewer's history; ``totalCount`` is counted only when asked for."""

    page_info: relay.PageInfo = strawberry.field(description="Where the page is in the list.")
    edges: list[PlayEdge] = strawberry.field(description="The edges of the page.")

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many plays the whole history holds.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()


@strawberry.type(description="A track and how often it was played in the period.")
class TopTrack:
    """One row of topTracks."""

    track: Track = strawberry.field(description="The track.")
    play_count: int = strawberry.field(description="Its plays in the period (and scope).")


@strawberry.type(description="What recordPlay did with a report.")
class RecordedPlay:
    """A report that counted (``play`` set) or fell below the play rule (nothing stored)."""

    counted: bool = strawberry.field(
        description="Whether it counts as a play (half the track or 4 minutes)."
    )
    play: Play | None = strawberry.field(description="The stored play; null when not counted.")
    track: Track = strawberry.field(description="The track, with its counts after the play.")


@strawberry.type(description="A reported play no listener could have made.")
class ImplausiblePlayError:
    """A refused report; nothing was stored."""

    message: str = strawberry.field(description="What went wrong, for people.")
    reason: PlayRejection = strawberry.field(description="Which check refused it.")


@strawberry.type(description="A comment on a track or album: plain text, returned as typed.")
class Comment:
    """One comment. The body is exactly what its author typed; escape it when showing it."""

    id: strawberry.ID = strawberry.field(description="The Comment global ID.")
    body: str = strawberry.field(description="The text as typed (up to 2,000 characters).")
    author: PublicUser = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    edited_at: datetime | None = strawberry.field(description="When it was last edited.")
    viewer_can_edit: bool = strawberry.field(description="Whether you may edit it (its author).")
    viewer_can_delete: bool = strawberry.field(
        description="Whether you may delete it (its author, admins)."
    )

    @classmethod
    def from_row(cls, row: CommentRow, *, can_edit: bool, can_delete: bool) -> Comment:
        """The GraphQL view of a comment and its author."""
        record = row.record
        return cls(
            id=strawberry.ID(global_id(COMMENT_TYPE_NAME, record.id)),
            body=record.body,
            author=PublicUser.of(record.author_id, row.author_name),
            created_at=record.created_at,
            edited_at=record.edited_at,
            viewer_can_edit=can_edit,
            viewer_can_delete=can_delete,
        )


@strawberry.type(description="A comment in a connection, and its cursor.")
class CommentEdge:
    """An edge of ``CommentConnection``."""

    cursor: str = strawberry.field(description="Where this edge is, for after:.")
    node: Comment = strawberry.field(description="The comment.")


@strawberry.type(name="CommentConnection", description="A page of comments, newest first.")
class CommentConnection:
    """A page of comments; ``totalCount`` is counted only when asked for."""

    page_info: relay.PageInfo = strawberry.field(description="Where the page is in the list.")
    edges: list[CommentEdge] = strawberry.field(description="The edges of the page.")

    total_count_loader: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many comments there are.")  # type: ignore[untyped-decorator]
    async def total_count(self) -> int:
        """Run the count query lazily."""
        return await self.total_count_loader()


@strawberry.type(description="No track or album you can see has this ID.")
class CommentTargetNotFoundError:
    """A target that does not exist, or that the viewer may not see."""

    message: str = strawberry.field(description="What went wrong, for people.")
    target_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="No comment you can see has this ID.")
class CommentNotFoundError:
    """A comment that does not exist, or is on something the viewer may not see."""

    message: str = strawberry.field(description="What went wrong, for people.")
    comment_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="The body is empty after trimming, or over 2,000 characters.")
class InvalidCommentError:
    """A refused body; nothing was stored."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="You posted as many comments as a minute allows.")
class CommentRateLimited:
    """A refused comment (TONEARM_COMMENT_RATE per minute)."""

    message: str = strawberry.field(description="What went wrong, for people.")
    retry_after_seconds: int = strawberry.field(description="When posting works again.")


@strawberry.type(description="A comment that was deleted.")
class DeletedComment:
    """The ID of the deleted comment."""

    id: strawberry.ID = strawberry.field(description="The Comment global ID.")


RecordPlayResult = Annotated[
    RecordedPlay | TrackNotFoundError | ImplausiblePlayError,
    strawberry.union("RecordPlayResult", description="What was recorded, or why nothing was."),
]
AddCommentResult = Annotated[
    Comment | CommentTargetNotFoundError | InvalidCommentError | CommentRateLimited,
    strawberry.union("AddCommentResult", description="The new comment, or why there is none."),
]
EditCommentResult = Annotated[
    Comment | CommentNotFoundError | InvalidCommentError | EditNotAllowedError,
    strawberry.union("EditCommentResult", description="The edited comment, or why not."),
]
DeleteCommentResult = Annotated[
    DeletedComment | CommentNotFoundError | EditNotAllowedError,
    strawberry.union("DeleteCommentResult", description="The deleted comment, or why not."),
]
