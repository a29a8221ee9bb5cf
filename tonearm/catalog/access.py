"""Who may see and change a track or an album: the one definition of the rules.

Roles are ``owner``, ``editor`` and ``viewer``, held on a track (``track_collaborators``)
or on an album (``album_collaborators``, reaching every track of the album). A user's
effective role on a track is the stronger of the two; admins are owners everywhere, and a
scanned track nobody was given a role on is the admins' alone.

- OWNER: edit fields and collaborators. EDITOR: edit fields. VIEWER: sees the unpublished
  track, changes nothing.
- An album owner is an owner of every track of the album; that role is *inherited* and
  cannot be demoted or removed at the track level, by anyone.
- The last owner of an uploaded track (or of an album with uploaded tracks) cannot be
  removed or demoted (``LastOwnerError``).
- Visibility: a track is visible when it is available (``catalog.states``: not missing,
  not in the trash — for everyone, admins included) and published, or the reader has any
  role on it (track or album), or is an admin. An album is visible when it is available (has
  an available track) and has a published one (``track_count`` counts available published
  tracks only) or a track the reader can see; an artist likewise by their tracks and
  albums. Not visible looks exactly like not there. The admins' views of missing and
  trashed tracks (``missingTracks``, ``trash``) read them on purpose, not through these.

The pure functions decide from roles already read; the ``*_visible`` functions are the SQL
predicates every read of the catalog applies. Each predicate is ``published OR EXISTS(…)``
so that with no unpublished track in the registry the ``EXISTS`` is never evaluated.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal_column, not_, or_, select
from sqlalchemy.orm import aliased

from tonearm.catalog.states import GONE_LITERAL, TrackState
from tonearm.db.models import (
    AlbumArtistRecord,
    AlbumCollaboratorRecord,
    AlbumRecord,
    ArtistRecord,
    TrackArtistRecord,
    TrackCollaboratorRecord,
    TrackRecord,
)


class CollaboratorRole(enum.StrEnum):
    """A role on a track or album; the value is what the collaborator tables store."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


_RANK = {CollaboratorRole.VIEWER: 1, CollaboratorRole.EDITOR: 2, CollaboratorRole.OWNER: 3}
_PERFORMING = ("main", "featured")
# Named once: an anonymous alias made per call would give every statement a new cache key,
# and SQLAlchemy would compile it afresh each time (measured: 2.9 ms → 13 ms a page).
_MEMBER = aliased(TrackRecord, name="member_track")
_CREDITED = aliased(TrackRecord, name="credited_track")


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads the catalog: a user id (None: nobody signed in) and whether they are an admin.

    ``TONEARM_AUTH=none`` reads as an admin without a user id.
    """

    user_id: uuid.UUID | None
    is_admin: bool = False


ANONYMOUS = Reader(None, False)
ADMIN = Reader(None, True)


class AccessError(Exception):
    """A change to a track's or album's collaborators that the rules refuse."""


class LastOwnerError(AccessError):
    """The change would leave an uploaded track (or album) without an owner."""


class InheritedOwnerError(AccessError):
    """The user owns the album: their role on its tracks cannot be changed track by track."""


def parse_role(value: str | None) -> CollaboratorRole | None:
    """The role a collaborator row stores (None for no row)."""
    return None if value is None else CollaboratorRole(value)


def strongest(roles: Iterable[CollaboratorRole | None]) -> CollaboratorRole | None:
    """The strongest of these roles (None when there is none)."""
    best: CollaboratorRole | None = None
    for role in roles:
        if role is not None and (best is None or _RANK[role] > _RANK[best]):
            best = role
    return best


def effective_role(
    reader: Reader,
    *,
    track_role: CollaboratorRole | None = None,
    album_role: CollaboratorRole | None = None,
) -> CollaboratorRole | None:
    """The reader's role on a track: the stronger of track and album rows; admins OWNER."""
    if reader.is_admin:
        return CollaboratorRole.OWNER
    return strongest((track_role, album_role))


