"""Session-bound stream tokens and covers: a member streams the session's tracks in the
session's version, nothing else, and stops after leaving; the variant everyone can play."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sessions.conftest import (
    CONTROL,
    ENQUEUE,
    GET,
    STREAM,
    Library,
    create_session,
    data,
    gql,
    join,
    only_error,
)
from tonearm.catalog.formats import AudioFormat
from tonearm.catalog.variants import SourceAudio, VariantKey
from tonearm.sessions.access import SessionGrantCache
from tonearm.sessions.rules import session_offer
from tonearm.streaming.tokens import StreamSigner

LEAVE = "mutation($id: ID!) { leaveListeningSession(id: $id) }"
END = "mutation($id: ID!) { endListeningSession(id: $id) { status } }"


async def _guest(
    host: httpx.AsyncClient, nobody: httpx.AsyncClient, library: Library, **fields: object
) -> tuple[dict[str, object], str]:
    session = await create_session(host, allowAnonymousGuests=True, **fields)
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")])
    joined = await join(nobody, session["inviteCode"], name="Ann")
    return session, joined["guestToken"]


async def test_an_anonymous_guest_streams_the_session_track_and_nothing_else(
    host: httpx.AsyncClient, nobody: httpx.AsyncClient, library: Library, client_with: object
) -> None:
    session, token = await _guest(host, nobody, library)
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        minted = (await data(guest, STREAM, s=session["id"], t=library.track_id("One")))[
            "createSessionStreamUrl"
        ]
        assert (minted["format"], minted["bitrateKbps"], minted["mimeType"]) == (
            "MP3",
            128,
            "audio/mpeg",
        )
        response = await nobody.get(minted["url"])
        assert response.status_code == 200
        assert response.content == library.files["One"]
        assert response.headers["content-type"] == "audio/mpeg"
        ranged = await nobody.get(minted["url"], headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 206
        assert ranged.content == library.files["One"][:10]
        other = await gql(guest, STREAM, s=session["id"], t=library.track_id("Other"))
        assert only_error(other) == ("NOT_FOUND", "This session has no such track.")
        # The token names its track: the same token on another track's URL is refused.
        other_url = minted["url"].replace(str(library.tracks["One"]), str(library.tracks["Other"]))
        refused = await nobody.get(other_url)
        assert refused.status_code == 403
        # Leaving stops the stream (the memo is off here; its 5 s bound is tested below).
        assert (await data(guest, LEAVE, id=session["id"]))["leaveListeningSession"] is True
    gone = await nobody.get(minted["url"])
    assert gone.status_code == 404
    assert gone.json() == {"error": "not_found"}


async def test_a_track_removed_from_the_queue_and_an_ended_session_stop_streaming(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, nobody: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    sid = session["id"]
    await data(host, ENQUEUE, s=sid, t=[library.track_id("One"), library.track_id("Two")])
    await join(friend, session["inviteCode"])
    one = (await data(friend, STREAM, s=sid, t=library.track_id("One")))["createSessionStreamUrl"]
    two = (await data(friend, STREAM, s=sid, t=library.track_id("Two")))["createSessionStreamUrl"]
    assert (await nobody.get(two["url"])).content == library.files["Two"]
    state = (await data(host, GET, id=sid))["listeningSession"]
    dequeue = "mutation($s: ID!, $i: [ID!]!) { dequeue(sessionId: $s, itemIds: $i) { id } }"
    await data(host, dequeue, s=sid, i=[state["queue"][1]["id"]])
    assert (await nobody.get(two["url"])).status_code == 404
    assert (await nobody.get(one["url"])).status_code == 200
    await data(host, END, id=sid)
    assert (await nobody.get(one["url"])).status_code == 404


async def test_a_grant_is_remembered_at_most_five_seconds(  # noqa: PLR0917 - fixtures
    engine: AsyncEngine,
    host: httpx.AsyncClient,
    nobody: httpx.AsyncClient,
    library: Library,
    client_with: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tonearm.sessions.access.GRANT_TTL", 5.0)
    session, token = await _guest(host, nobody, library)
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        me = (await data(guest, GET, id=session["id"]))["listeningSession"]["viewerMember"]
    from tonearm.schema.ids import parse_global_id

    sid = parse_global_id(session["id"], "ListeningSession")
    member = parse_global_id(me["id"], "SessionMember")
    now = [1000.0]
    cache = SessionGrantCache(engine, ttl=60.0, clock=lambda: now[0])  # capped at 5 s
    track = library.tracks["One"]
    assert await cache.track(sid, member, track) is not None
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        await data(guest, LEAVE, id=session["id"])
    now[0] += 4.9
    assert await cache.track(sid, member, track) is not None  # still remembered
    now[0] += 0.2
    assert await cache.track(sid, member, track) is None  # past 5 s: asked again


async def test_a_token_for_another_version_than_the_session_plays_is_refused(
    host: httpx.AsyncClient,
    friend: httpx.AsyncClient,
    nobody: httpx.AsyncClient,
    library: Library,
    app: object,
) -> None:
    session = await create_session(host)
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")])
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    from tonearm.schema.ids import parse_global_id
    from tonearm.streaming.urls import stream_url

    signer: StreamSigner = app.state.services.signer  # type: ignore[attr-defined]
    minted = signer.mint(
        library.tracks["One"],
        variant=VariantKey(AudioFormat.OPUS, 96),
        session_id=parse_global_id(session["id"], "ListeningSession"),
        member_id=parse_global_id(member, "SessionMember"),
    )
    response = await nobody.get(stream_url(library.tracks["One"], minted.token))
    assert response.status_code == 404


def test_session_tokens_carry_the_session_and_the_member_and_older_shapes_still_verify() -> None:
    signer = StreamSigner(["k" * 32], 3600)
    track, session, member, user = (uuid.uuid4() for _ in range(4))
    minted = signer.mint(track, user_id=user, session_id=session, member_id=member)
    grant = signer.verify(minted.token, track)
    assert (grant.session_id, grant.member_id, grant.user_id, grant.variant, grant.share_id) == (
        session,
        member,
        user,
        None,
        None,
    )
    opus = VariantKey(AudioFormat.OPUS, 160)
    anonymous = signer.verify(
        signer.mint(track, variant=opus, session_id=session, member_id=member).token, track
    )
    assert (anonymous.user_id, anonymous.variant) == (None, opus)
    plain = signer.verify(signer.mint(track, user_id=user).token, track)
    assert (plain.session_id, plain.member_id, plain.user_id) == (None, None, user)
    with pytest.raises(ValueError, match="names both"):
        signer.mint(track, session_id=session)


def test_the_variant_is_the_original_opus_160_or_mp3_320_by_what_everyone_plays() -> None:
    flac = SourceAudio(AudioFormat.FLAC, 900_000, "audio/flac", 2)
    mp3 = SourceAudio(AudioFormat.MP3, 128_000, "audio/mpeg", 2)
    everything = frozenset(AudioFormat)
    no_flac = frozenset({AudioFormat.MP3, AudioFormat.OPUS})
    only_mp3 = frozenset({AudioFormat.MP3})
    assert session_offer(flac, [None, everything]).key is None  # nothing declared: anything
    assert session_offer(flac, [everything, no_flac]).key == VariantKey(AudioFormat.OPUS, 160)
    assert session_offer(flac, [no_flac, only_mp3]).key == VariantKey(AudioFormat.MP3, 320)
    assert session_offer(mp3, [only_mp3, no_flac]).key is None  # the MP3 itself
    # An MP3 at 128 offers Opus 96 only: the best Opus within 160 when MP3 is not for all.
    assert session_offer(mp3, [frozenset({AudioFormat.OPUS})]).key == VariantKey(
        AudioFormat.OPUS, 96
    )
    nothing_common = [frozenset({AudioFormat.AAC}), frozenset({AudioFormat.WAV})]
    assert session_offer(flac, nothing_common).key is None  # no choice suits all: the original


async def test_the_session_picks_its_variant_from_the_members_players(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library, nobody: httpx.AsyncClient
) -> None:
    session = await create_session(host, playable=["MP3", "OPUS"])
    await join(friend, session["inviteCode"], playable=["OPUS"])
    await data(host, ENQUEUE, s=session["id"], t=[library.track_id("One")])
    playback = (await data(host, CONTROL, s=session["id"], a="PLAY"))["controlPlayback"]
    assert (playback["format"], playback["bitrateKbps"]) == ("OPUS", 96)
    minted = (await data(friend, STREAM, s=session["id"], t=library.track_id("One")))[
        "createSessionStreamUrl"
    ]
    assert (minted["format"], minted["bitrateKbps"], minted["mimeType"]) == (
        "OPUS",
        96,
        "audio/ogg",
    )


async def test_session_covers_load_without_an_account_only_for_the_session(
    host: httpx.AsyncClient, nobody: httpx.AsyncClient, library: Library, client_with: object
) -> None:
    session, token = await _guest(host, nobody, library)
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        state = (await data(guest, GET, id=session["id"]))["listeningSession"]
    cover = state["playback"]["track"]["coverUrl"]
    assert cover is not None
    assert "?session=" in cover
    response = await nobody.get(cover)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    bare = await nobody.get(cover.split("?")[0])
    assert bare.status_code == 401
    forged = await nobody.get(cover[:-3] + "abc")
    assert forged.status_code == 401
    await data(host, END, id=session["id"])
    assert (await nobody.get(cover)).status_code == 401  # (the grant memo is off here)
