"""Resolvers of comments: ``addComment``, ``editComment``, ``deleteComment`` and the
``comments`` connection of tracks and albums."""

from __future__ import annotations

import uuid
from functools import partial

import strawberry
from strawberry.types.unset import UNSET

from tonearm.catalog.pagination import CommentOrder, encode_cursor
from tonearm.resolvers.likes import account_of
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.schema.collaborator_types import EditNotAllowedError
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.ids import (
    COMMENT_TYPE_NAME,
    InvalidGlobalId,
    id_argument,
    parse_any_global_id,
)
from tonearm.schema.social_types import (
    AddCommentResult,
    Comment,
    CommentConnection,
    CommentEdge,
    CommentNotFoundError,
    CommentRateLimited,
    CommentTargetNotFoundError,
    DeleteCommentResult,
    DeletedComment,
    EditCommentResult,
    InvalidCommentError,
)
from tonearm.social import comments as service
from tonearm.social.comments import CommentKind, CommentRow

Info = strawberry.Info[Context, None]
TARGET_NOT_FOUND = "No track or album you can see has this ID."
NOT_FOUND = "No comment has this ID."
NOT_YOURS = "Only its author may edit a comment; its author and admins may delete it."


def _comment(info: Info, row: CommentRow) -> Comment:
    reader = info.context.reader
    return Comment.from_row(
        row,
        can_edit=service.can_edit_comment(reader, row.record),
        can_delete=service.can_delete_comment(reader, row.record),
    )


async def resolve_add_comment(info: Info, target_id: strawberry.ID, body: str) -> AddCommentResult:
    """Post a comment on a track or album the viewer can see."""
    user_id = account_of(info)
    try:
        type_name, target = parse_any_global_id(
            target_id, tuple(t.type_name for t in service.TARGETS.values())
        )
    except InvalidGlobalId:
        raise api_error(ErrorCode.INVALID_ID, "Not a valid track or album ID.") from None
    kind = service.kind_of_type_name(type_name)
    assert kind is not None
    context = info.context
    try:
        async with context.db() as session:
            row = await service.add_comment(
                session,
                reader=context.reader,
                author_id=user_id,
                kind=kind,
                target_id=target,
                body=body,
                rate=context.services.settings.comment_rate,
            )
    except service.CommentTargetNotFound:
        return CommentTargetNotFoundError(message=TARGET_NOT_FOUND, target_id=target_id)
    except service.InvalidComment as refused:
        return InvalidCommentError(message=str(refused))
    except service.CommentRateLimited as limited:
        return CommentRateLimited(
            message=str(limited), retry_after_seconds=limited.retry_after_seconds
        )
    return _comment(info, row)


def _comment_uuid(value: str) -> uuid.UUID:
    return id_argument(value, COMMENT_TYPE_NAME, "comment")


async def resolve_edit_comment(info: Info, id: strawberry.ID, body: str) -> EditCommentResult:
    """Replace the body of one of the viewer's comments."""
    account_of(info)
    comment_id = _comment_uuid(id)
    context = info.context
    try:
        async with context.db() as session:
            row = await service.edit_comment(
                session, reader=context.reader, comment_id=comment_id, body=body
            )
    except service.CommentNotFound:
        return CommentNotFoundError(message=NOT_FOUND, comment_id=id)
    except service.CommentNotAllowed:
        return EditNotAllowedError(message=NOT_YOURS)
    except service.InvalidComment as refused:
        return InvalidCommentError(message=str(refused))
    return _comment(info, row)


async def resolve_delete_comment(info: Info, id: strawberry.ID) -> DeleteCommentResult:
    """Delete a comment (its author, or an admin)."""
    account_of(info)
    comment_id = _comment_uuid(id)
    context = info.context
    try:
        async with context.db() as session:
            await service.delete_comment(session, reader=context.reader, comment_id=comment_id)
    except service.CommentNotFound:
        return CommentNotFoundError(message=NOT_FOUND, comment_id=id)
    except service.CommentNotAllowed:
        return EditNotAllowedError(message=NOT_YOURS)
    return DeletedComment(id=id)


async def resolve_comments(
    info: Info,
    kind: CommentKind,
    target_id: uuid.UUID,
    first: int | None = UNSET,
    after: str | None = UNSET,
) -> CommentConnection:
    """A page of the comments on a track or album the viewer already sees, newest first."""
    page = checked_page(CommentOrder.NEWEST, first=first, after=after)
    context = info.context
    async with context.db() as session:
        result = await service.list_comments(session, kind=kind, target_id=target_id, page=page)
    edges = [
        CommentEdge(cursor=encode_cursor(CommentOrder.NEWEST, row), node=_comment(info, row))
        for row in result.records
    ]
    return CommentConnection(
        edges=edges,
        page_info=page_info(result, [edge.cursor for edge in edges]),
        total_count_loader=partial(_count, context, kind, target_id),
    )


async def _count(context: Context, kind: CommentKind, target_id: uuid.UUID) -> int:
    async with context.db() as session:
        return await service.count_comments(session, kind=kind, target_id=target_id)