def can_edit(role: CollaboratorRole | None) -> bool:
    """Whether a role may change fields (owners and editors)."""
    return role in {CollaboratorRole.OWNER, CollaboratorRole.EDITOR}


def can_manage(role: CollaboratorRole | None) -> bool:
    """Whether a role may change collaborators (owners only)."""
    return role is CollaboratorRole.OWNER


def can_see(role: CollaboratorRole | None, *, is_published: bool) -> bool:
    """Whether a track with this effective role and publication state is visible."""
    return is_published or role is not None


def shown_track_role(
    *, track_role: CollaboratorRole | None, album_role: CollaboratorRole | None
) -> tuple[CollaboratorRole | None, bool]:
    """A collaborator's role on a track as listed, and whether it is inherited from the album.

    An album owner is listed as OWNER (inherited) whatever their track row says.
    """
    if album_role is CollaboratorRole.OWNER:
        return CollaboratorRole.OWNER, True
    role = strongest((track_role, album_role))
    return role, role is not None and role is not track_role


def check_track_change(
    *,
    target_album_role: CollaboratorRole | None,
    new_role: CollaboratorRole | None,
    is_upload: bool,
    other_owners: int,
) -> None:
    """Refuse a change of one user's track role (``new_role`` None: removal).

    ``other_owners`` counts the track's owners besides the target (track rows and album
    owners). Raises ``InheritedOwnerError`` for demoting or removing an album owner and
    ``LastOwnerError`` for leaving an uploaded track without an owner.
    """
    if target_album_role is CollaboratorRole.OWNER and new_role is not CollaboratorRole.OWNER:
        raise InheritedOwnerError("they own the album, and so every track of it")
    if is_upload and new_role is not CollaboratorRole.OWNER and other_owners == 0:
        raise LastOwnerError("an uploaded track keeps at least one owner")


def check_album_change(*, new_role: CollaboratorRole | None, orphaned_uploads: int) -> None:
    """Refuse a change of one user's album role that would leave uploads without an owner.

    ``orphaned_uploads`` counts the album's uploaded tracks whose only owner is the target's
    album role (no track owner row, no other album owner).
    """
    if new_role is not CollaboratorRole.OWNER and orphaned_uploads > 0:
        raise LastOwnerError("the album's uploaded tracks keep at least one owner")


# --- SQL predicates -------------------------------------------------------------------------


def has_track_role(user_id: uuid.UUID, row: Any = TrackRecord) -> ColumnElement[bool]:
    """Whether ``user_id`` has any role on the track (its own row or its album's).

    ``row`` is ``TrackRecord`` or an alias of it.
    """
    own = exists().where(
        TrackCollaboratorRecord.track_id == row.id, TrackCollaboratorRecord.user_id == user_id
    )
    via_album = exists().where(
        AlbumCollaboratorRecord.album_id == row.album_id,
        AlbumCollaboratorRecord.user_id == user_id,
    )
    return or_(own, via_album)


def track_gone() -> ColumnElement[bool]:
    """Missing or in the trash: the rows of the partial index ``ix_tracks_gone``.

    Written with the literal (not a bound parameter) so that it is the index's own WHERE
    term, which SQLite and PostgreSQL can then match when they plan the statement. An index
    of every row's state would make the planners walk it for ``state = 'available'`` and
    sort the whole library for each page instead of walking the order's index.
    """
    gone: ColumnElement[bool] = TrackRecord.state != literal_column(GONE_LITERAL)
    return gone


def track_available(row: Any = TrackRecord) -> ColumnElement[bool]:
    """Whether the track is there for listeners: neither missing nor in the trash."""
    available: ColumnElement[bool] = row.state == TrackState.AVAILABLE.value
    return available


