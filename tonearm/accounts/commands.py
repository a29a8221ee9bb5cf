"""``tonearm user …``: add, passwd, reset, role, set, list, disable, enable.

Passwords are read from a prompt on a terminal, or from the first line of standard input
when it is piped — never from the command line, where other users could see them.

Each command calls the same ``tonearm.accounts.users`` function as its GraphQL mutation
(``createUser``, ``resetUserPassword``, ``updateUser``, ``users``), so both follow the same
rules; ``tests/test_cli.py`` checks that they do.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

# The command-line parser is built on every ``tonearm`` run, including the light ``serve``
# supervisor, so what the commands need is imported when they run.
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def read_password(prompt: str = "Password: ") -> str:
    """A new password from the terminal (asked twice) or the first line of piped stdin."""
    from tonearm.accounts.passwords import WeakPassword, check_password_rules
    from tonearm.settings import ConfigurationError

    if sys.stdin.isatty():
        password = getpass.getpass(prompt)
        if getpass.getpass("Repeat password: ") != password:
            raise ConfigurationError("the passwords do not match")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        check_password_rules(password)
    except WeakPassword as exc:
        raise ConfigurationError(str(exc)) from None
    return password


def _run(
    action: Callable[[AsyncSession], Awaitable[str]], *, lost_access: list[uuid.UUID] | None = None
) -> int:
    """Run ``action`` in one committed transaction; then tell the servers' processes that
    the users in ``lost_access`` (filled by the action) lost it, closing their sockets."""
    from tonearm.accounts.passwords import WeakPassword
    from tonearm.accounts.users import AccountError
    from tonearm.db.engine import create_session_factory, engine_for
    from tonearm.db.migrations import upgrade_to_head
    from tonearm.settings import ConfigurationError, Settings

    settings = Settings()
    upgrade_to_head(settings.resolved_database_url)

    async def main() -> str:
        async with engine_for(settings.resolved_database_url) as engine:
            async with create_session_factory(engine).begin() as session:
                said = await action(session)
            if lost_access:
                await _announce(settings, engine, lost_access)
            return said

    try:
        print(asyncio.run(main()))
    except (AccountError, WeakPassword) as exc:
        raise ConfigurationError(str(exc)) from None
    return 0


async def _announce(settings: Any, engine: Any, user_ids: list[uuid.UUID]) -> None:
    from tonearm.accounts.announce import announce_access_lost
    from tonearm.pubsub.backends import build_bus

    bus = build_bus(
        settings.pubsub,
        engine=engine,
        database_url=settings.resolved_database_url,
        redis_url=settings.redis_url,
        data_dir=settings.data_dir,
    )
    try:
        for user_id in user_ids:
            await announce_access_lost(bus, user_id)
    finally:
        await bus.close()


def cmd_add(args: argparse.Namespace) -> int:
    """Create a user."""
    from tonearm.accounts import users
    from tonearm.accounts.users import Role

    password = read_password()
    role = Role.ADMIN if args.admin else Role.LISTENER

    async def action(session: AsyncSession) -> str:
        user = await users.create_user(
            session, username=args.name, password=password, role=role, can_upload=args.can_upload
        )
        grant = " who may upload" if args.can_upload else ""
        return f"created {role.value} {user.username!r}{grant}"

    return _run(action)


def cmd_passwd(args: argparse.Namespace) -> int:
    """Change a user's password (and log them out everywhere)."""
    from tonearm.accounts import users

    password = read_password("New password: ")

    async def action(session: AsyncSession) -> str:
        user = await users.get_user(session, args.name)
        await users.set_password(session, user=user, password=password)
        return f"changed the password of {user.username!r}"

    return _run(action)


def cmd_reset(args: argparse.Namespace) -> int:
    """Give a user a one-time password (printed once) and end their sessions and tokens."""
    from tonearm.accounts import users

    async def action(session: AsyncSession) -> str:
        user = await users.get_user(session, args.name)
        password = await users.reset_password(session, user=user)
        return (
            f"one-time password for {user.username!r} (shown once; they choose a new one "
            f"after signing in):\n{password}"
        )

    return _run(action)


