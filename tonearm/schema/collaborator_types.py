"""GraphQL types of roles on tracks and albums: collaborators, public users, refusals.

The result unions of the mutations (which also name ``Track`` and ``Album``) are in
``schema/editing_types.py``; this module imports neither, so ``types.py`` can use it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from tonearm.catalog.access import CollaboratorRole
from tonearm.schema.ids import USER_TYPE_NAME, global_id

strawberry.enum(
    CollaboratorRole,
    name="CollaboratorRole",
    description=(
        "A role on a track or album. OWNER: edit fields and collaborators. EDITOR: edit "
        "fields. VIEWER: see it while it is unpublished, change nothing."
    ),
)


@strawberry.type(description="Another account as anyone signed in may see it: id and name.")
class PublicUser:
    """A user named to share work with; never their role, state or sign-in times."""

    id: strawberry.ID = strawberry.field(description="The User global ID.")
    username: str = strawberry.field(description="The name they sign in with.")

    @classmethod
    def of(cls, user_id: uuid.UUID, username: str) -> PublicUser:
        """The public view of an account."""
        return cls(id=strawberry.ID(global_id(USER_TYPE_NAME, user_id)), username=username)


@strawberry.type(description="Someone with a role on a track or album.")
class Collaborator:
    """One person and their role (on a track: the stronger of its own and its album's)."""

    user: PublicUser = strawberry.field(description="Who.")
    role: CollaboratorRole = strawberry.field(description="Their effective role here.")
    inherited: bool = strawberry.field(
        description="The role comes from the album (an album owner owns every track of it)."
    )
    added_at: datetime = strawberry.field(description="When they were first given a role here.")


@strawberry.type(description="No album has the given ID.")
class AlbumNotFoundError:
    """An album that does not exist, or that the viewer may not see."""

    message: str = strawberry.field(description="What went wrong, for people.")
    album_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="Your role here does not allow this change.")
class EditNotAllowedError:
    """Viewers change nothing, editors change fields, owners also change collaborators."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The change would leave an uploaded track or album without an owner.")
class LastOwnerError:
    """Add another owner first."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The user has no role of their own here.")
class CollaboratorNotFoundError:
    """Updating or removing someone who is not a collaborator (album roles count on albums)."""

    message: str = strawberry.field(description="What went wrong, for people.")
    user_id: strawberry.ID = strawberry.field(description="The ID that was asked for.")


@strawberry.type(description="A field of the input is not acceptable; nothing was changed.")
class InvalidTrackInputError:
    """The first field that failed, by its input name, and why."""

    field: str = strawberry.field(description='The input field, e.g. "title" or "trackNumber".')
    message: str = strawberry.field(description="What is wrong with it, for people.")
