"""Resolvers of direct uploads: ``startDirectUpload`` and ``uploadPartUrls``.

With ``TONEARM_STORAGE=s3`` the client PUTs parts straight to the bucket through presigned
URLs (``uploads/direct.py``) and ends with ``finishUpload``, the tus path's own last step.
With local storage both answer ``DirectUploadsUnsupportedError`` (tus is the local path).
"""

from __future__ import annotations

import uuid

import strawberry

from tonearm.schema.collaborator_types import AlbumNotFoundError
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error, storage_unavailable
from tonearm.schema.ids import ALBUM_TYPE_NAME, id_argument
from tonearm.schema.scalars import Long
from tonearm.schema.upload_types import (
    QUOTA_MESSAGE,
    DirectUpload,
    DirectUploadsUnsupportedError,
    QuotaExceededResult,
    StartDirectUploadResult,
    UploadMethod,
    UploadNotAllowedError,
    UploadNotFoundError,
    UploadPartUrl,
    UploadPartUrls,
    UploadPartUrlsResult,
    too_large,
)
from tonearm.storage.base import StorageUnavailable
from tonearm.uploads import direct
from tonearm.uploads.outcomes import AlbumNotFound, QuotaExceeded, TooLarge, UploadNotAllowed
from tonearm.uploads.staging import display_name

Info = strawberry.Info[Context, None]

ALBUM_NOT_FOUND = "No album you may add tracks to has this ID."
NOT_FOUND_MESSAGE = "No upload of yours has this ID."
STORAGE_UNAVAILABLE = "The server's storage cannot be reached; nothing was begun. Try again later."
MAX_TYPE_CHARS = 255


def upload_method(info: Info) -> UploadMethod:
    """How this server takes uploads: direct into remote storage, else tus."""
    return UploadMethod.DIRECT if info.context.services.storage.remote else UploadMethod.TUS


def _part(url: direct.PartUrl) -> UploadPartUrl:
    return UploadPartUrl(part_number=url.number, url=url.url, expires_at=url.expires_at)


async def resolve_start_direct_upload(
    info: Info,
    length: Long,
    file_name: str | None = None,
    content_type: str | None = None,
    album_id: strawberry.ID | None = None,
) -> StartDirectUploadResult:
    """Begin a direct upload: the same checks as a tus POST, then presigned part URLs."""
    viewer = info.context.viewer
    assert viewer is not None  # SIGNED_IN
    album = id_argument(album_id, ALBUM_TYPE_NAME, "album") if album_id is not None else None
    name = display_name(file_name)
    try:
        started = await direct.start_direct_upload(
            info.context.services,
            viewer,
            length=int(length),
            file_name=name if file_name else None,
            content_type=content_type[:MAX_TYPE_CHARS] if content_type else None,
            album_id=album,
        )
    except direct.DirectUploadsUnsupported as refused:
        return DirectUploadsUnsupportedError(message=refused.message)
    except UploadNotAllowed as refused:
        return UploadNotAllowedError(message=str(refused))
    except AlbumNotFound:
        return AlbumNotFoundError(message=ALBUM_NOT_FOUND, album_id=strawberry.ID(album_id or ""))
    except direct.BadDirectRequest as refused:
        raise api_error(ErrorCode.BAD_USER_INPUT, f"{refused}.") from None
    except StorageUnavailable as down:
        raise storage_unavailable(down, STORAGE_UNAVAILABLE) from None
    if isinstance(started, TooLarge):
        return too_large(name, started.limit)
    if isinstance(started, QuotaExceeded):
        return QuotaExceededResult(
            file_name=name,
            message=QUOTA_MESSAGE,
            used_bytes=Long(started.used),
            limit_bytes=Long(started.limit),
        )
    return DirectUpload(
        upload_id=strawberry.ID(str(started.upload_id)),
        length=Long(started.length),
        part_bytes=Long(started.part_bytes),
        part_count=started.part_count,
        expires_at=started.expires_at,
        parts=[_part(url) for url in started.urls],
    )


async def resolve_upload_part_urls(
    info: Info, upload_id: strawberry.ID, part_numbers: list[int]
) -> UploadPartUrlsResult:
    """New presigned URLs for some parts of the viewer's direct upload."""
    viewer = info.context.viewer
    assert viewer is not None  # SIGNED_IN
    not_found = UploadNotFoundError(message=NOT_FOUND_MESSAGE, upload_id=upload_id)
    try:
        upload = uuid.UUID(str(upload_id))
    except ValueError:
        return not_found  # a malformed id is just another unknown one
    try:
        urls = await direct.part_urls(info.context.services, viewer, upload, part_numbers)
    except direct.DirectUploadsUnsupported as refused:
        return DirectUploadsUnsupportedError(message=refused.message)
    except direct.BadDirectRequest as refused:
        raise api_error(ErrorCode.BAD_USER_INPUT, f"{refused}.") from None
    except StorageUnavailable as down:
        raise storage_unavailable(down, STORAGE_UNAVAILABLE) from None
    if urls is None:
        return not_found
    return UploadPartUrls(parts=[_part(url) for url in urls])
