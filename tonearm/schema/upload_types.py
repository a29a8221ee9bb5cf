"""GraphQL types of uploads: each file's result, the batch, quotas and the refusals.

``uploadTracks`` (multipart) and ``finishUpload`` (tus) both answer with these; a
pipeline outcome (``uploads.pipeline``) becomes one with ``upload_result``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from tonearm.schema.collaborator_types import AlbumNotFoundError
from tonearm.schema.scalars import Long
from tonearm.schema.types import Track
from tonearm.uploads.outcomes import (
    Corrupt,
    Duplicate,
    NotAudio,
    QuotaExceeded,
    TooLarge,
    Uploaded,
    UploadOutcome,
)


@strawberry.type(name="UploadedTrack", description="The file is now a track.")
class UploadedTrackResult:
    """One file that became a new track."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    track: Track = strawberry.field(description="The new track.")


@strawberry.type(name="NotAudio", description="The file is not audio of an accepted type.")
class NotAudioResult:
    """One file libmagic sees no accepted audio type in."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(name="Corrupt", description="The file is empty or audio that cannot be read.")
class CorruptResult:
    """One file that is empty, truncated or otherwise unreadable audio."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(name="TooLarge", description="The file is larger than one upload may be.")
class TooLargeResult:
    """One file over ``TONEARM_MAX_UPLOAD_BYTES``; nothing of it was kept."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    message: str = strawberry.field(description="What went wrong, for people.")
    limit_bytes: Long = strawberry.field(description="The largest file one upload may be.")


@strawberry.type(name="Duplicate", description="The same bytes are already a track.")
class DuplicateResult:
    """One file whose bytes are already a track the viewer can see."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    message: str = strawberry.field(description="What went wrong, for people.")
    track: Track = strawberry.field(description="The track that already holds these bytes.")


@strawberry.type(name="QuotaExceeded", description="Storing the file would pass your quota.")
class QuotaExceededResult:
    """One file refused because the uploader's quota would be exceeded."""

    file_name: str = strawberry.field(description="The file's name as the client sent it.")
    message: str = strawberry.field(description="What went wrong, for people.")
    used_bytes: Long = strawberry.field(description="Bytes of uploads stored so far.")
    limit_bytes: Long = strawberry.field(description="The quota.")


UploadResult = Annotated[
    UploadedTrackResult
    | NotAudioResult
    | TooLargeResult
    | DuplicateResult
    | CorruptResult
    | QuotaExceededResult,
    strawberry.union("UploadResult", description="What became of one uploaded file."),
]


@strawberry.type(description="One result per file, in the order the files were given.")
class UploadBatch:
    """uploadTracks' answer when the upload could start."""

    results: list[UploadResult] = strawberry.field(description="One per file, in order.")


@strawberry.type(description="This account may not upload music; nothing was stored.")
class UploadNotAllowedError:
    """The viewer lacks the upload permission (admins always have it)."""

    message: str = strawberry.field(description="What went wrong, for people.")


UploadTracksResult = Annotated[
    UploadBatch | UploadNotAllowedError | AlbumNotFoundError,
    strawberry.union("UploadTracksResult", description="The batch's results, or why none."),
]


@strawberry.type(description="No upload of yours has the given ID.")
class UploadNotFoundError:
    """An unknown upload id, or someone else's (the two look the same)."""

    message: str = strawberry.field(description="What went wrong, for people.")
    upload_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="The upload has not received all its bytes yet.")
class UploadIncompleteError:
    """finishUpload before the tus upload's offset reached its length."""

    message: str = strawberry.field(description="What went wrong, for people.")
    offset: Long = strawberry.field(description="Bytes received so far.")
    length: Long = strawberry.field(description="Bytes declared.")


@strawberry.type(description="The upload was finished already.")
class UploadAlreadyFinishedError:
    """A second finishUpload of the same upload."""

    message: str = strawberry.field(description="What went wrong, for people.")
    track: Track = strawberry.field(description="The track it became.")


FinishUploadResult = Annotated[
    UploadedTrackResult
    | NotAudioResult
    | TooLargeResult
    | DuplicateResult
    | CorruptResult
    | QuotaExceededResult
    | UploadNotFoundError
    | UploadIncompleteError
    | UploadAlreadyFinishedError,
    strawberry.union("FinishUploadResult", description="What became of the upload, or why not."),
]


@strawberry.type(description="How much of an uploader's storage quota is used.")
class UploadQuota:
    """``usedBytes`` of ``limitBytes`` (null: unlimited)."""

    used_bytes: Long = strawberry.field(description="Bytes of uploaded tracks stored.")
    limit_bytes: Long | None = strawberry.field(description="The quota; null: unlimited.")