def track_visible(reader: Reader, row: Any = TrackRecord) -> ColumnElement[bool]:
    """The WHERE clause of tracks ``reader`` may see (``row``: ``TrackRecord`` or an alias)."""
    available = track_available(row)
    if reader.is_admin:
        return available
    published: ColumnElement[bool] = row.is_published.is_(True)
    if reader.user_id is None:
        return and_(available, published)
    return and_(available, or_(published, has_track_role(reader.user_id, row)))


def track_hidden(reader: Reader) -> ColumnElement[bool]:
    """The tracks ``reader`` may not see.

    Counts are "all minus hidden": the hidden part is the partial index of the missing and
    trashed rows (``track_gone``) and a range of the ``is_published`` index over the
    unpublished rows, so a count costs what it did before roles and the trash existed.
    """
    gone = track_gone()
    if reader.is_admin:
        return gone
    unpublished: ColumnElement[bool] = TrackRecord.is_published.is_(False)
    if reader.user_id is None:
        return or_(gone, unpublished)
    return or_(gone, and_(unpublished, not_(has_track_role(reader.user_id))))


def album_hidden(reader: Reader) -> ColumnElement[bool]:
    """The albums ``reader`` may not see."""
    gone: ColumnElement[bool] = AlbumRecord.is_available.is_(False)
    if reader.is_admin:
        return gone
    without_published = AlbumRecord.track_count == 0
    if reader.user_id is None:
        return or_(gone, without_published)
    return or_(gone, and_(without_published, not_(_album_reachable(reader.user_id))))


def _album_reachable(user_id: uuid.UUID) -> ColumnElement[bool]:
    by_album = exists().where(
        AlbumCollaboratorRecord.album_id == AlbumRecord.id,
        AlbumCollaboratorRecord.user_id == user_id,
    )
    by_track = exists(
        select(TrackCollaboratorRecord.track_id)
        .join(_MEMBER, _MEMBER.id == TrackCollaboratorRecord.track_id)
        .where(
            _MEMBER.album_id == AlbumRecord.id,
            TrackCollaboratorRecord.user_id == user_id,
            track_available(_MEMBER),
        )
    )
    return or_(by_album, by_track)


def album_visible(reader: Reader) -> ColumnElement[bool]:
    """The WHERE clause of albums ``reader`` may see.

    ``track_count`` counts available published tracks, so an album with one is visible to
    all; one without is visible only through a track the reader can see. An album none of
    whose tracks is available (all missing or in the trash) is visible to nobody.
    """
    available: ColumnElement[bool] = AlbumRecord.is_available.is_(True)
    if reader.is_admin:
        return available
    published = AlbumRecord.track_count > 0
    if reader.user_id is None:
        return and_(available, published)
    return and_(available, or_(published, _album_reachable(reader.user_id)))


def artist_visible(reader: Reader) -> ColumnElement[bool]:
    """The WHERE clause of artists ``reader`` may see in lists and lookups.

    An artist's counts (``album_count``, ``track_count``) cover published tracks and albums
    with one, so an artist with a count is visible to all; one without only through a track
    (as a main or featured artist) or album (as an album artist) the reader can see.
    """
    listed = or_(ArtistRecord.album_count > 0, ArtistRecord.track_count > 0)
    if reader.user_id is None and not reader.is_admin:
        return listed
    credited = _CREDITED
    on_track = exists(
        select(TrackArtistRecord.track_id)
        .join(credited, credited.id == TrackArtistRecord.track_id)
        .where(
            TrackArtistRecord.artist_id == ArtistRecord.id,
            TrackArtistRecord.role.in_(_PERFORMING),
            track_visible(reader, credited),
        )
    )
    on_album = exists(
        select(AlbumArtistRecord.album_id)
        .join(AlbumRecord, AlbumRecord.id == AlbumArtistRecord.album_id)
        .where(AlbumArtistRecord.artist_id == ArtistRecord.id, album_visible(reader))
    )
    return or_(listed, on_track, on_album)
