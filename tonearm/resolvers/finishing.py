"""``finishUpload``: the tus upload's last step, answered like one file of ``uploadTracks``.

The pipeline loads the scanner's probe, which a server worker does not carry until the
first finish asks for it (``uploads.tus_finish`` is imported then, in a worker thread).
"""

from __future__ import annotations

import uuid

import anyio.to_thread
import strawberry

from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error, storage_unavailable
from tonearm.schema.scalars import Long
from tonearm.schema.types import Track
from tonearm.schema.upload_types import (
    FinishUploadResult,
    UploadAlreadyFinishedError,
    UploadIncompleteError,
    UploadNotFoundError,
    upload_result,
)
from tonearm.uploads.outcomes import AlbumNotFound, Duplicate, Uploaded, UploadNotAllowed

STORAGE_UNAVAILABLE = "The server's storage cannot be reached; nothing was stored. Try again later."
Info = strawberry.Info[Context, None]

NOT_FOUND_MESSAGE = "No upload of yours has this ID."


def _load_finishing() -> None:
    import tonearm.uploads.tus_finish  # noqa: F401 - the import is the point


async def _track(info: Info, track_id: uuid.UUID) -> Track | None:
    record = await info.context.track_loader.load(track_id)
    return Track.from_record(record) if record is not None else None


async def resolve_finish_upload(info: Info, upload_id: strawberry.ID) -> FinishUploadResult:
    """Turn a complete tus upload into a track, or say why not."""
    not_found = UploadNotFoundError(message=NOT_FOUND_MESSAGE, upload_id=upload_id)
    viewer = info.context.viewer
    try:
        upload = uuid.UUID(str(upload_id))
    except ValueError:
        return not_found  # a malformed id is just another unknown one
    if viewer is None:
        raise api_error(ErrorCode.UNAUTHENTICATED, "Sign in first: this needs a logged-in user.")
    await anyio.to_thread.run_sync(_load_finishing)
    from tonearm.storage.base import StorageUnavailable
    from tonearm.uploads import tus_finish
    from tonearm.uploads.staging import StorageFull

    try:
        finished = await tus_finish.finish_upload(info.context.services, viewer, upload)
    except UploadNotAllowed:
        raise api_error(
            ErrorCode.FORBIDDEN,
            "You may not upload: ask an administrator for the upload permission.",
        ) from None
    except AlbumNotFound:
        raise api_error(
            ErrorCode.BAD_USER_INPUT,
            "No album you may add tracks to has the albumId this upload was created with; "
            "delete the upload and create it again.",
        ) from None
    except StorageFull as full:
        raise api_error(
            ErrorCode.STORAGE_FULL, f"{full.message}; finish the upload again later."
        ) from None
    except StorageUnavailable as down:
        raise storage_unavailable(down, STORAGE_UNAVAILABLE) from None
    match finished:
        case tus_finish.NotFound():
            return not_found
        case tus_finish.Incomplete(offset=offset, length=length, busy=busy):
            message = (
                "Another request is finishing this upload; ask again shortly."
                if busy
                else f"The upload has {offset} of its {length} bytes: send the rest first."
            )
            return UploadIncompleteError(message=message, offset=Long(offset), length=Long(length))
        case tus_finish.AlreadyFinished(track_id=track_id):
            track = await _track(info, track_id)
            if track is None:
                return not_found
            return UploadAlreadyFinishedError(
                message="This upload was finished already.", track=track
            )
        case tus_finish.Finished(outcome=outcome, file_name=file_name):
            track = (
                await _track(info, outcome.track_id)
                if isinstance(outcome, Uploaded | Duplicate)
                else None
            )
            return upload_result(outcome, file_name, track)
    raise AssertionError(finished)