DUPLICATE_MESSAGE = "the same file is already in the library"
QUOTA_MESSAGE = "storing this file would exceed your upload quota"


def too_large(file_name: str, limit_bytes: int) -> TooLargeResult:
    """The result of a file over the limit."""
    return TooLargeResult(
        file_name=file_name,
        message=f"the file is larger than the limit of {limit_bytes} bytes",
        limit_bytes=Long(limit_bytes),
    )


def upload_result(
    outcome: UploadOutcome, file_name: str, track: Track | None
) -> (
    UploadedTrackResult
    | NotAudioResult
    | TooLargeResult
    | DuplicateResult
    | CorruptResult
    | QuotaExceededResult
):
    """The GraphQL result of a pipeline outcome; ``track``: the outcome's track, loaded."""
    match outcome:
        case Uploaded() | Duplicate() if track is None:
            raise ValueError("an Uploaded or Duplicate outcome needs its track")
        case Uploaded():
            assert track is not None
            return UploadedTrackResult(file_name=file_name, track=track)
        case Duplicate():
            assert track is not None
            return DuplicateResult(file_name=file_name, message=DUPLICATE_MESSAGE, track=track)
        case NotAudio(reason=reason):
            return NotAudioResult(file_name=file_name, message=f"not an audio file ({reason})")
        case Corrupt(reason=reason):
            return CorruptResult(file_name=file_name, message=reason)
        case TooLarge(limit=limit):
            return too_large(file_name, limit)
        case QuotaExceeded(used=used, limit=limit):
            return QuotaExceededResult(
                file_name=file_name,
                message=QUOTA_MESSAGE,
                used_bytes=Long(used),
                limit_bytes=Long(limit),
            )
    raise AssertionError(outcome)


@strawberry.enum(name="UploadMethod", description="How this server takes uploads.")
class UploadMethod(Enum):
    """``TONEARM_STORAGE`` as an uploading client needs to know it."""

    TUS = strawberry.enum_value(
        "tus",
        description="Resumable uploads to /api/uploads (tus 1.0.0), then finishUpload.",
    )
    DIRECT = strawberry.enum_value(
        "direct",
        description=(
            "startDirectUpload, a PUT of each part to its presigned URL in the bucket, "
            "then finishUpload (the server keeps uploads in object storage)."
        ),
    )


@strawberry.type(description="Where the client PUTs one part of a direct upload.")
class UploadPartUrl:
    """A presigned UploadPart URL; PUT the part's bytes as the whole body."""

    part_number: int = strawberry.field(description="1 to partCount.")
    url: str = strawberry.field(description="PUT the part's bytes here (no other header needed).")
    expires_at: datetime = strawberry.field(
        description="The URL stops working then (at most an hour after it was signed); ask "
        "uploadPartUrls for new ones."
    )


@strawberry.type(description="A direct upload begun: PUT each part, then finishUpload.")
class DirectUpload:
    """startDirectUpload's answer: every part's size follows from length and partBytes."""

    upload_id: strawberry.ID = strawberry.field(description="Give this to finishUpload.")
    length: Long = strawberry.field(description="The file's size as declared.")
    part_bytes: Long = strawberry.field(
        description="The size of every part but the last, which holds the rest."
    )
    part_count: int = strawberry.field(description="How many parts the file is sent in.")
    expires_at: datetime = strawberry.field(
        description="Unfinished by then, the upload is aborted and its parts deleted."
    )
    parts: list[UploadPartUrl] = strawberry.field(description="A URL per part, in order.")


@strawberry.type(description="This server keeps uploads locally: use tus at /api/uploads.")
class DirectUploadsUnsupportedError:
    """Direct uploads need TONEARM_STORAGE=s3."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="New presigned URLs for parts of a direct upload.")
class UploadPartUrls:
    """uploadPartUrls' answer."""

    parts: list[UploadPartUrl] = strawberry.field(description="One per part asked, in order.")


StartDirectUploadResult = Annotated[
    DirectUpload
    | TooLargeResult
    | QuotaExceededResult
    | UploadNotAllowedError
    | AlbumNotFoundError
    | DirectUploadsUnsupportedError,
    strawberry.union("StartDirectUploadResult", description="The upload begun, or why not."),
]

UploadPartUrlsResult = Annotated[
    UploadPartUrls | UploadNotFoundError | DirectUploadsUnsupportedError,
    strawberry.union("UploadPartUrlsResult", description="The URLs, or why none."),
]
