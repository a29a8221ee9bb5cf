"""GraphQL types for accounts: users and the viewer, login results and personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from tonearm.accounts.users import Role
from tonearm.accounts.viewer import Viewer
from tonearm.db.models import ApiTokenRecord, UserRecord
from tonearm.schema.context import Context
from tonearm.schema.ids import API_TOKEN_TYPE_NAME, USER_TYPE_NAME, global_id

if TYPE_CHECKING:
    from tonearm.schema.upload_types import UploadMethod, UploadQuota

# The domain's enum, exposed as it is: one concept, one definition.
strawberry.enum(
    Role,
    name="Role",
    description=(
        "What a user may do: ADMIN also scans the library and manages users; "
        "LISTENER browses and plays."
    ),
)


@strawberry.enum(name="AuthMode", description="Whether this server requires accounts.")
class AuthMode(Enum):
    """TONEARM_AUTH as clients see it."""

    REQUIRED = strawberry.enum_value("required", description="Sign in to use the API.")
    NONE = strawberry.enum_value("none", description="Everyone is the local admin.")


UPLOAD_TYPES = "tonearm.schema.upload_types"


async def _upload_quota(
    root: strawberry.Parent[User], info: strawberry.Info[Context, None]
) -> Annotated[UploadQuota, strawberry.lazy(UPLOAD_TYPES)] | None:
    from tonearm.resolvers.uploads import resolve_upload_quota

    return await resolve_upload_quota(info, root.user_id, root.role)


def _upload_method(
    info: strawberry.Info[Context, None],
) -> Annotated[UploadMethod, strawberry.lazy(UPLOAD_TYPES)]:
    from tonearm.resolvers.direct_uploads import upload_method

    return upload_method(info)


@strawberry.type(name="User", description="An account (or the local admin without accounts).")
class User:
    """The viewer as GraphQL shows it; never a password hash."""

    id: strawberry.ID = strawberry.field(description="Global ID ('local' without accounts).")
    username: str = strawberry.field(description="The name used to sign in.")
    role: Role = strawberry.field(description="What the user may do.")
    created_at: datetime | None = strawberry.field(description="When the account was made.")
    last_login_at: datetime | None = strawberry.field(description="The latest sign-in.")
    disabled: bool = strawberry.field(
        description="A disabled account cannot sign in; its sessions and tokens have ended."
    )
    must_change_password: bool = strawberry.field(
        description=(
            "The password is a one-time password an admin handed out: choose a new one "
            "with changePassword."
        )
    )
    can_upload: bool = strawberry.field(
        description=(
            "Whether the user may upload music: always for admins, otherwise when an admin "
            "granted it (false without accounts: uploads belong to an account)."
        )
    )
    user_id: strawberry.Private[uuid.UUID | None] = None

    upload_quota: Annotated[UploadQuota, strawberry.lazy(UPLOAD_TYPES)] | None = strawberry.field(
        resolver=_upload_quota,
        description="The upload quota: only on yourself (viewer) or for admins, else null.",
    )

    upload_method: Annotated[UploadMethod, strawberry.lazy(UPLOAD_TYPES)] = strawberry.field(
        resolver=_upload_method,
        description=(
            "How this server takes uploads (the same for every user): TUS or DIRECT "
            "(startDirectUpload, the parts PUT straight to object storage)."
        ),
    )

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> User:
        """The GraphQL view of a request's viewer."""
        return cls(
            id=strawberry.ID(
                global_id(USER_TYPE_NAME, viewer.user_id) if viewer.user_id else "local"
            ),
            username=viewer.username,
            role=viewer.role,
            created_at=viewer.created_at,
            last_login_at=viewer.last_login_at,
            disabled=False,
            must_change_password=viewer.must_change_password,
            can_upload=viewer.user_id is not None and (viewer.is_admin or viewer.can_upload),
            user_id=viewer.user_id,
        )

    @classmethod
    def from_record(cls, record: UserRecord) -> User:
        """The GraphQL view of a user row (never its password hash)."""
        return cls(
            id=strawberry.ID(global_id(USER_TYPE_NAME, record.id)),
            username=record.username,
            role=Role(record.role),
            created_at=record.created_at,
            last_login_at=record.last_login_at,
            disabled=not record.is_active,
            must_change_password=record.must_change_password,
            can_upload=record.role == Role.ADMIN.value or record.can_upload,
            user_id=record.id,
        )


@strawberry.type(description="Wrong username or password, or a disabled account.")
class LoginFailed:
    """A refused sign-in; deliberately the same for every reason."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="Too many sign-in attempts; wait before trying again.")
class LoginRateLimited:
    """Sign-ins for this name or address are paused."""

    message: str = strawberry.field(description="What went wrong, for people.")
    retry_after_seconds: int = strawberry.field(description="Seconds until the next try.")


LoginResult = Annotated[
    User | LoginFailed | LoginRateLimited,
    strawberry.union("LoginResult", description="The signed-in user, or why not."),
]


@strawberry.type(description="A personal API token (its secret is shown only once).")
class ApiToken:
    """A token's metadata."""

    id: strawberry.ID = strawberry.field(description="Global ID, for revokeApiToken.")
    name: str = strawberry.field(description="What the token is for.")
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(description="When it was last used.")

    @classmethod
    def from_record(cls, record: ApiTokenRecord) -> ApiToken:
        """The GraphQL view of a token row."""
        return cls(
            id=strawberry.ID(global_id(API_TOKEN_TYPE_NAME, record.id)),
            name=record.name,
            created_at=record.created_at,
            last_used_at=record.last_used_at,
        )


@strawberry.type(description="A new API token with its secret.")
class CreatedApiToken:
    """Send the secret as ``Authorization: Bearer <token>``; it cannot be shown again."""

    token: str = strawberry.field(description="The secret. Store it now.")
    api_token: ApiToken = strawberry.field(description="The token's metadata.")
