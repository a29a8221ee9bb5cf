"""Who may see and change a playlist: the one definition every read and write applies.

- Nobody sees a playlist in the trash. A user sees their own playlists, public ones, the
  server's (read from M3U files) and collaborative ones they were made a collaborator of.
  Admins see every other playlist. Nobody signed out sees any.
- Only the owner (or an admin) renames, deletes or changes a playlist's settings.
- The owner and, on a collaborative playlist, its collaborators add, remove and reorder
  items. Smart playlists (rules) and the server's playlists have no items to change.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_

from tonearm.catalog.access import Reader
from tonearm.db.models import PlaylistCollaboratorRecord, PlaylistRecord


class PlaylistKind(enum.StrEnum):
    """What a playlist's items are; the value is what ``playlists.kind`` stores."""

    STATIC = "static"
    SMART = "smart"
    FILE = "file"


def playlist_visible(reader: Reader, row: Any = PlaylistRecord) -> ColumnElement[bool]:
    """The WHERE clause of playlists ``reader`` may see (``row``: the model or an alias).

    A playlist in the trash is seen by nobody here (the trash lists it on its own).
    """
    kept: ColumnElement[bool] = row.trash_id.is_(None)
    if reader.is_admin:
        return kept
    if reader.user_id is None:
        return false()
    collaborating = exists().where(
        PlaylistCollaboratorRecord.playlist_id == row.id,
        PlaylistCollaboratorRecord.user_id == reader.user_id,
    )
    return and_(
        kept,
        or_(
            row.owner_id == reader.user_id,
            row.is_public.is_(True),
            row.kind == PlaylistKind.FILE.value,
            collaborating,
        ),
    )


def can_change_settings(reader: Reader, playlist: PlaylistRecord) -> bool:
    """Whether ``reader`` may rename, delete or change the settings of ``playlist``."""
    if playlist.kind == PlaylistKind.FILE.value:
        return False
    return reader.is_admin or (reader.user_id is not None and playlist.owner_id == reader.user_id)


def can_change_items(reader: Reader, playlist: PlaylistRecord, *, is_collaborator: bool) -> bool:
    """Whether ``reader`` may add, remove and reorder the items of ``playlist``."""
    if playlist.kind != PlaylistKind.STATIC.value:
        return False
    if can_change_settings(reader, playlist):
        return True
    return playlist.is_collaborative and is_collaborator
