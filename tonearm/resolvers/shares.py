"""Resolvers for shares: the owner's ``createShare``/``revokeShare``/``shares`` and the two
public fields ``sharedItem`` and ``createShareStreamUrl``, which answer without an account.

The public fields say ``ShareNotFound`` for every key that opens nothing — malformed, wrong
length, unknown, revoked, expired, owner disabled, target gone — with the same message and
before any other check, so a probe learns nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import strawberry

from tonearm.catalog.pagination import Page, ShareOrder, encode_cursor
from tonearm.db.models import ShareRecord
from tonearm.playlists.queries import playlists_by_ids
from tonearm.resolvers.accounts import client_address
from tonearm.resolvers.pages import checked_page, page_info
from tonearm.schema.context import Context
from tonearm.schema.ids import (
    ALBUM_TYPE_NAME,
    PLAYLIST_TYPE_NAME,
    SHARE_TYPE_NAME,
    TRACK_TYPE_NAME,
    InvalidGlobalId,
    id_argument,
    parse_any_global_id,
    parse_global_id,
)
from tonearm.schema.library_types import Album
from tonearm.schema.playlist_types import Playlist
from tonearm.schema.share_types import (
    CreateShareInput,
    CreateShareResult,
    CreateShareStreamUrlResult,
    InvalidShareInputError,
    RevokeShareResult,
    Share,
    ShareConnection,
    SharedItem,
    SharedItemResult,
    ShareEdge,
    ShareNotFound,
    SharePasswordRequired,
    SharePlaysExhausted,
    ShareTargetNotFoundError,
)
from tonearm.schema.types import StreamUrl, Track, TrackNotFoundError
from tonearm.shares import service
from tonearm.shares.access import LiveShare, ShareKind, find_live_share, share_grants_track
from tonearm.shares.cookies import COOKIE_LIFETIME_SECONDS, cookie_name
from tonearm.shares.keys import is_share_key
from tonearm.shares.quality import ShareQuality
from tonearm.shares.queries import count_shares, list_shares, shared_view
from tonearm.streaming.urls import stream_url
from tonearm.web.credentials import origin_allowed

Info = strawberry.Info[Context, None]
NOT_FOUND = "This link has expired or was revoked."
PASSWORD_REQUIRED = "This share is protected by a password."  # noqa: S105 - a message
WRONG_PASSWORD = "Wrong password."  # noqa: S105 - a message
_KINDS = {
    TRACK_TYPE_NAME: ShareKind.TRACK,
    ALBUM_TYPE_NAME: ShareKind.ALBUM,
    PLAYLIST_TYPE_NAME: ShareKind.PLAYLIST,
}


def _origin(info: Info) -> str | None:
    """The request's origin when the browser named an allowed one (for absolute URLs)."""
    request = info.context.http_request
    origin = request.headers.get("origin")
    if origin and origin_allowed(request, info.context.services.settings.cors_origins):
        return origin.rstrip("/")
    return None


def _share(info: Info, record: ShareRecord) -> Share:
    return Share.from_record(record, origin=_origin(info))


async def resolve_create_share(info: Info, input: CreateShareInput) -> CreateShareResult:
    """Share a track, album or playlist the viewer can see."""
    try:
        type_name, target_id = parse_any_global_id(str(input.target_id), tuple(_KINDS))
    except InvalidGlobalId:
        return ShareTargetNotFoundError(
            message="No track, album or playlist you can see has this ID.",
            target_id=input.target_id,
        )
    request = service.ShareRequest(
        kind=_KINDS[type_name],
        target_id=target_id,
        expires_at=input.expires_at,
        password=input.password,
        max_plays=input.max_plays,
        allow_download=bool(input.allow_download),
        quality=input.quality or ShareQuality.ORIGINAL,
        description=input.description,
    )
    context = info.context
    async with context.db() as session:
        try:
            record = await service.create_share(
                session,
                reader=context.reader,
                request=request,
                max_days=context.services.settings.share_max_days,
            )
        except service.ShareInputError as refused:
            return InvalidShareInputError(message=refused.message, field=refused.field)
        except service.ShareTargetNotFound:
            return ShareTargetNotFoundError(
                message="No track, album or playlist you can see has this ID.",
                target_id=input.target_id,
            )
        await session.commit()
    return _share(info, record)


async def resolve_revoke_share(info: Info, id: strawberry.ID) -> RevokeShareResult:
    """Revoke one of your shares (admins: anyone's); revoking twice answers the same."""
    share_id = id_argument(id, SHARE_TYPE_NAME, "share")
    context = info.context
    async with context.db() as session:
        record = await service.revoke_share(session, reader=context.reader, share_id=share_id)
        if record is None:
            return ShareNotFound(message="You have no share with this ID.")
        await session.commit()
    return _share(info, record)


