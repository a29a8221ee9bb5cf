"""The S3 backend: objects in one bucket of an S3-compatible service, over aiobotocore.

One client per process, created on first use and closed on shutdown (``close``). Requests
have short connect and read timeouts and a bounded number of attempts, so an endpoint that
is down answers ``StorageUnavailable`` within seconds instead of hanging a stream. Signing,
retries and presigning are botocore's; credentials come from the standard AWS chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, profiles, instance
roles). No error text that leaves here names a credential.

Large files are uploaded in parts read in worker threads, so neither the event loop nor
memory holds a whole original.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
import anyio.to_thread
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from tonearm.storage.base import (
    MultipartUpload,
    ObjectInfo,
    ObjectNotFound,
    ObjectStorage,
    StorageError,
    StorageUnavailable,
    StoredPart,
    UploadedPart,
)
from tonearm.storage.keys import parse_key

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_s3.type_defs import ObjectIdentifierTypeDef

logger = logging.getLogger(__name__)

# Files up to this size go in one PUT; larger ones in parts of this size (S3 allows 10000
# parts of at least 5 MiB: 16 MiB parts cover 156 GiB).
PART_BYTES = 16 * 1024 * 1024
# CopyObject copies up to 5 GiB in one request; larger objects are copied part by part.
COPY_IN_ONE_BYTES = 5 * 1024 * 1024 * 1024
COPY_PART_BYTES = 512 * 1024 * 1024
_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})
_REFUSED = frozenset(
    {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}
)
_NO_BUCKET = frozenset({"NoSuchBucket"})


@dataclass(frozen=True, slots=True)
class S3Config:
    """Where the bucket is and how patiently to talk to it."""

    bucket: str
    region: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 2


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Storage(ObjectStorage):
    """Objects in ``config.bucket``; keys are ``storage.keys``' layout as they are."""

    kind = "s3"
    remote = True

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.bucket = config.bucket
        self._client: S3Client | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> S3Client:
        """This process's client, created on first use."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                config = self.config
                stack = contextlib.AsyncExitStack()
                aio_config = AioConfig(
                    connect_timeout=config.connect_timeout,
                    read_timeout=config.read_timeout,
                    # total_max_attempts counts the first try (max_attempts would not).
                    retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
                    signature_version="s3v4",
                    # A self-hosted endpoint (MinIO, Garage, moto) has no per-bucket hosts.
                    s3={"addressing_style": "path" if config.endpoint_url else "auto"},
                )
                creator = get_session().create_client(
                    "s3",
                    region_name=config.region or "us-east-1",
                    endpoint_url=config.endpoint_url,
                    config=aio_config,
                )
                self._client = await stack.enter_async_context(creator)
                self._stack = stack
        assert self._client is not None
        return self._client

    async def close(self) -> None:
        """Close the client and its connection pool (idempotent)."""
        async with self._lock:
            stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    @contextlib.asynccontextmanager
    async def _calling(self, what: str) -> AsyncIterator[None]:
        """Turn botocore's and aiohttp's failures into our two refusals."""
        try:
            yield
        except ClientError as error:
            code = _code(error)
            if code in _NOT_FOUND:
                raise ObjectNotFound("no such object") from None
            if code in _NO_BUCKET:
                raise StorageUnavailable(f"the bucket {self.bucket!r} does not exist") from None
            if code in _REFUSED:
                raise StorageUnavailable(
                    f"S3 refused to {what} in bucket {self.bucket!r} ({code})"
                ) from None
            raise StorageUnavailable(f"S3 could not {what}: {code or 'error'}") from None
        except NoCredentialsError:
            raise StorageUnavailable(
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from None
        except (BotoCoreError, aiohttp.ClientError, TimeoutError, OSError) as error:
            raise StorageUnavailable(
                f"the S3 endpoint cannot be reached: {type(error).__name__}"
            ) from None

    async def check(self) -> None:
        """The bucket exists and our credentials may use it (one HEAD of the bucket)."""
        client = await self.client()
        where = self.config.endpoint_url or "AWS"
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = _code(error)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise StorageError(
                    f"the S3 bucket {self.bucket!r} does not exist at {where}: create it, "
                    "or set TONEARM_S3_BUCKET to one that does"
                ) from None
            if code in _REFUSED or code == "400":
                raise StorageError(
                    f"the S3 credentials were refused for bucket {self.bucket!r} at {where} "
                    f"({code}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the "
                    "bucket's policy"
                ) from None
            raise StorageError(f"S3 bucket {self.bucket!r} at {where}: {code}") from None
        except NoCredentialsError:
            raise StorageError(
                "TONEARM_STORAGE=s3 but no S3 credentials were found: set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY"
            ) from None
        except (BotoCoreError, aiohttp.ClientError, TimeoutError, OSError) as error:
            raise StorageError(
                f"cannot reach the S3 endpoint {where}: {type(error).__name__}"
            ) from None

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """One PUT of ``data``."""
        parse_key(key)  # nothing is ever written under a name outside the layout
        client = await self.client()
        async with self._calling("store an object"):
            await client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        return await self.head(key)

    async def put_file(self, key: str, path: Path, *, content_type: str) -> ObjectInfo:
        """Upload ``path``: one PUT when small, else a multipart upload of ``PART_BYTES``
        parts, each read in a worker thread."""
        parse_key(key)
        size = (await anyio.to_thread.run_sync(os.stat, path)).st_size
        if size <= PART_BYTES:
            data = await anyio.to_thread.run_sync(Path.read_bytes, path)
            return await self.put_bytes(key, data, content_type=content_type)
        client = await self.client()
        upload_id = await self.create_multipart(key, content_type=content_type)
        try:
            parts: list[UploadedPart] = []
            for number, offset in enumerate(range(0, size, PART_BYTES), start=1):
                chunk = await anyio.to_thread.run_sync(_read_at, path, offset, PART_BYTES)
                async with self._calling("store an object"):
                    answer = await client.upload_part(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=chunk,
                    )
                parts.append(UploadedPart(number, answer["ETag"]))
            return await self.complete_multipart(key, upload_id, parts)
        except BaseException:
            with anyio.CancelScope(shield=True), contextlib.suppress(StorageError):
                await self.abort_multipart(key, upload_id)
            raise

    async def head(self, key: str) -> ObjectInfo:
        """HEAD of the object."""
        client = await self.client()
        async with self._calling("read an object"):
            answer = await client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(
            size=int(answer["ContentLength"]),
            etag=_strong(answer["ETag"]),
            modified=answer["LastModified"].timestamp(),
            content_type=answer.get("ContentType"),
        )

    async def read_range(self, key: str, start: int, end: int) -> bytes:
        """One ranged GET, read whole."""
        pieces = [piece async for piece in self.iter_range(key, start, end)]
        data = b"".join(pieces)
        if len(data) != end - start:
            raise ObjectNotFound("the object is shorter than asked")
        return data

    async def iter_range(
        self, key: str, start: int, end: int, *, chunk_size: int = 256 * 1024
    ) -> AsyncIterator[bytes]:
        """One ranged GET, its body read in pieces; the connection is released on exit."""
        if end <= start:
            return
        client = await self.client()
        async with self._calling("read an object"):
            answer = await client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}"
            )
        body = answer["Body"]
        try:
            while True:
                async with self._calling("read an object"):
                    piece = await body.read(chunk_size)
                if not piece:
                    return
                yield piece
        finally:
            body.close()

    async def download_to(self, key: str, path: Path) -> ObjectInfo:
        """Stream the object into ``path``, each piece written in a worker thread."""
        info = await self.head(key)
        handle = await anyio.open_file(path, "wb")
        try:
            async for piece in self.iter_range(key, 0, info.size, chunk_size=1 << 20):
                await handle.write(piece)
        finally:
            await handle.aclose()
        return info

    async def copy(
        self, source: str, target: str, *, content_type: str | None = None
    ) -> ObjectInfo:
        """A copy inside the bucket, made by S3 (no byte passes through here): CopyObject,
        or UploadPartCopy parts for an object over 5 GiB."""
        parse_key(target)
        info = await self.head(source)
        client = await self.client()
        kind = content_type or info.content_type or "application/octet-stream"
        if info.size <= COPY_IN_ONE_BYTES:
            async with self._calling("copy an object"):
                await client.copy_object(
                    Bucket=self.bucket,
                    Key=target,
                    CopySource={"Bucket": self.bucket, "Key": source},
                    MetadataDirective="REPLACE",
                    ContentType=kind,
                )
            return await self.head(target)
        upload_id = await self.create_multipart(target, content_type=kind)
        try:
            parts: list[UploadedPart] = []
            for number, offset in enumerate(range(0, info.size, COPY_PART_BYTES), start=1):
                last = min(offset + COPY_PART_BYTES, info.size) - 1
                async with self._calling("copy an object"):
                    answer = await client.upload_part_copy(
                        Bucket=self.bucket,
                        Key=target,
                        UploadId=upload_id,
                        PartNumber=number,
                        CopySource={"Bucket": self.bucket, "Key": source},
                        CopySourceRange=f"bytes={offset}-{last}",
                    )
                parts.append(UploadedPart(number, answer["CopyPartResult"]["ETag"]))
            return await self.complete_multipart(target, upload_id, parts)
        except BaseException:
            with anyio.CancelScope(shield=True), contextlib.suppress(StorageError):
                await self.abort_multipart(target, upload_id)
            raise

    async def delete(self, key: str) -> None:
        """DELETE the object (S3 answers 204 for a missing one too)."""
        client = await self.client()
        async with self._calling("delete an object"):
            await client.delete_object(Bucket=self.bucket, Key=key)

    async def list_keys(self, prefix: str) -> list[str]:
        """ListObjectsV2 over the prefix, every page."""
        client = await self.client()
        found: list[str] = []
        async with self._calling("list objects"):
            paginator = client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)

    async def delete_prefix(self, prefix: str) -> int:
        """List the prefix and delete what is there, 1000 keys per request."""
        client = await self.client()
        removed = 0
        async with self._calling("delete objects"):
            paginator = client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": item["Key"]} for item in page.get("Contents", [])
                ]
                if keys:
                    await client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    removed += len(keys)
        return removed

    async def presigned_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A presigned GET (botocore signs it locally: no request is made)."""
        client = await self.client()
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if content_type is not None:
            params["ResponseContentType"] = content_type
        if content_disposition is not None:
            params["ResponseContentDisposition"] = content_disposition
        async with self._calling("sign a URL"):
            url: str = await client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=max(1, expires_in)
            )
        return url

    async def create_multipart(self, key: str, *, content_type: str) -> str:
        """CreateMultipartUpload; the upload id."""
        parse_key(key)
        client = await self.client()
        async with self._calling("begin an upload"):
            answer = await client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type
            )
        return str(answer["UploadId"])

    async def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int
    ) -> str:
        """A presigned UploadPart URL (PUT)."""
        if not 1 <= part_number <= 10000:
            raise ValueError("a part number is 1 to 10000")
        client = await self.client()
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        async with self._calling("sign a URL"):
            url: str = await client.generate_presigned_url(
                "upload_part", Params=params, ExpiresIn=max(1, expires_in)
            )
        return url

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """ListParts, every page; an unknown (completed, aborted) upload is ``ObjectNotFound``."""
        client = await self.client()
        found: list[StoredPart] = []
        async with self._calling("list an upload's parts"):
            try:
                paginator = client.get_paginator("list_parts")
                async for page in paginator.paginate(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                ):
                    found += [
                        StoredPart(int(item["PartNumber"]), int(item["Size"]), item["ETag"])
                        for item in page.get("Parts", [])
                    ]
            except ClientError as error:
                if _code(error) == "NoSuchUpload":
                    raise ObjectNotFound("no such upload") from None
                raise
        return sorted(found, key=lambda part: part.number)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> ObjectInfo:
        """CompleteMultipartUpload with the parts in order."""
        client = await self.client()
        ordered = sorted(parts, key=lambda part: part.number)
        async with self._calling("finish an upload"):
            await client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in ordered]
                },
            )
        return await self.head(key)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """AbortMultipartUpload (an unknown upload is fine)."""
        client = await self.client()
        with contextlib.suppress(ObjectNotFound):
            async with self._calling("abort an upload"):
                try:
                    await client.abort_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    )
                except ClientError as error:
                    if _code(error) != "NoSuchUpload":
                        raise

    async def list_multipart(self, prefix: str = "") -> list[MultipartUpload]:
        """ListMultipartUploads under ``prefix``, every page."""
        client = await self.client()
        found: list[MultipartUpload] = []
        async with self._calling("list uploads"):
            paginator = client.get_paginator("list_multipart_uploads")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found += [
                    MultipartUpload(item["Key"], item["UploadId"], item["Initiated"])
                    for item in page.get("Uploads", [])
                ]
        return found


def _strong(etag: str) -> str:
    """S3's ETag as a strong validator (it is one: the same ETag means the same bytes)."""
    etag = etag.removeprefix("W/")
    return etag if etag.startswith('"') else f'"{etag}"'


def _read_at(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(length)
