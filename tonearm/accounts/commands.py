"""``tonearm user …``: add, passwd, list, disable, enable.

Passwords are read from a prompt on a terminal, or from the first line of standard input
when it is piped — never from the command line, where other users could see them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

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


def _run(action: Callable[[AsyncSession], Awaitable[str]]) -> int:
    from tonearm.accounts.passwords import WeakPassword
    from tonearm.accounts.users import AccountError
    from tonearm.db.engine import create_session_factory, engine_for
    from tonearm.db.migrations import upgrade_to_head
    from tonearm.settings import ConfigurationError, Settings

    settings = Settings()
    upgrade_to_head(settings.resolved_database_url)

    async def main() -> str:
        async with (
            engine_for(settings.resolved_database_url) as engine,
            create_session_factory(engine).begin() as session,
        ):
            return await action(session)

    try:
        print(asyncio.run(main()))
    except (AccountError, WeakPassword) as exc:
        raise ConfigurationError(str(exc)) from None
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Create a user."""
    from tonearm.accounts.users import Role, create_user

    password = read_password()
    role = Role.ADMIN if args.admin else Role.LISTENER

    async def action(session: AsyncSession) -> str:
        user = await create_user(session, username=args.name, password=password, role=role)
        return f"created {role.value} {user.username!r}"

    return _run(action)


def cmd_passwd(args: argparse.Namespace) -> int:
    """Change a user's password (and log them out everywhere)."""
    from tonearm.accounts.users import set_password

    password = read_password("New password: ")

    async def action(session: AsyncSession) -> str:
        user = await set_password(session, username=args.name, password=password)
        return f"changed the password of {user.username!r}"

    return _run(action)


def _set_active(active: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from tonearm.accounts.users import set_active

        async def action(session: AsyncSession) -> str:
            user = await set_active(session, username=args.name, active=active)
            return f"{'enabled' if active else 'disabled'} {user.username!r}"

        return _run(action)

    return command


def cmd_list(_args: argparse.Namespace) -> int:
    """Print every user with role, state and last login."""
    from tonearm.accounts.users import list_users

    async def action(session: AsyncSession) -> str:
        lines = [f"{'username':<24}{'role':<10}{'state':<10}last login"]
        for user in await list_users(session):
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            state = "active" if user.is_active else "disabled"
            lines.append(f"{user.username:<24}{user.role:<10}{state:<10}{last}")
        return "\n".join(lines)

    return _run(action)


def register_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tonearm user …`` to the CLI."""
    user = commands.add_parser("user", help="manage accounts")
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create a user (password from a prompt or stdin)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may scan and manage users")
    add.set_defaults(handler=cmd_add)
    passwd = actions.add_parser("passwd", help="change a password")
    passwd.add_argument("name")
    passwd.set_defaults(handler=cmd_passwd)
    actions.add_parser("list", help="list users").set_defaults(handler=cmd_list)
    for name, active in (("disable", False), ("enable", True)):
        parser = actions.add_parser(name, help=f"{name} a user")
        parser.add_argument("name")
        parser.set_defaults(handler=_set_active(active))
