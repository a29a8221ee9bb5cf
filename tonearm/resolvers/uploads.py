"""Resolvers of uploads: ``uploadTracks`` (GraphQL multipart) and ``User.uploadQuota``.

The files arrive already staged (``schema/multipart.py`` parses the body as it streams);
each goes through the one pipeline (``uploads.pipeline.accept_upload``), in order, and
its outcome becomes a member of ``UploadResult``. The pipeline loads the scanner's probe,
so it is imported in a worker thread on the first upload (like ``scanLibrary``'s scanner).
"""

from __future__ import annotations

import asyncio
import uuid
from types import ModuleType

import strawberry
from graphql import GraphQLError
from strawberry.file_uploads import Upload

from tonearm.accounts.users import Role
from tonearm.db.models import TrackRecord
from tonearm.schema.collaborator_types import AlbumNotFoundError
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error, storage_unavailable
from tonearm.schema.ids import ALBUM_TYPE_NAME, id_argument
from tonearm.schema.multipart import ReceivedFile
from tonearm.schema.types import Track
from tonearm.schema.upload_types import (
    UploadBatch,
    UploadNotAllowedError,
    UploadQuota,
    UploadResult,
    UploadTracksResult,
    too_large,
    upload_result,
)
from tonearm.storage.base import StorageUnavailable
from tonearm.uploads.outcomes import AlbumNotFound, Duplicate, Uploaded, UploadNotAllowed
from tonearm.uploads.quota import used_bytes
from tonearm.uploads.staging import StorageFull

Info = strawberry.Info[Context, None]

ALBUM_NOT_FOUND = "No album you may add tracks to has this ID."
UPLOAD_NOT_ALLOWED = "this account may not upload music"
STORAGE_UNAVAILABLE = (
    "The server's storage cannot be reached; this file and the rest were not stored. "
    "Try again later."
)
NOT_MULTIPART = "Send files as a GraphQL multipart request (one file part per Upload)."


def _load_pipeline() -> ModuleType:
    from tonearm.uploads import pipeline

    return pipeline


async def pipeline_module() -> ModuleType:
    """``uploads.pipeline``, imported in a worker thread (it loads mutagen and libmagic)."""
    return await asyncio.to_thread(_load_pipeline)


async def outcome_track(info: Info, outcome: object) -> Track | None:
    """The track an ``Uploaded`` or ``Duplicate`` outcome names, as a ``Track``."""
    if not isinstance(outcome, Uploaded | Duplicate):
        return None
    record: TrackRecord | None = await info.context.track_loader.load(outcome.track_id)
    if record is None:  # removed since (a trash, another request): report what is known
        raise api_error(ErrorCode.INTERNAL_SERVER_ERROR, "The track is gone.")
    return Track.from_record(record)


async def resolve_upload_tracks(
    info: Info,
    files: list[Upload],
    album_id: strawberry.ID | None = None,
) -> UploadTracksResult:
    """Store each file as a track (or say why not), in the order given."""
    received = [_received(value) for value in files]
    album = id_argument(album_id, ALBUM_TYPE_NAME, "album") if album_id is not None else None
    context = info.context
    viewer = context.viewer
    assert viewer is not None  # SIGNED_IN
    pipeline = await pipeline_module()
    async with context.db() as session:
        try:
            await pipeline.upload_permission(session, viewer)
        except UploadNotAllowed as refused:
            return UploadNotAllowedError(message=str(refused))
    results: list[UploadResult] = []
    answered: dict[int, UploadResult] = {}  # the map may name one file part twice
    for index, file in enumerate(received):
        if id(file) in answered:
            results.append(answered[id(file)])
            continue
        staged = file.take()
        if file.too_large_limit is not None:
            results.append(too_large(file.file_name, file.too_large_limit))
            continue
        if file.not_stored:
            return UploadNotAllowedError(message=UPLOAD_NOT_ALLOWED)
        if file.storage_full or staged is None:
            raise _storage_full(index)
        try:
            outcome = await pipeline.accept_upload(
                context.services, user=viewer, staged=staged, album_id=album
            )
        except AlbumNotFound:
            return AlbumNotFoundError(
                message=ALBUM_NOT_FOUND, album_id=strawberry.ID(album_id or "")
            )
        except UploadNotAllowed as refused:
            return UploadNotAllowedError(message=str(refused))
        except StorageFull:
            raise _storage_full(index) from None
        except StorageUnavailable as down:
            raise storage_unavailable(down, STORAGE_UNAVAILABLE, fileIndex=index) from None
        result = upload_result(outcome, file.file_name, await outcome_track(info, outcome))
        answered[id(file)] = result
        results.append(result)
    return UploadBatch(results=results)


def _received(value: object) -> ReceivedFile:
    if not isinstance(value, ReceivedFile):
        raise api_error(ErrorCode.BAD_USER_INPUT, NOT_MULTIPART)
    return value


def _storage_full(index: int) -> GraphQLError:
    """The disk filled up at file ``index``: the files before it are kept, it and the rest
    are not (``extensions.fileIndex`` says where the batch stopped)."""
    return GraphQLError(
        StorageFull.message,
        extensions={"code": ErrorCode.STORAGE_FULL.value, "fileIndex": index},
    )


async def resolve_upload_quota(
    info: Info, user_id: uuid.UUID | None, role: Role
) -> UploadQuota | None:
    """The upload quota of ``user_id``: for that user themselves and for admins, else null."""
    viewer = info.context.viewer
    if user_id is None or viewer is None or not (viewer.is_admin or viewer.user_id == user_id):
        return None
    async with info.context.db() as session:
        used = await used_bytes(session, user_id)
    limit = None if role is Role.ADMIN else info.context.services.settings.upload_quota_bytes
    return UploadQuota(used_bytes=used, limit_bytes=limit)  # type: ignore[arg-type]
