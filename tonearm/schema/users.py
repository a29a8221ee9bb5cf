"""GraphQL types for managing accounts: user inputs and results, browser sessions.

Expected refusals are members of each mutation's result union (like ``LoginResult``), so a
client handles them as data; only permission and malformed-ID errors are GraphQL errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from tonearm.accounts.sessions import BrowserSession as SessionInfo
from tonearm.accounts.users import Role
from tonearm.schema.account_types import LoginRateLimited, User
from tonearm.schema.ids import SESSION_TYPE_NAME, global_id


@strawberry.type(description="A browser signed in to your account (never its secret).")
class BrowserSession:
    """One of the viewer's sessions."""

    id: strawberry.ID = strawberry.field(description="Global ID, for endSession.")
    created_at: datetime = strawberry.field(description="When the browser signed in.")
    expires_at: datetime = strawberry.field(description="When the session ends by itself.")
    current: bool = strawberry.field(description="Whether this is the browser asking.")

    @classmethod
    def from_info(cls, info: SessionInfo) -> BrowserSession:
        """The GraphQL view of a session."""
        return cls(
            id=strawberry.ID(global_id(SESSION_TYPE_NAME, info.id)),
            created_at=info.created_at,
            expires_at=info.expires_at,
            current=info.current,
        )


@strawberry.input(description="A new account; it gets a one-time password.")
class CreateUserInput:
    """What ``createUser`` needs."""

    username: str = strawberry.field(
        description="1 to 64 letters, digits or . _ @ + - (unique, ignoring case)."
    )
    role: Role = strawberry.field(default=Role.LISTENER, description="What the user may do.")


@strawberry.input(description="Changes to an account: only the fields given change.")
class UpdateUserInput:
    """Every field is optional (omitted or null: unchanged), so fields can be added later."""

    role: Role | None = strawberry.field(default=strawberry.UNSET, description="A new role.")
    disabled: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true disables the account and ends its sessions and API tokens.",
    )
    can_upload: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Grant (true) or withdraw (false) the upload permission (admins keep it).",
    )


@strawberry.type(description="A new account with its one-time password.")
class CreatedUser:
    """Hand the password to the person; it is stored only as a hash and never shown again."""

    user: User = strawberry.field(description="The new account.")
    one_time_password: str = strawberry.field(
        description="Shown once. The user must choose a new password after signing in."
    )


@strawberry.type(description="A new one-time password; the account's sessions and tokens ended.")
class PasswordReset:
    """Hand the password to the person; it is stored only as a hash and never shown again."""

    user: User = strawberry.field(description="The account.")
    one_time_password: str = strawberry.field(
        description="Shown once. The user must choose a new password after signing in."
    )


@strawberry.type(description="Another account already has this name (names ignore case).")
class UsernameTakenError:
    """``createUser`` with a name in use."""

    message: str = strawberry.field(description="What went wrong, for people.")
    username: str = strawberry.field(description="The name asked for.")


@strawberry.type(description="Usernames have 1 to 64 letters, digits or . _ @ + -.")
class InvalidUsernameError:
    """``createUser`` with a name that breaks the rules."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="No account has this ID.")
class UserNotFoundError:
    """The user to change does not exist."""

    message: str = strawberry.field(description="What went wrong, for people.")
    user_id: strawberry.ID = strawberry.field(description="The ID asked for.")


@strawberry.type(description="The change would leave the server without an enabled admin.")
class LastActiveAdminError:
    """Disabling or demoting the only active admin is refused."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The current password is not right.")
class WrongPasswordError:
    """``changePassword`` could not confirm who is asking."""

    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="The new password is not acceptable.")
class PasswordRejectedError:
    """Too short, too long, or the same as the current one."""

    message: str = strawberry.field(description="What went wrong, for people.")


CreateUserResult = Annotated[
    CreatedUser | UsernameTakenError | InvalidUsernameError,
    strawberry.union("CreateUserResult", description="The new account, or why not."),
]
UpdateUserResult = Annotated[
    User | UserNotFoundError | LastActiveAdminError,
    strawberry.union("UpdateUserResult", description="The changed account, or why not."),
]
ResetUserPasswordResult = Annotated[
    PasswordReset | UserNotFoundError,
    strawberry.union("ResetUserPasswordResult", description="The new password, or why not."),
]
ChangePasswordResult = Annotated[
    User | WrongPasswordError | PasswordRejectedError | LoginRateLimited,
    strawberry.union(
        "ChangePasswordResult",
        description="The viewer with the new password, or why not (wrong current passwords "
        "count toward the sign-in limit).",
    ),
]