def cmd_role(args: argparse.Namespace) -> int:
    """Make a user an admin or a listener."""
    from tonearm.accounts import users
    from tonearm.accounts.users import Role
    from tonearm.settings import ConfigurationError

    try:
        role = Role(args.role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ConfigurationError(f"unknown role {args.role!r} (choose {choices})") from None

    async def action(session: AsyncSession) -> str:
        user = await users.get_user(session, args.name)
        await users.update_user(session, user=user, role=role)
        return f"{user.username!r} is now {'an' if role is Role.ADMIN else 'a'} {role.value}"

    return _run(action)


def cmd_set(args: argparse.Namespace) -> int:
    """Change a user's permissions (for now: whether they may upload)."""
    from tonearm.accounts import users
    from tonearm.settings import ConfigurationError

    if args.can_upload is None:
        raise ConfigurationError("nothing to set: give --can-upload or --no-can-upload")

    async def action(session: AsyncSession) -> str:
        user = await users.get_user(session, args.name)
        await users.update_user(session, user=user, can_upload=args.can_upload)
        if args.can_upload:
            return f"{user.username!r} may upload"
        admin = " (an admin, who may upload regardless)" if user.role == "admin" else ""
        return f"{user.username!r} may no longer upload{admin}"

    return _run(action)


def _set_active(active: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from tonearm.accounts import users

        lost: list[uuid.UUID] = []

        async def action(session: AsyncSession) -> str:
            user = await users.get_user(session, args.name)
            await users.update_user(session, user=user, active=active)
            if not active:
                lost.append(user.id)
            return f"{'enabled' if active else 'disabled'} {user.username!r}"

        return _run(action, lost_access=lost)

    return command


def cmd_list(_args: argparse.Namespace) -> int:
    """Print every user with role, state and last login."""
    from tonearm.accounts import users

    async def action(session: AsyncSession) -> str:
        lines = [f"{'username':<24}{'role':<10}{'state':<10}{'upload':<8}last login"]
        for user in await users.list_users(session):
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            state = "active" if user.is_active else "disabled"
            if user.must_change_password:
                last += " (one-time password)"
            upload = "yes" if users.may_upload(user) else "no"
            lines.append(f"{user.username:<24}{user.role:<10}{state:<10}{upload:<8}{last}")
        return "\n".join(lines)

    return _run(action)


def register_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tonearm user …`` to the CLI."""
    user = commands.add_parser("user", help="manage accounts")
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create a user (password from a prompt or stdin)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may scan and manage users")
    add.add_argument("--can-upload", action="store_true", help="may upload music")
    add.set_defaults(handler=cmd_add)
    passwd = actions.add_parser("passwd", help="change a password")
    passwd.add_argument("name")
    passwd.set_defaults(handler=cmd_passwd)
    reset = actions.add_parser(
        "reset", help="print a one-time password; end the user's sessions and API tokens"
    )
    reset.add_argument("name")
    reset.set_defaults(handler=cmd_reset)
    role = actions.add_parser("role", help="make a user an admin or a listener")
    role.add_argument("name")
    # Checked when the command runs (cmd_role): naming the roles here would load the
    # accounts domain into every ``tonearm`` process, the serve supervisor included.
    role.add_argument("role", metavar="{admin,listener}")
    role.set_defaults(handler=cmd_role)
    change = actions.add_parser("set", help="change a user's permissions")
    change.add_argument("name")
    change.add_argument(
        "--can-upload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="may upload music (--no-can-upload withdraws it; admins may always upload)",
    )
    change.set_defaults(handler=cmd_set)
    actions.add_parser("list", help="list users").set_defaults(handler=cmd_list)
    for name, active in (("disable", False), ("enable", True)):
        parser = actions.add_parser(
            name,
            help=f"{name} a user" + (" (ends their sessions and API tokens)" if not active else ""),
        )
        parser.add_argument("name")
        parser.set_defaults(handler=_set_active(active))
