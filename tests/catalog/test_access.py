"""The rules of ``catalog.access`` and the one application of edits, ``catalog.rows``."""

from __future__ import annotations

import uuid

import pytest

from tonearm.catalog.access import (
    ADMIN,
    ANONYMOUS,
    CollaboratorRole,
    InheritedOwnerError,
    LastOwnerError,
    Reader,
    can_edit,
    can_manage,
    can_see,
    check_album_change,
    check_track_change,
    effective_role,
    shown_track_role,
)
from tonearm.catalog.rows import apply_overrides, overridden_fields, track_row

OWNER, EDITOR, VIEWER = CollaboratorRole.OWNER, CollaboratorRole.EDITOR, CollaboratorRole.VIEWER
USER = Reader(uuid.uuid4())


@pytest.mark.parametrize(
    ("track_role", "album_role", "expected"),
    [
        (None, None, None),
        (VIEWER, None, VIEWER),
        (None, EDITOR, EDITOR),
        (VIEWER, OWNER, OWNER),
        (OWNER, VIEWER, OWNER),
        (EDITOR, VIEWER, EDITOR),
    ],
)
def test_effective_role_is_the_stronger_row(
    track_role: CollaboratorRole | None,
    album_role: CollaboratorRole | None,
    expected: CollaboratorRole | None,
) -> None:
    assert effective_role(USER, track_role=track_role, album_role=album_role) is expected


def test_admins_own_everything_and_nobody_else_owns_scanned_tracks() -> None:
    assert effective_role(ADMIN) is OWNER
    assert effective_role(USER) is None
    assert effective_role(ANONYMOUS) is None


def test_what_each_role_may_do() -> None:
    assert [can_edit(role) for role in (OWNER, EDITOR, VIEWER, None)] == [True, True, False, False]
    assert [can_manage(role) for role in (OWNER, EDITOR, VIEWER, None)] == [
        True,
        False,
        False,
        False,
    ]
    assert can_see(None, is_published=True)
    assert can_see(VIEWER, is_published=False)
    assert not can_see(None, is_published=False)


def test_album_owners_are_listed_as_inherited_owners() -> None:
    assert shown_track_role(track_role=VIEWER, album_role=OWNER) == (OWNER, True)
    assert shown_track_role(track_role=None, album_role=EDITOR) == (EDITOR, True)
    assert shown_track_role(track_role=EDITOR, album_role=VIEWER) == (EDITOR, False)
    assert shown_track_role(track_role=OWNER, album_role=None) == (OWNER, False)


@pytest.mark.parametrize("new_role", [EDITOR, VIEWER, None])
def test_an_album_owner_cannot_be_demoted_or_removed_on_a_track(
    new_role: CollaboratorRole | None,
) -> None:
    with pytest.raises(InheritedOwnerError):
        check_track_change(
            target_album_role=OWNER, new_role=new_role, is_upload=False, other_owners=3
        )


def test_the_last_owner_of_an_upload_stays() -> None:
    for new_role in (EDITOR, VIEWER, None):
        with pytest.raises(LastOwnerError):
            check_track_change(
                target_album_role=None, new_role=new_role, is_upload=True, other_owners=0
            )
        check_track_change(
            target_album_role=None, new_role=new_role, is_upload=True, other_owners=1
        )
        check_track_change(
            target_album_role=None, new_role=new_role, is_upload=False, other_owners=0
        )
    check_track_change(target_album_role=None, new_role=OWNER, is_upload=True, other_owners=0)
    with pytest.raises(LastOwnerError):
        check_album_change(new_role=None, orphaned_uploads=1)
    check_album_change(new_role=None, orphaned_uploads=0)
    check_album_change(new_role=OWNER, orphaned_uploads=2)


def _row(**tags: object) -> dict[str, object]:
    values: dict[str, object] = {
        "path": "a/b.mp3",
        "title": "Tagged",
        "artist": "Band feat. Guest",
        "album": "Record",
        "album_artist": None,
        "track_number": 1,
        "disc_number": 1,
        "year": 2001,
        "genre": "Rock",
        "duration_seconds": 1.0,
        "bitrate": None,
        "sample_rate": None,
        "channels": None,
        "size_bytes": 1,
        "mtime_ns": 1,
        "mime_type": "audio/mpeg",
    }
    values.update(tags)
    return track_row(**values)  # type: ignore[arg-type]


def test_overrides_rebuild_every_derived_column() -> None:
    edited = apply_overrides(
        _row(),
        {"title": "Edited", "artists": ["Ann", "Bea"], "album": "Solo", "genre": None},
    )
    expected = _row(
        title="Edited", artist="Ann, Bea", album="Solo", genre=None, artists=["Ann", "Bea"]
    )
    assert edited == {**expected, "lyrics": None, "is_explicit": False}
    assert edited["artist_names"] == ["Ann", "Bea"]
    assert edited["featured_artist_names"] == []
    assert edited["genres"] == []


def test_no_overrides_leave_the_row_as_the_tags_say() -> None:
    row = _row()
    assert apply_overrides(row, None) == {**row, "lyrics": None, "is_explicit": False}
    assert apply_overrides(row, {"unknown": 1}) == {**row, "lyrics": None, "is_explicit": False}


def test_applying_over_an_edited_row_equals_applying_over_the_tags() -> None:
    """The scanner applies all overrides over fresh tags; an edit applies them over the row
    as stored, which already carries the earlier ones: both must agree."""
    first = {"album_artist": "The Band", "year": 1970}
    both = {**first, "album": "Renamed", "track_number": 4, "lyrics": "la", "is_explicit": True}
    stored = apply_overrides(_row(), first)
    assert apply_overrides(stored, both) == apply_overrides(_row(), both)


def test_overridden_fields_are_input_names_in_input_order() -> None:
    edits = {"is_explicit": True, "album_artist": "X", "title": "Y", "track_number": 2}
    assert overridden_fields(edits) == ["title", "albumArtist", "trackNumber", "explicit"]
    assert overridden_fields(None) == []
