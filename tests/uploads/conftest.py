"""Fixtures for upload tests: an app whose uploader may upload, and multipart helpers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser, make_user
from tonearm.accounts.users import Role
from tonearm.app import create_app
from tonearm.db.engine import create_session_factory
from tonearm.db.models import UserRecord
from tonearm.settings import Settings

ORIGIN = "http://tonearm.test"
UPLOAD = """mutation($files: [Upload!]!, $albumId: ID) {
  uploadTracks(files: $files, albumId: $albumId) {
    __typename
    ... on UploadBatch { results {
      __typename
      ... on UploadedTrack { fileName track { id title durationSeconds album { id title } } }
      ... on Duplicate { fileName message track { id } }
      ... on NotAudio { fileName message }
      ... on Corrupt { fileName message }
      ... on TooLarge { fileName message limitBytes }
      ... on QuotaExceeded { fileName message usedBytes limitBytes }
    } }
    ... on UploadNotAllowedError { message }
    ... on AlbumNotFoundError { message albumId }
  }
}"""
File = tuple[str, bytes]


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Settings:
    """Settings on this test's database; uploads under ``<data dir>/uploads``, no queue."""
    return make_settings(
        database_url=database_url_for_test, media_root=media_root, variants_on_upload="on-demand"
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The full app (engine disposed afterwards)."""
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


async def grant_upload(engine: AsyncEngine, user: SignedInUser, allowed: bool = True) -> None:
    """Set a user's upload permission in the registry."""
    async with create_session_factory(engine).begin() as session:
        await session.execute(
            update(UserRecord).where(UserRecord.id == user.record.id).values(can_upload=allowed)
        )


@pytest.fixture
async def uploader(engine: AsyncEngine) -> SignedInUser:
    """A listener granted the upload permission."""
    user = await make_user(engine, "uploader", Role.LISTENER)
    await grant_upload(engine, user)
    return user


@pytest.fixture
async def client(app: FastAPI, uploader: SignedInUser) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client signed in as the uploader (bearer token)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers=uploader.bearer, timeout=60
    ) as http:
        yield http


def multipart_parts(
    files: Sequence[File], *, album_id: str | None = None, query: str = UPLOAD
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """The spec's operations and map fields, and one file part per file."""
    operations = {
        "query": query,
        "variables": {"files": [None] * len(files), "albumId": album_id},
    }
    files_map = {str(index): [f"variables.files.{index}"] for index in range(len(files))}
    data = {"operations": json.dumps(operations), "map": json.dumps(files_map)}
    parts = [
        (str(index), (name, content, "application/octet-stream"))
        for index, (name, content) in enumerate(files)
    ]
    return data, parts


async def upload(
    client: httpx.AsyncClient,
    files: Sequence[File],
    *,
    album_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST an uploadTracks multipart request."""
    data, parts = multipart_parts(files, album_id=album_id)
    return await client.post("/graphql", data=data, files=parts, headers=headers or {})


def results(response: httpx.Response) -> list[dict[str, Any]]:
    """The per-file results of a successful batch."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    batch = body["data"]["uploadTracks"]
    assert batch["__typename"] == "UploadBatch", batch
    found: list[dict[str, Any]] = batch["results"]
    return found


def staged_files(settings: Settings) -> list[Path]:
    """Whatever is in the staging area."""
    staging = settings.resolved_uploads_dir / ".staging"
    return sorted(staging.iterdir()) if staging.exists() else []


def stored_files(settings: Settings) -> list[Path]:
    """Every stored upload (the staging area and tus files left out)."""
    root = settings.resolved_uploads_dir
    if not root.exists():
        return []
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not path.relative_to(root).parts[0].startswith(".")
    )


BOUNDARY = "tonearm-test-boundary-7f3a"


def raw_multipart(files: Sequence[tuple[bytes, bytes]], *, query: str = UPLOAD) -> bytes:
    """A spec multipart body built by hand: file names go on the wire as the raw bytes given
    (clients such as httpx escape control characters themselves)."""
    operations = json.dumps({"query": query, "variables": {"files": [None] * len(files)}})
    files_map = json.dumps({str(n): [f"variables.files.{n}"] for n in range(len(files))})
    out = bytearray()
    for name, value in (("operations", operations), ("map", files_map)):
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for index, (file_name, content) in enumerate(files):
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{index}"; '.encode()
        out += b'filename="' + file_name + b'"\r\nContent-Type: audio/mpeg\r\n\r\n'
        out += content + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out)


RAW_CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
