"""Building the schema: the root types and ``build_schema()`` (no module-level instance)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import StreamResult
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from tonearm.catalog.artists import ArtistRole
from tonearm.library.summary import ScanSummary
from tonearm.resolvers.accounts import (
    resolve_api_tokens,
    resolve_auth_mode,
    resolve_create_api_token,
    resolve_login,
    resolve_logout,
    resolve_revoke_api_token,
    resolve_viewer,
)
from tonearm.resolvers.albums import resolve_album, resolve_albums
from tonearm.resolvers.artists import resolve_artist, resolve_artists
from tonearm.resolvers.clock import resolve_server_time
from tonearm.resolvers.collaborators import (
    resolve_add_album_collaborator,
    resolve_add_track_collaborator,
    resolve_remove_album_collaborator,
    resolve_remove_track_collaborator,
    resolve_update_album_collaborator,
    resolve_update_track_collaborator,
    resolve_user_by_username,
)
from tonearm.resolvers.comments import (
    resolve_add_comment,
    resolve_delete_comment,
    resolve_edit_comment,
)
from tonearm.resolvers.direct_uploads import (
    resolve_start_direct_upload,
    resolve_upload_part_urls,
)
from tonearm.resolvers.editing import resolve_update_album, resolve_update_track
from tonearm.resolvers.finishing import resolve_finish_upload
from tonearm.resolvers.library import resolve_library, resolve_scan_library
from tonearm.resolvers.library_events import resolve_library_events
from tonearm.resolvers.likes import resolve_liked, resolve_set_liked
from tonearm.resolvers.missing import resolve_missing_tracks
from tonearm.resolvers.nodes import resolve_node
from tonearm.resolvers.playlists import (
    resolve_add_to_playlist,
    resolve_create_playlist,
    resolve_move_playlist_item,
    resolve_playlist,
    resolve_playlists,
    resolve_remove_from_playlist,
    resolve_set_playlist_collaborators,
    resolve_update_playlist,
)
from tonearm.resolvers.plays import resolve_history, resolve_record_play, resolve_top_tracks
from tonearm.resolvers.session_events import resolve_session_events
from tonearm.resolvers.sessions import (
    resolve_control_playback,
    resolve_create_listening_session,
    resolve_create_session_stream_url,
    resolve_decide_request,
    resolve_dequeue,
    resolve_end_listening_session,
    resolve_enqueue,
    resolve_hand_over_listening_session,
    resolve_join_listening_session,
    resolve_leave_listening_session,
    resolve_listening_session,
    resolve_listening_session_invite,
    resolve_listening_sessions,
    resolve_move_queue_item,
    resolve_remove_session_member,
    resolve_renew_invite_code,
    resolve_report_ready,
    resolve_report_sync_state,
    resolve_request_track,
    resolve_set_session_member_role,
    resolve_take_over_listening_session,
    resolve_update_listening_session,
)
from tonearm.resolvers.shares import (
    resolve_create_share,
    resolve_create_share_stream_url,
    resolve_revoke_share,
    resolve_shared_item,
    resolve_shares,
)
from tonearm.resolvers.smart_playlists import (
    resolve_create_smart_playlist,
    resolve_smart_playlist_preview,
)
from tonearm.resolvers.streams import resolve_create_stream_url
from tonearm.resolvers.tracks import resolve_track, resolve_tracks
from tonearm.resolvers.transcoding import resolve_retry_variant, resolve_transcode_queue
from tonearm.resolvers.trash import (
    resolve_delete_album,
    resolve_delete_playlist,
    resolve_delete_track,
    resolve_empty_trash,
    resolve_purge,
    resolve_restore,
    resolve_trash,
)
from tonearm.resolvers.uploads import resolve_upload_tracks
from tonearm.resolvers.users import (
    resolve_change_password,
    resolve_create_user,
    resolve_end_session,
    resolve_reset_user_password,
    resolve_sessions,
    resolve_update_user,
    resolve_users,
)
from tonearm.schema.account_types import (
    ApiToken,
    AuthMode,
    CreatedApiToken,
    LoginResult,
    User,
)
from tonearm.schema.collaborator_types import PublicUser
from tonearm.schema.editing_types import (
    AlbumCollaboratorsResult,
    TrackCollaboratorsResult,
    UpdateAlbumResult,
    UpdateTrackResult,
)
from tonearm.schema.event_types import LibraryEvent, ServerTime
from tonearm.schema.execution import FlatFieldsExecutionContext
from tonearm.schema.extensions import (
    api_extensions,
    apply_error_policy,
    is_outage,
    is_unexpected,
)
from tonearm.schema.library_types import Album, AlbumConnection, Artist, ArtistConnection
from tonearm.schema.permissions import ADMIN_ONLY, SESSION_MEMBER, SIGNED_IN
from tonearm.schema.playlist_types import (
    CreatePlaylistResult,
    CreateSmartPlaylistResult,
    DeletePlaylistResult,
    Playlist,
    PlaylistCollaboratorsResult,
    PlaylistConnection,
    PlaylistItemsResult,
    SmartPlaylistPreviewResult,
    UpdatePlaylistResult,
)
from tonearm.schema.scalars import SCALAR_MAP
from tonearm.schema.session_types import (
    ListeningSession,
    SessionEvent,
    SessionInvite,
    SessionMember,
    SessionPlayback,
    SessionRequest,
)
from tonearm.schema.share_types import (
    CreateShareResult,
    CreateShareStreamUrlResult,
    RevokeShareResult,
    ShareConnection,
    SharedItemResult,
)
from tonearm.schema.social_types import (
    AddCommentResult,
    DeleteCommentResult,
    EditCommentResult,
    LikeConnection,
    PlayConnection,
    RecordPlayResult,
    SetLikedResult,
    TopTrack,
)
from tonearm.schema.trash_types import (
    DeleteResult,
    EmptyTrashResult,
    PurgeResult,
    RestoreResult,
    TrashEntryConnection,
)
from tonearm.schema.types import (
    CreateStreamUrlResult,
    LibraryStats,
    RetryVariantResult,
    ScanSummaryType,
    StreamUrl,
    Track,
    TrackConnection,
)
from tonearm.schema.upload_types import (
    FinishUploadResult,
    StartDirectUploadResult,
    UploadPartUrlsResult,
    UploadTracksResult,
)
from tonearm.schema.users import (
    BrowserSession,
    ChangePasswordResult,
    CreateUserResult,
    ResetUserPasswordResult,
    UpdateUserResult,
)
from tonearm.schema.variant_types import TranscodeQueue
from tonearm.web.outages import log_outage

logger = logging.getLogger("tonearm.graphql")


@strawberry.type(description="Reading the registry.")
class Query:
    """Root query type. Everything but ``viewer``, ``authMode`` and ``sharedItem`` needs a
    signed-in user."""

    node: relay.Node | None = strawberry.field(
        resolver=resolve_node,
        description="A track, album, artist or playlist by its global ID (Relay refetch), or null.",
        permission_classes=SIGNED_IN,
    )
    track: Track | None = strawberry.field(
        resolver=resolve_track,
        description="The track with this global ID, or null.",
        permission_classes=SIGNED_IN,
    )
    tracks: TrackConnection = strawberry.field(
        resolver=resolve_tracks,
        description="Tracks, one page at a time (default 20, at most 100 per page).",
        permission_classes=SIGNED_IN,
    )
    albums: AlbumConnection = strawberry.field(
        resolver=resolve_albums,
        description="Albums, one page at a time (default 20, at most 100 per page).",
        permission_classes=SIGNED_IN,
    )
    artists: ArtistConnection = strawberry.field(
        resolver=resolve_artists,
        description=(
            "Artists credited as a main, featured or album artist, one page at a time "
            "(default 20, at most 100 per page)."
        ),
        permission_classes=SIGNED_IN,
    )
    album: Album | None = strawberry.field(
        resolver=resolve_album,
        description="The album with this global ID, or null.",
        permission_classes=SIGNED_IN,
    )
    artist: Artist | None = strawberry.field(
        resolver=resolve_artist,
        description="The artist with this global ID, or null.",
        permission_classes=SIGNED_IN,
    )
    missing_tracks: TrackConnection = strawberry.field(
        resolver=resolve_missing_tracks,
        description=(
            "Tracks whose files were gone at a rescan, the longest missing first (default "
            "50, at most 100 per page; admins only). Hidden from every other list."
        ),
        permission_classes=ADMIN_ONLY,
    )
    library: LibraryStats = strawberry.field(
        resolver=resolve_library,
        description="Totals over the whole registry.",
        permission_classes=SIGNED_IN,
    )
    viewer: User | None = strawberry.field(
        resolver=resolve_viewer, description="The signed-in user, or null."
    )
    auth_mode: AuthMode = strawberry.field(
        resolver=resolve_auth_mode, description="Whether this server requires signing in."
    )
    api_tokens: list[ApiToken] = strawberry.field(
        resolver=resolve_api_tokens,
        description="The viewer's personal API tokens, newest first.",
        permission_classes=SIGNED_IN,
    )
    sessions: list[BrowserSession] = strawberry.field(
        resolver=resolve_sessions,
        description="The viewer's signed-in browsers, newest first.",
        permission_classes=SIGNED_IN,
    )
    users: list[User] = strawberry.field(
        resolver=resolve_users,
        description="Every account, by name (admins only).",
        permission_classes=ADMIN_ONLY,
    )
    user_by_username: PublicUser | None = strawberry.field(
        resolver=resolve_user_by_username,
        description="An enabled account by its exact name (any case), to share work with; or null.",
        permission_classes=SIGNED_IN,
    )
    playlists: PlaylistConnection = strawberry.field(
        resolver=resolve_playlists,
        description="Playlists of a scope you can see, by name (default 20, at most 100).",
        permission_classes=SIGNED_IN,
    )
    playlist: Playlist | None = strawberry.field(
        resolver=resolve_playlist,
        description="The playlist with this global ID, or null.",
        permission_classes=SIGNED_IN,
    )
    smart_playlist_preview: SmartPlaylistPreviewResult = strawberry.field(
        resolver=resolve_smart_playlist_preview,
        description="What smart rules give you now (your likes and plays).",
        permission_classes=SIGNED_IN,
    )
    transcode_queue: TranscodeQueue = strawberry.field(
        resolver=resolve_transcode_queue,
        description="The variant job queue: counts and the latest failures (admins only).",
        permission_classes=ADMIN_ONLY,
    )
    liked: LikeConnection = strawberry.field(
        resolver=resolve_liked,
        description="Your likes of things you can see, newest first (kind: only that kind).",
        permission_classes=SIGNED_IN,
    )
    history: PlayConnection = strawberry.field(
        resolver=resolve_history,
        description="Your counted plays of tracks you can see, latest first.",
        permission_classes=SIGNED_IN,
    )
    trash: TrashEntryConnection = strawberry.field(
        resolver=resolve_trash,
        description=(
            "Your trash, most recently deleted first (admins: everyone's): what you "
            "deleted or what was deleted of yours (first: at most 100)."
        ),
        permission_classes=SIGNED_IN,
    )
    top_tracks: list[TopTrack] = strawberry.field(
        resolver=resolve_top_tracks,
        description=(
            "The most played tracks you can see over a rolling period, yours or everyone's "
            "(first: at most 100; ties by track id)."
        ),
        permission_classes=SIGNED_IN,
    )
    shares: ShareConnection = strawberry.field(
        resolver=resolve_shares,
        description=(
            "Your share links (admins: everyone's), newest first; shares of something in "
            "the trash or missing are left out until it is back."
        ),
        permission_classes=SIGNED_IN,
    )
    listening_session: ListeningSession | None = strawberry.field(
        resolver=resolve_listening_session,
        description="A listening session you are a member of (ended ones too), else null.",
        permission_classes=SESSION_MEMBER,
    )
    listening_sessions: list[ListeningSession] = strawberry.field(
        resolver=resolve_listening_sessions,
        description="Your active listening sessions, newest first (a guest: theirs).",
        permission_classes=SESSION_MEMBER,
    )
    listening_session_invite: SessionInvite | None = strawberry.field(
        resolver=resolve_listening_session_invite,
        description=(
            "Public (no account needed): what an invite shows; null when it is unknown, "
            "expired, revoked or its session ended."
        ),
    )
    shared_item: SharedItemResult = strawberry.field(
        resolver=resolve_shared_item,
        description=(
            "Public (no account needed): what a share link shows. Unknown, revoked and "
            "expired keys all answer ShareNotFound; a correct password sets a cookie that "
            "unlocks the share for a few hours."
        ),
    )
    server_time: ServerTime = strawberry.field(
        resolver=resolve_server_time,
        description=(
            "Public, no database: the server's clock (ms since the epoch) when the request "
            "arrived and when it was answered, for an NTP-style clock offset."
        ),
    )


@strawberry.type(description="Live streams of events, over WebSocket (graphql-transport-ws).")
class Subscription:
    """Root subscription type."""

    library_events: AsyncGenerator[LibraryEvent, None] = strawberry.subscription(
        resolver=resolve_library_events,
        description=(
            "Library events from now on: scans starting, progressing and finishing (admins "
            "only) and variants becoming ready (tracks the viewer can see)."
        ),
        permission_classes=SIGNED_IN,
    )
    session_events: AsyncGenerator[SessionEvent, None] = strawberry.subscription(
        resolver=resolve_session_events,
        description=(
            "A listening session's events as they happen (members). afterSequence: replay "
            "the log after it first (null: only new events); sequences are consecutive."
        ),
        permission_classes=SESSION_MEMBER,
    )


@strawberry.type(description="Changing the registry or minting access.")
class Mutation:
    """Root mutation type. Cookie-authenticated mutations must pass the CSRF check."""

    create_stream_url: CreateStreamUrlResult = strawberry.mutation(
        resolver=resolve_create_stream_url,
        description=(
            "A signed, expiring URL to stream a track: the original, or the best version "
            "within format and maxBitrateKbps. Asking for something the track does not offer "
            "is a typed error, never a silent substitute."
        ),
        permission_classes=SIGNED_IN,
    )
    create_share_stream_url: CreateShareStreamUrlResult = strawberry.mutation(
        resolver=resolve_create_share_stream_url,
        description=(
            "Public (no account needed): a stream URL of one track of a share, counted as a "
            "play. The URL stops working within seconds of the share being revoked."
        ),
    )
    create_share: CreateShareResult = strawberry.mutation(
        resolver=resolve_create_share,
        description="Make a link that lets anyone holding it listen to a track, album or playlist.",
        permission_classes=SIGNED_IN,
    )
    revoke_share: RevokeShareResult = strawberry.mutation(
        resolver=resolve_revoke_share,
        description="Stop one of your share links (admins: anyone's) at once.",
        permission_classes=SIGNED_IN,
    )
    create_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_create_listening_session,
        description="Start a listening session that you host (copy its inviteUrl to invite).",
        permission_classes=SIGNED_IN,
    )
    join_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_join_listening_session,
        description=(
            "Join with an invite code. Without an account (when the host allows it) give a "
            "displayName: the answer's guestToken is your credential for this session only."
        ),
    )
    leave_listening_session: bool = strawberry.mutation(
        resolver=resolve_leave_listening_session,
        description="Leave a session (the host hands it over or ends it instead).",
        permission_classes=SESSION_MEMBER,
    )
    end_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_end_listening_session,
        description="End the session for everyone (host).",
        permission_classes=SESSION_MEMBER,
    )
    update_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_update_listening_session,
        description="Change the session's name or settings (host); omitted fields stay.",
        permission_classes=SESSION_MEMBER,
    )
    renew_invite_code: ListeningSession = strawberry.mutation(
        resolver=resolve_renew_invite_code,
        description="A new invite code (host); the old one stops working at once.",
        permission_classes=SESSION_MEMBER,
    )
    hand_over_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_hand_over_listening_session,
        description="Make a signed-in member the host (host); you become a co-host.",
        permission_classes=SESSION_MEMBER,
    )
    take_over_listening_session: ListeningSession = strawberry.mutation(
        resolver=resolve_take_over_listening_session,
        description=(
            "Become the host when the session allows takeover and its host has been "
            "offline for a minute (signed-in members)."
        ),
        permission_classes=SESSION_MEMBER,
    )
    set_session_member_role: SessionMember = strawberry.mutation(
        resolver=resolve_set_session_member_role,
        description="Make a member a co-host or a guest again (host).",
        permission_classes=SESSION_MEMBER,
    )
    remove_session_member: bool = strawberry.mutation(
        resolver=resolve_remove_session_member,
        description="Remove a member (host or co-host; never the host).",
        permission_classes=SESSION_MEMBER,
    )
    control_playback: SessionPlayback = strawberry.mutation(
        resolver=resolve_control_playback,
        description="PLAY, PAUSE, SEEK (positionSeconds), NEXT or PREVIOUS (host or co-host).",
        permission_classes=SESSION_MEMBER,
    )
    enqueue: ListeningSession = strawberry.mutation(
        resolver=resolve_enqueue,
        description=(
            "Add up to 100 tracks before the item at position (null: the end; host or co-host)."
        ),
        permission_classes=SESSION_MEMBER,
    )
    dequeue: ListeningSession = strawberry.mutation(
        resolver=resolve_dequeue,
        description="Remove items from the queue (host or co-host).",
        permission_classes=SESSION_MEMBER,
    )
    move_queue_item: ListeningSession = strawberry.mutation(
        resolver=resolve_move_queue_item,
        description="Move an item so that it ends at index toPosition (host or co-host).",
        permission_classes=SESSION_MEMBER,
    )
    request_track: SessionRequest = strawberry.mutation(
        resolver=resolve_request_track,
        description=(
            "Ask for a track (any member; note up to 500 characters). An anonymous guest "
            "may ask only for tracks already in the session."
        ),
        permission_classes=SESSION_MEMBER,
    )
    decide_request: SessionRequest = strawberry.mutation(
        resolver=resolve_decide_request,
        description=(
            "Approve a request into the queue at position, or decline it (host or co-host)."
        ),
        permission_classes=SESSION_MEMBER,
    )
    report_ready: SessionPlayback = strawberry.mutation(
        resolver=resolve_report_ready,
        description="Say your player has buffered for this epoch, with its round trip in ms.",
        permission_classes=SESSION_MEMBER,
    )
    report_sync_state: bool = strawberry.mutation(
        resolver=resolve_report_sync_state,
        description="Say how your player follows (IN_SYNC or CATCHING_UP, offset in ms).",
        permission_classes=SESSION_MEMBER,
    )
    create_session_stream_url: StreamUrl = strawberry.mutation(
        resolver=resolve_create_session_stream_url,
        description=(
            "A stream URL of the session's current or a queued track in the version the "
            "session plays, bound to the session and you (any member)."
        ),
        permission_classes=SESSION_MEMBER,
    )
    retry_variant: RetryVariantResult = strawberry.mutation(
        resolver=resolve_retry_variant,
        description="Queue a failed variant to be made again (admins only).",
        permission_classes=ADMIN_ONLY,
    )
    finish_upload: FinishUploadResult = strawberry.mutation(
        resolver=resolve_finish_upload,
        description=(
            "Turn a complete resumable upload into a track: the last step after POST and "
            "PATCH at /api/uploads (tus), or after PUTting every part of a direct upload "
            "(the server lists the parts itself). Answers like one file of uploadTracks."
        ),
        permission_classes=SIGNED_IN,
    )
    start_direct_upload: StartDirectUploadResult = strawberry.mutation(
        resolver=resolve_start_direct_upload,
        description=(
            "Begin a direct upload of length bytes into the server's object storage "
            "(User.uploadMethod DIRECT): the same checks as a tus POST, then a presigned "
            "URL per part; PUT each part there, then finishUpload(uploadId)."
        ),
        permission_classes=SIGNED_IN,
    )
    upload_part_urls: UploadPartUrlsResult = strawberry.mutation(
        resolver=resolve_upload_part_urls,
        description=(
            "New presigned URLs for parts of your direct upload (to retry a part, or when "
            "its URL expired); at most 1000 part numbers per request."
        ),
        permission_classes=SIGNED_IN,
    )
    update_track: UpdateTrackResult = strawberry.mutation(
        resolver=resolve_update_track,
        description=(
            "Edit a track (owners, editors, admins). Scanned files keep the edit as an "
            "override rescans respect; uploaded files also get it in their tags."
        ),
        permission_classes=SIGNED_IN,
    )
    update_album: UpdateAlbumResult = strawberry.mutation(
        resolver=resolve_update_album,
        description="Set album fields on every track of the album you may edit.",
        permission_classes=SIGNED_IN,
    )
    add_track_collaborator: TrackCollaboratorsResult = strawberry.mutation(
        resolver=resolve_add_track_collaborator,
        description="Give someone a role on a track (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    update_track_collaborator: TrackCollaboratorsResult = strawberry.mutation(
        resolver=resolve_update_track_collaborator,
        description="Change someone's role on a track (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    remove_track_collaborator: TrackCollaboratorsResult = strawberry.mutation(
        resolver=resolve_remove_track_collaborator,
        description="Take someone's role on a track away (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    add_album_collaborator: AlbumCollaboratorsResult = strawberry.mutation(
        resolver=resolve_add_album_collaborator,
        description="Give someone a role on an album and its tracks (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    update_album_collaborator: AlbumCollaboratorsResult = strawberry.mutation(
        resolver=resolve_update_album_collaborator,
        description="Change someone's role on an album (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    remove_album_collaborator: AlbumCollaboratorsResult = strawberry.mutation(
        resolver=resolve_remove_album_collaborator,
        description="Take someone's role on an album away (its owners and admins).",
        permission_classes=SIGNED_IN,
    )
    create_playlist: CreatePlaylistResult = strawberry.mutation(
        resolver=resolve_create_playlist,
        description="Create a playlist of your own (private unless isPublic).",
        permission_classes=SIGNED_IN,
    )
    create_smart_playlist: CreateSmartPlaylistResult = strawberry.mutation(
        resolver=resolve_create_smart_playlist,
        description="Create a playlist whose tracks are computed from rules.",
        permission_classes=SIGNED_IN,
    )
    update_playlist: UpdatePlaylistResult = strawberry.mutation(
        resolver=resolve_update_playlist,
        description="Rename a playlist or change its settings or rules (its owner).",
        permission_classes=SIGNED_IN,
    )
    delete_playlist: DeletePlaylistResult = strawberry.mutation(
        resolver=resolve_delete_playlist,
        description="Move a playlist to the trash (its owner, admins); restore brings it back.",
        permission_classes=SIGNED_IN,
    )
    delete_track: DeleteResult = strawberry.mutation(
        resolver=resolve_delete_track,
        description=(
            "Move a track to the trash (its owners, admins): it disappears from every list, "
            "search, count and stream; its likes, plays, comments and playlist entries are "
            "kept for restore."
        ),
        permission_classes=SIGNED_IN,
    )
    delete_album: DeleteResult = strawberry.mutation(
        resolver=resolve_delete_album,
        description="Move an album's tracks to the trash (owners of every one, admins).",
        permission_classes=SIGNED_IN,
    )
    restore: RestoreResult = strawberry.mutation(
        resolver=resolve_restore,
        description="Bring a track, album or playlist back from the trash exactly as it was.",
        permission_classes=SIGNED_IN,
    )
    purge: PurgeResult = strawberry.mutation(
        resolver=resolve_purge,
        description=(
            "Delete something in the trash for good (admins: also a missing track). An "
            "uploaded file is deleted; a scanned file only with TONEARM_ALLOW_FILE_DELETION, "
            "otherwise the next scans skip it."
        ),
        permission_classes=SIGNED_IN,
    )
    empty_trash: EmptyTrashResult = strawberry.mutation(
        resolver=resolve_empty_trash,
        description="Purge everything in your trash (admins: everyone's).",
        permission_classes=SIGNED_IN,
    )
    add_to_playlist: PlaylistItemsResult = strawberry.mutation(
        resolver=resolve_add_to_playlist,
        description=(
            "Add up to 1,000 tracks (duplicates allowed) before the item now at position; "
            "null or the item count appends."
        ),
        permission_classes=SIGNED_IN,
    )
    remove_from_playlist: PlaylistItemsResult = strawberry.mutation(
        resolver=resolve_remove_from_playlist,
        description="Remove items from a playlist.",
        permission_classes=SIGNED_IN,
    )
    move_playlist_item: PlaylistItemsResult = strawberry.mutation(
        resolver=resolve_move_playlist_item,
        description="Move an item so that it ends at index toPosition (0 ≤ toPosition < count).",
        permission_classes=SIGNED_IN,
    )
    set_playlist_collaborators: PlaylistCollaboratorsResult = strawberry.mutation(
        resolver=resolve_set_playlist_collaborators,
        description="Replace who may add and reorder on your collaborative playlist.",
        permission_classes=SIGNED_IN,
    )
    scan_library: ScanSummary = strawberry.mutation(
        resolver=resolve_scan_library,
        graphql_type=ScanSummaryType,
        description=(
            "Scan the media root into the registry now (admins only). confirmMissing: mark "
            "gone files missing even when the root is empty or more than half of the "
            "library is gone at once (otherwise kept, in case a drive is unmounted)."
        ),
        permission_classes=ADMIN_ONLY,
    )
    upload_tracks: UploadTracksResult = strawberry.mutation(
        resolver=resolve_upload_tracks,
        description=(
            "Upload files as tracks in one GraphQL multipart request (one Upload per file; "
            "albumId: add them to that album). One result per file, in order; a file over "
            "the size limit, not audio, broken, a duplicate or over the quota is a typed "
            "result and the others still count. Cookie-authenticated requests need the "
            "header Tonearm-CSRF: 1."
        ),
        permission_classes=SIGNED_IN,
    )
    set_liked: SetLikedResult = strawberry.mutation(
        resolver=resolve_set_liked,
        description="Like or unlike a track, album or artist (idempotent both ways).",
        permission_classes=SIGNED_IN,
    )
    record_play: RecordPlayResult = strawberry.mutation(
        resolver=resolve_record_play,
        description=(
            "Report a play: it counts when playedSeconds reaches half the track or 4 minutes "
            "(startedAt defaults to now - playedSeconds); implausible reports are refused."
        ),
        permission_classes=SIGNED_IN,
    )
    add_comment: AddCommentResult = strawberry.mutation(
        resolver=resolve_add_comment,
        description="Comment on a track or album (plain text, up to 2,000 characters).",
        permission_classes=SIGNED_IN,
    )
    edit_comment: EditCommentResult = strawberry.mutation(
        resolver=resolve_edit_comment,
        description="Replace the text of one of your comments.",
        permission_classes=SIGNED_IN,
    )
    delete_comment: DeleteCommentResult = strawberry.mutation(
        resolver=resolve_delete_comment,
        description="Delete a comment (its author, or an admin).",
        permission_classes=SIGNED_IN,
    )
    login: LoginResult = strawberry.mutation(
        resolver=resolve_login,
        description="Check a username and password and start a browser session (cookie).",
    )
    logout: bool = strawberry.mutation(
        resolver=resolve_logout,
        description="End this browser's session; false when there was none.",
    )
    create_api_token: CreatedApiToken = strawberry.mutation(
        resolver=resolve_create_api_token,
        description="A personal token for scripts: send it as Authorization: Bearer <token>.",
        permission_classes=SIGNED_IN,
    )
    revoke_api_token: bool = strawberry.mutation(
        resolver=resolve_revoke_api_token,
        description="Revoke one of your API tokens; false when there is no such live token.",
        permission_classes=SIGNED_IN,
    )
    change_password: ChangePasswordResult = strawberry.mutation(
        resolver=resolve_change_password,
        description="Replace your password; your other browser sessions end.",
        permission_classes=SIGNED_IN,
    )
    end_session: bool = strawberry.mutation(
        resolver=resolve_end_session,
        description="Sign one of your browsers out; false when you have no such session.",
        permission_classes=SIGNED_IN,
    )
    create_user: CreateUserResult = strawberry.mutation(
        resolver=resolve_create_user,
        description="Add an account with a one-time password (admins only).",
        permission_classes=ADMIN_ONLY,
    )
    update_user: UpdateUserResult = strawberry.mutation(
        resolver=resolve_update_user,
        description="Change an account's role or disable it (admins only).",
        permission_classes=ADMIN_ONLY,
    )
    reset_user_password: ResetUserPasswordResult = strawberry.mutation(
        resolver=resolve_reset_user_password,
        description=(
            "Give an account a new one-time password, ending its sessions and API tokens "
            "(admins only)."
        ),
        permission_classes=ADMIN_ONLY,
    )


class TonearmSchema(strawberry.Schema):
    """Applies the error policy to every result; logs unexpected errors with traceback."""

    async def execute(  # noqa: PLR0917 - Strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Strawberry's ``execute``, then codes and masking on whatever errors came out."""
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if result.errors:
            result.errors = apply_error_policy(result.errors)
        return result

    async def stream(  # noqa: PLR0917 - Strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """Strawberry's ``stream`` (every operation over WebSocket), with the error policy
        applied to each result as ``execute`` applies it over HTTP."""
        results = await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        return _with_error_policy(results)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Called with the original errors, before they are masked."""
        for error in errors:
            if is_outage(error):
                assert error.original_error is not None
                log_outage(f"GraphQL operation at {error.path}", error.original_error)
            elif is_unexpected(error):
                logger.error(
                    "unexpected error in GraphQL operation at %s",
                    error.path,
                    exc_info=error.original_error,
                )
            else:
                logger.debug("GraphQL request failed: %s", error.message)


async def _with_error_policy(results: StreamResult) -> StreamResult:
    async with aclosing(results):
        async for result in results:
            # A pre-execution error that makes the socket close (4400) keeps its cause.
            closes = isinstance(result, PreExecutionError) and isinstance(
                (result.errors or [GraphQLError("")])[0].original_error,
                CannotGetOperationTypeError,
            )
            if isinstance(result, ExecutionResult) and result.errors and not closes:
                result.errors = apply_error_policy(result.errors)
            yield result


def build_schema(*, fast_path: bool = True) -> strawberry.Schema:
    """A fresh schema with tonearm's limits and error policy.

    ``fast_path=False`` executes every field through graphql-core (the reference that
    ``benchmarks/graphql_api.py`` measures the flat-field fast path against).
    """
    execution_context = FlatFieldsExecutionContext.for_schema()
    schema = TonearmSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Part of the contract before any field returns it (the credits of a track).
        types=[ArtistRole],
        extensions=api_extensions(),
        execution_context_class=execution_context,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
    if fast_path:
        execution_context.bind(schema)
    return schema
