"""Whether an error means the database cannot be reached right now.

A PostgreSQL restart, a cut connection, a server still starting up or shutting down, a
full connection table, a pool with no connection left, a SQLite file locked past its busy
timeout: none of these is the request's fault or a bug, and each passes. The HTTP and
GraphQL layers answer them with 503 / ``SERVICE_UNAVAILABLE`` and ``Retry-After``
(``web/outages.py``, ``schema/extensions.py``, ``streaming/routes.py``) instead of a 500,
and log one line without a traceback. The engine's pool drops connections that failed
this way (SQLAlchemy's disconnect detection), so requests succeed again once the database
is back, without restarting tonearm.
"""

from __future__ import annotations

import logging
import sqlite3
import types

from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database cannot be reached right now. Try again in a few seconds."
# SQLSTATE classes of "the server is not there for you now": 08 connection exceptions,
# 57P01-57P03 admin shutdown, crash shutdown, cannot connect now; 53300 too many connections.
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P")
_UNAVAILABLE_SQLSTATES = {"53300"}
_SQLITE_BUSY = ("database is locked", "unable to open database file")
# asyncpg raises a bare OSError while connecting (a socket that is not there, a refused
# connection), which SQLAlchemy passes on unwrapped: one raised in its frames is an outage.
_DRIVER_MODULES = ("asyncpg.",)
_CHAIN_LIMIT = 8


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database is unreachable for now."""
    seen: set[int] = set()
    current: BaseException | None = error
    for _ in range(_CHAIN_LIMIT):
        if current is None or id(current) in seen:
            return False
        seen.add(id(current))
        if _is_outage(current):
            return True
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
    return False


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES) or sqlstate in _UNAVAILABLE_SQLSTATES
    ):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(text in str(error) for text in _SQLITE_BUSY)
    if isinstance(error, OSError):
        return _raised_by_driver(error.__traceback__)
    return False


def _raised_by_driver(traceback: types.TracebackType | None) -> bool:
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DRIVER_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def describe_outage(error: BaseException) -> str:
    """One line for the log: the driver's complaint, never SQL or its parameters."""
    orig = getattr(error, "orig", None)
    cause = orig if isinstance(orig, BaseException) else error
    if isinstance(cause, OSError) and cause.strerror:
        return f"{type(cause).__name__}: {cause.strerror}"
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0][:200]}" if text else type(cause).__name__


def log_failure(logger: logging.Logger, error: BaseException, what: str, *args: object) -> None:
    """Log a failed step of background work (a sweep, a timer, a heartbeat): one warning
    line without a traceback when the database is unreachable for now — the next round
    tries again — else the traceback, which is a bug."""
    if database_unavailable(error):
        logger.warning(what + ": database unavailable (%s)", *args, describe_outage(error))
    else:
        logger.error(what, *args, exc_info=error)


__all__ = [
    "RETRY_AFTER_SECONDS",
    "UNAVAILABLE_MESSAGE",
    "database_unavailable",
    "describe_outage",
    "log_failure",
]
