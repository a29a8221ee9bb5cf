"""Creating, joining, leaving and ending sessions; invites; roles; refusals of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sessions.conftest import (
    CREATE,
    GET,
    JOIN,
    Library,
    create_session,
    data,
    gql,
    join,
    only_error,
)
from tonearm.db.models import ListeningSessionRecord, SessionMemberRecord
from tonearm.schema.ids import global_id

NOT_FOUND = ("NOT_FOUND", "No such listening session.")
INVITE_GONE = ("NOT_FOUND", "This invite has expired or was revoked.")
INVITE = """query($c: String!) { listeningSessionInvite(inviteCode: $c) {
  name hostName allowsAnonymousGuests expiresAt } }"""
LEAVE = "mutation($id: ID!) { leaveListeningSession(id: $id) }"
END = "mutation($id: ID!) { endListeningSession(id: $id) { status endedAt } }"
RENEW = "mutation($id: ID!) { renewInviteCode(id: $id) { inviteCode inviteExpiresAt } }"
UPDATE = """mutation($id: ID!, $input: UpdateListeningSessionInput!) {
  updateListeningSession(id: $id, input: $input) { name allowAnonymousGuests requestLimit } }"""
HAND_OVER = """mutation($id: ID!, $m: ID!) { handOverListeningSession(id: $id, memberId: $m) {
  host { displayName } viewerMember { role } inviteCode } }"""
TAKE_OVER = """mutation($id: ID!) { takeOverListeningSession(id: $id) {
  host { displayName } viewerMember { role } } }"""
ROLE = """mutation($s: ID!, $m: ID!, $r: SessionMemberRole!) {
  setSessionMemberRole(sessionId: $s, memberId: $m, role: $r) { displayName role } }"""
REMOVE = "mutation($s: ID!, $m: ID!) { removeSessionMember(sessionId: $s, memberId: $m) }"
LIST = "{ listeningSessions { id name viewerMember { role } } }"


async def test_a_new_session_has_its_host_an_invite_and_nothing_playing(
    host: httpx.AsyncClient,
) -> None:
    before = datetime.now(UTC)
    session = await create_session(host, name="  Friday night  ", playable=["MP3", "OPUS"])
    assert session["name"] == "Friday night"
    assert len(session["inviteCode"]) == 22
    assert session["inviteUrl"] == f"/listen/{session['inviteCode']}"
    expires = datetime.fromisoformat(session["inviteExpiresAt"])
    assert (
        timedelta(hours=24) - timedelta(seconds=5)
        < expires - before
        < timedelta(hours=24, seconds=5)
    )
    assert (session["allowAnonymousGuests"], session["allowTakeover"], session["requestLimit"]) == (
        False,
        False,
        3,
    )
    assert session["status"] == "ACTIVE"
    assert session["sequence"] == 1  # the MEMBERS event of the host joining
    assert session["host"]["displayName"] == "host"
    assert session["host"]["role"] == "HOST"
    assert session["host"]["isOnline"] is False  # online only while subscribed
    assert session["members"] == [session["host"]]
    assert session["viewerMember"] == session["host"]
    assert session["queue"] == []
    playback = session["playback"]
    assert (playback["status"], playback["isPlaying"], playback["trackId"]) == (
        "PAUSED",
        False,
        None,
    )
    assert session["guestToken"] is None


async def test_bad_input_on_create_is_refused_with_bad_user_input(host: httpx.AsyncClient) -> None:
    for fields, message in (
        ({"name": "   "}, "name must be 1 to 200 characters."),
        ({"name": "x" * 201}, "name must be 1 to 200 characters."),
        ({"name": "a", "requestLimit": 51}, "requestLimit must be 0 to 50."),
        ({"name": "a", "requestLimit": -1}, "requestLimit must be 0 to 50."),
        ({"name": "a", "inviteExpiresInHours": 0}, "inviteExpiresInHours must be 1 to 168."),
        ({"name": "a", "inviteExpiresInHours": 169}, "inviteExpiresInHours must be 1 to 168."),
    ):
        assert only_error(await gql(host, CREATE, input=fields)) == ("BAD_USER_INPUT", message)
    body = await gql(host, CREATE, input={"name": "a", "playable": ["WMA"]})
    assert only_error(body)[0] == "BAD_USER_INPUT"  # not an AudioFormat: the schema says so


async def test_without_credentials_creating_is_unauthenticated(nobody: httpx.AsyncClient) -> None:
    body = await gql(nobody, CREATE, input={"name": "x"})
    assert only_error(body)[0] == "UNAUTHENTICATED"
    assert (await gql(nobody, LIST))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_signed_in_friend_joins_and_sees_no_invite(
    host: httpx.AsyncClient, friend: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    preview = await data(friend, INVITE, c=session["inviteCode"])
    assert preview["listeningSessionInvite"]["name"] == "Friday"
    assert preview["listeningSessionInvite"]["hostName"] == "host"
    joined = await join(friend, session["inviteCode"], playable=["MP3"])
    assert joined["id"] == session["id"]
    assert (joined["inviteCode"], joined["inviteUrl"], joined["inviteExpiresAt"]) == (
        None,
        None,
        None,
    )
    assert joined["viewerMember"]["role"] == "GUEST"
    assert joined["viewerMember"]["displayName"] == "friend"
    assert [m["displayName"] for m in joined["members"]] == ["host", "friend"]
    assert joined["guestToken"] is None
    assert (await data(friend, LIST))["listeningSessions"] == [
        {"id": session["id"], "name": "Friday", "viewerMember": {"role": "GUEST"}}
    ]
    again = await join(friend, session["inviteCode"])  # joining twice: the same membership
    assert again["viewerMember"]["id"] == joined["viewerMember"]["id"]


async def test_an_anonymous_guest_joins_only_when_allowed_and_reaches_nothing_else(
    host: httpx.AsyncClient,
    nobody: httpx.AsyncClient,
    client_with: object,
) -> None:
    closed = await create_session(host)
    body = await gql(nobody, JOIN, code=closed["inviteCode"], name="Ann")
    assert only_error(body) == (
        "FORBIDDEN",
        "This session is for signed-in members only: sign in to join.",
    )
    session = await create_session(host, allowAnonymousGuests=True)
    assert only_error(await gql(nobody, JOIN, code=session["inviteCode"], name=" "))[0] == (
        "BAD_USER_INPUT"
    )
    joined = await join(nobody, session["inviteCode"], name="Ann")
    token = joined["guestToken"]
    assert token.startswith("tgs_")
    assert joined["viewerMember"]["isAnonymous"] is True
    assert joined["viewerMember"]["displayName"] == "Ann"
    async with client_with({"Authorization": f"Bearer {token}"}) as guest:  # type: ignore[operator]
        seen = await data(guest, GET, id=session["id"])
        assert seen["listeningSession"]["viewerMember"]["displayName"] == "Ann"
        assert seen["listeningSession"]["guestToken"] is None
        for library_field in (
            "{ tracks { totalCount } }",
            "{ albums { totalCount } }",
            "{ viewer { id } }",
        ):
            body = await gql(guest, library_field)
            if library_field == "{ viewer { id } }":
                assert body["data"]["viewer"] is None
                continue
            assert only_error(body)[0] == "UNAUTHENTICATED"
        other = await data(guest, GET, id=closed["id"])
        assert other["listeningSession"] is None  # not theirs: not there


async def test_every_not_found_reason_is_byte_identical(
    host: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    unknown = global_id("ListeningSession", __import__("uuid").uuid4())
    for http, session_id in (
        (stranger, session["id"]),  # someone else's
        (stranger, unknown),  # no such session
        (stranger, "nonsense"),  # malformed
        (stranger, global_id("Track", __import__("uuid").uuid4())),  # another type's id
        (host, unknown),
    ):
        assert (await data(http, GET, id=session_id))["listeningSession"] is None
        assert only_error(await gql(http, LEAVE, id=session_id)) == NOT_FOUND
        assert only_error(await gql(http, END, id=session_id)) == NOT_FOUND
        assert only_error(await gql(http, RENEW, id=session_id)) == NOT_FOUND


async def test_guests_get_forbidden_on_host_only_mutations(
    host: httpx.AsyncClient, friend: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    joined = await join(friend, session["inviteCode"])
    host_member = session["host"]["id"]
    host_only = ("FORBIDDEN", "Only the host may do this.")
    assert only_error(await gql(friend, END, id=session["id"])) == host_only
    assert only_error(await gql(friend, RENEW, id=session["id"])) == host_only
    assert only_error(await gql(friend, UPDATE, id=session["id"], input={"name": "x"})) == host_only
    assert only_error(await gql(friend, HAND_OVER, id=session["id"], m=host_member)) == host_only
    role = await gql(friend, ROLE, s=session["id"], m=joined["viewerMember"]["id"], r="COHOST")
    assert only_error(role) == host_only
    remove = await gql(friend, REMOVE, s=session["id"], m=host_member)
    assert only_error(remove) == ("FORBIDDEN", "Only the host or a co-host may do this.")


async def test_the_host_updates_renews_and_the_old_invite_stops(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    updated = await data(
        host, UPDATE, id=session["id"], input={"name": "Saturday", "requestLimit": 5}
    )
    assert updated["updateListeningSession"] == {
        "name": "Saturday",
        "allowAnonymousGuests": False,
        "requestLimit": 5,
    }
    bad = await gql(host, UPDATE, id=session["id"], input={"requestLimit": 99})
    assert only_error(bad) == ("BAD_USER_INPUT", "requestLimit must be 0 to 50.")
    renewed = (await data(host, RENEW, id=session["id"]))["renewInviteCode"]
    assert renewed["inviteCode"] != session["inviteCode"]
    old = await gql(friend, JOIN, code=session["inviteCode"])
    assert only_error(old) == INVITE_GONE
    assert (await data(friend, INVITE, c=session["inviteCode"]))["listeningSessionInvite"] is None
    assert (await join(stranger, renewed["inviteCode"]))["name"] == "Saturday"


async def test_expired_malformed_and_ended_invites_answer_the_same(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    expired = await create_session(host, inviteExpiresInHours=1)
    async with engine.begin() as connection:
        await connection.execute(
            update(ListeningSessionRecord).values(
                invite_expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    ended = await create_session(host)
    await data(host, END, id=ended["id"])
    for code in (expired["inviteCode"], ended["inviteCode"], "short", "x" * 22, "é" * 22, ""):
        assert only_error(await gql(friend, JOIN, code=code)) == INVITE_GONE
        assert (await data(friend, INVITE, c=code))["listeningSessionInvite"] is None


async def test_ending_stops_every_change_with_session_ended(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, library: Library
) -> None:
    session = await create_session(host)
    await join(friend, session["inviteCode"])
    ended = (await data(host, END, id=session["id"]))["endListeningSession"]
    assert ended["status"] == "ENDED"
    assert ended["endedAt"] is not None
    gone = ("SESSION_ENDED", "This listening session has ended.")
    assert only_error(await gql(friend, LEAVE, id=session["id"])) == gone
    assert only_error(await gql(host, END, id=session["id"])) == gone
    enqueue = """mutation($s: ID!, $t: [ID!]!) { enqueue(sessionId: $s, trackIds: $t) { id } }"""
    assert (
        only_error(await gql(host, enqueue, s=session["id"], t=[library.track_id("One")])) == gone
    )
    seen = (await data(friend, GET, id=session["id"]))["listeningSession"]
    assert seen["status"] == "ENDED"  # members still read it
    assert (await data(friend, LIST))["listeningSessions"] == []


async def test_leaving_and_rejoining_gives_the_same_membership_back(
    host: httpx.AsyncClient, friend: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    assert (await data(friend, LEAVE, id=session["id"]))["leaveListeningSession"] is True
    assert (await data(friend, GET, id=session["id"]))["listeningSession"] is None
    assert only_error(await gql(friend, LEAVE, id=session["id"])) == NOT_FOUND
    host_leaves = await gql(host, LEAVE, id=session["id"])
    assert only_error(host_leaves) == (
        "FORBIDDEN",
        "The host cannot leave: hand the session over or end it.",
    )
    assert (await join(friend, session["inviteCode"]))["viewerMember"]["id"] == member


async def test_hand_over_makes_the_old_host_a_cohost(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, nobody: httpx.AsyncClient
) -> None:
    session = await create_session(host, allowAnonymousGuests=True)
    friend_member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    anonymous = (await join(nobody, session["inviteCode"], name="Ann"))["viewerMember"]["id"]
    refused = await gql(host, HAND_OVER, id=session["id"], m=anonymous)
    assert only_error(refused) == ("BAD_USER_INPUT", "Only a signed-in member can become the host.")
    missing = await gql(host, HAND_OVER, id=session["id"], m="bogus")
    assert only_error(missing) == ("NOT_FOUND", "No such member.")
    handed = (await data(host, HAND_OVER, id=session["id"], m=friend_member))[
        "handOverListeningSession"
    ]
    assert handed["host"] == {"displayName": "friend"}
    assert handed["viewerMember"] == {"role": "COHOST"}
    assert handed["inviteCode"] is not None  # a co-host still sees the invite
    assert only_error(await gql(host, END, id=session["id"])) == (
        "FORBIDDEN",
        "Only the host may do this.",
    )


async def test_take_over_only_when_allowed_and_the_host_is_gone_a_minute(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    closed = await create_session(host)
    await join(friend, closed["inviteCode"])
    assert only_error(await gql(friend, TAKE_OVER, id=closed["id"])) == (
        "FORBIDDEN",
        "The host does not allow taking over this session.",
    )
    session = await create_session(host, allowTakeover=True)
    await join(friend, session["inviteCode"])
    async with engine.begin() as connection:
        await connection.execute(
            update(SessionMemberRecord)
            .where(SessionMemberRecord.role == "host")
            .values(last_seen_at=datetime.now(UTC))
        )
    assert only_error(await gql(friend, TAKE_OVER, id=session["id"]))[0] == "FORBIDDEN"
    async with engine.begin() as connection:
        await connection.execute(
            update(SessionMemberRecord)
            .where(SessionMemberRecord.role == "host")
            .values(last_seen_at=datetime.now(UTC) - timedelta(seconds=61))
        )
    taken = (await data(friend, TAKE_OVER, id=session["id"]))["takeOverListeningSession"]
    assert taken == {"host": {"displayName": "friend"}, "viewerMember": {"role": "HOST"}}
    roles = (await data(host, GET, id=session["id"]))["listeningSession"]["viewerMember"]
    assert roles["role"] == "COHOST"


async def test_roles_and_removal(
    host: httpx.AsyncClient, friend: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    session = await create_session(host)
    friend_member = (await join(friend, session["inviteCode"]))["viewerMember"]["id"]
    other = (await join(stranger, session["inviteCode"]))["viewerMember"]["id"]
    made = await data(host, ROLE, s=session["id"], m=friend_member, r="COHOST")
    assert made["setSessionMemberRole"] == {"displayName": "friend", "role": "COHOST"}
    host_role = await gql(host, ROLE, s=session["id"], m=friend_member, r="HOST")
    assert only_error(host_role)[0] == "BAD_USER_INPUT"
    assert only_error(await gql(friend, REMOVE, s=session["id"], m=session["host"]["id"])) == (
        "FORBIDDEN",
        "Nobody may remove the host.",
    )
    assert (await data(friend, REMOVE, s=session["id"], m=other))["removeSessionMember"] is True
    assert (await data(stranger, GET, id=session["id"]))["listeningSession"] is None
    assert only_error(await gql(friend, REMOVE, s=session["id"], m=other)) == (
        "NOT_FOUND",
        "No such member.",
    )
