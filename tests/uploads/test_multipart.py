"""uploadTracks: GraphQL multipart requests, each file through the one pipeline."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import SignedInUser
from tests.support.audio import mp3_bytes
from tests.uploads.conftest import results, staged_files, stored_files, upload
from tonearm.db.engine import create_session_factory
from tonearm.db.models import TrackCollaboratorRecord, TrackRecord
from tonearm.settings import Settings


async def test_a_good_mp3_becomes_an_owned_track(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, uploader: SignedInUser
) -> None:
    data = mp3_bytes(2.0)
    [result] = results(await upload(client, [("Song.mp3", data)]))

    assert result["__typename"] == "UploadedTrack"
    assert result["fileName"] == "Song.mp3"
    assert result["track"]["title"] == "Song"
    async with create_session_factory(engine)() as session:
        track = (await session.scalars(select(TrackRecord))).one()
        owners = (await session.scalars(select(TrackCollaboratorRecord))).all()
    assert track.origin == "upload"
    assert track.uploaded_by == uploader.record.id
    assert track.original_name == "Song.mp3"
    assert track.size_bytes == len(data)
    assert [(o.track_id, o.user_id, o.role) for o in owners] == [
        (track.id, uploader.record.id, "owner")
    ]
    assert [p.relative_to(settings.resolved_uploads_dir) for p in stored_files(settings)] == [
        __import__("pathlib").Path(track.path)
    ]
    assert stored_files(settings)[0].read_bytes() == data
    assert staged_files(settings) == []