async def resolve_shares(
    info: Info, first: int | None = 50, after: str | None = None
) -> ShareConnection:
    """A page of your shares (admins: everyone's), newest first."""
    page = checked_page(ShareOrder.NEWEST, first=first, after=after)
    context = info.context
    async with context.db() as session:
        result: Page[ShareRecord] = await list_shares(session, reader=context.reader, page=page)
    edges = [
        ShareEdge(cursor=encode_cursor(ShareOrder.NEWEST, record), node=_share(info, record))
        for record in result.records
    ]
    return ShareConnection(
        page_info=page_info(result, [edge.cursor for edge in edges]),
        edges=edges,
        total_count_loader=partial(_count, context),
    )


async def _count(context: Context) -> int:
    async with context.db() as session:
        return await count_shares(session, reader=context.reader)


async def resolve_share_target(
    root: strawberry.Parent[Share], info: Info
) -> Track | Album | Playlist | None:
    """``Share.target``: the target as the viewer sees it now (null when they cannot)."""
    context = info.context
    if root.kind is ShareKind.TRACK:
        track = await context.track_loader.load(root.target_id)
        return Track.from_record(track) if track else None
    if root.kind is ShareKind.ALBUM:
        album = await context.album_loader.load(root.target_id)
        return Album.from_record(album) if album else None
    async with context.db() as session:
        found = await playlists_by_ids(session, [root.target_id], reader=context.reader)
    playlist = found.get(root.target_id)
    return Playlist.from_record(playlist) if playlist else None


def _has_cookie(info: Info, share: LiveShare) -> bool:
    assert share.password_hash is not None
    signer = info.context.services.share_signer
    return signer.is_unlocked(info.context.http_request.cookies, share.id, share.password_hash)


def _set_cookie(info: Info, share: LiveShare) -> None:
    """Hand the browser the share's unlock: HttpOnly, SameSite=Lax, a few hours."""
    assert share.password_hash is not None
    response = info.context.response
    assert response is not None
    request = info.context.http_request
    response.set_cookie(
        cookie_name(share.id),
        info.context.services.share_signer.unlock_cookie(share.id, share.password_hash),
        max_age=COOKIE_LIFETIME_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


async def resolve_shared_item(
    info: Info, key: str, password: str | None = None
) -> SharedItemResult:
    """The share's page (public): the trimmed target, or the password form, or not found."""
    if not is_share_key(key):
        return ShareNotFound(message=NOT_FOUND)
    context = info.context
    async with context.db() as session:
        opened = await service.unlock_share(
            session,
            key=key,
            password=password,
            has_cookie=partial(_has_cookie, info),
            limiter=context.services.login_limiter,
            address=client_address(info),
        )
        if opened is None:
            return ShareNotFound(message=NOT_FOUND)
        if isinstance(opened, service.PasswordNeeded):
            return _password_required(opened)
        view = await shared_view(session, opened.share)
        if view is None:
            return ShareNotFound(message=NOT_FOUND)
        await service.record_visit(session, opened.share.id)
        await session.commit()
    if opened.by_password:
        _set_cookie(info, opened.share)
    return SharedItem.from_view(view, context.services.share_signer)


def _password_required(needed: service.PasswordNeeded) -> SharePasswordRequired:
    retry = needed.retry_after_seconds
    message = WRONG_PASSWORD if needed.wrong_password else PASSWORD_REQUIRED
    if retry:
        message = f"Too many wrong passwords. Try again in {retry} seconds."
    return SharePasswordRequired(
        message=message, wrong_password=needed.wrong_password, retry_after_seconds=retry
    )


async def resolve_create_share_stream_url(  # noqa: PLR0911 - one answer per refusal
    info: Info, key: str, track_id: strawberry.ID
) -> CreateShareStreamUrlResult:
    """A stream URL of one track of the share (public), counted as one play.

    The token is bound to the share and the track; the stream route re-checks the share
    on every request. Once ``maxPlays`` URLs were minted, new ones are refused; URLs minted
    before keep working until they expire (``TONEARM_STREAM_URL_TTL``).
    """
    if not is_share_key(key):
        return ShareNotFound(message=NOT_FOUND)
    context = info.context
    async with context.db() as session:
        share = await find_live_share(session, key=key)
        if share is None:
            return ShareNotFound(message=NOT_FOUND)
        if share.password_hash is not None and not _has_cookie(info, share):
            return SharePasswordRequired(
                message=PASSWORD_REQUIRED, wrong_password=False, retry_after_seconds=None
            )
        not_found = TrackNotFoundError(message="This share has no such track.", track_id=track_id)
        try:
            track = parse_global_id(str(track_id), TRACK_TYPE_NAME)
        except InvalidGlobalId:
            return not_found
        grant = await share_grants_track(session, share, track)
        if grant is None:
            return not_found
        if not await service.claim_play(session, share.id):
            return SharePlaysExhausted(message="This share's plays are used up.")
        await session.commit()
    offer = grant.offer
    minted = context.services.signer.mint(track, variant=grant.variant, share_id=share.id)
    return StreamUrl(
        url=stream_url(track, minted.token),
        expires_at=datetime.fromtimestamp(minted.grant.expires_at, UTC),
        format=offer.format,
        bitrate_kbps=offer.bitrate_kbps,
        mime_type=offer.mime_type,
    )
