"""The cross-process buses: Unix datagrams on one machine, PostgreSQL LISTEN/NOTIFY, Redis.

Each carries an envelope — the sending process's id, the channel, the message — on one
wire channel of its own, so a process listens once whatever it subscribes to, and drops
its own envelopes (it delivered those to its subscribers when it published). A listener
starts on the first subscribe, never for a publish: the CLI scan and the variant worker
only publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import socket
import tempfile
import uuid
from pathlib import Path
from typing import Any, Protocol

import anyio.to_thread

from tonearm.pubsub.bus import MAX_MESSAGE_BYTES, Bus

logger = logging.getLogger("tonearm.pubsub")

WIRE_CHANNEL = "tonearm_bus"
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)  # then 5 s between attempts
SUN_PATH_LIMIT = 107  # bytes of a Unix socket path, without the terminating NUL
SOCKET_SUFFIX = ".sock"
_ENVELOPE_LIMIT = MAX_MESSAGE_BYTES + 512


def _envelope(origin: str, channel: str, data: bytes) -> bytes:
    return f"{origin}\n{channel}\n".encode() + data


def _open_envelope(envelope: bytes) -> tuple[str, str, bytes] | None:
    parts = envelope.split(b"\n", 2)
    if len(parts) != 3:
        return None
    try:
        return parts[0].decode(), parts[1].decode(), parts[2]
    except UnicodeDecodeError:
        return None


class _Listening(Bus):
    """A bus with a background listener, started on the first subscribe, that delivers
    other processes' envelopes; and the reconnect-with-backoff loop around it."""

    def __init__(self) -> None:
        super().__init__()
        self.origin = uuid.uuid4().hex
        self._listener: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.connections_opened = 0  # how often the listener (re)connected

    @property
    def listening(self) -> bool:
        """Whether this process has started its listener."""
        return self._listener is not None

    async def _start_listening(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen_forever())
        # The first subscriber waits (briefly) for the listener, so what is published
        # right after it subscribed reaches it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), 5)

    def _receive(self, envelope: bytes) -> None:
        opened = _open_envelope(envelope)
        if opened is None:
            return
        origin, channel, data = opened
        if origin != self.origin:
            try:
                self.deliver_local(channel, data)
            except ValueError:
                logger.warning("dropped a malformed bus message on %s", channel)

    async def _listen_forever(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen(self._on_connected)
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._connected.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                logger.warning("pub/sub listener lost (%s); reconnecting in %s s", exc, delay)
                await asyncio.sleep(delay)

    def _on_connected(self) -> None:
        self.connections_opened += 1
        self._connected.set()

    async def _listen(self, connected: Any) -> None:
        """Connect, call ``connected()``, deliver envelopes until the connection fails."""
        raise NotImplementedError

    async def _stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None

    async def close(self) -> None:
        """Stop the listener."""
        await self._stop_listening()


class PostgresBus(_Listening):
    """LISTEN/NOTIFY: one dedicated asyncpg connection per process listens; NOTIFY goes
    through the app's own pool (``pg_notify``, autocommitted: callers publish after
    their transaction committed)."""

    def __init__(self, engine: Any, dsn: str) -> None:
        super().__init__()
        self._engine = engine
        self._dsn = dsn
        self.connection: Any = None  # the listening connection, while connected

    async def _send(self, channel: str, data: bytes) -> None:
        from sqlalchemy import text

        payload = _envelope(self.origin, channel, data).decode()
        async with self._engine.connect() as connection:
            await connection.execute(
                text("SELECT pg_notify(:wire, :payload)"),
                {"wire": WIRE_CHANNEL, "payload": payload},
            )
            await connection.commit()

    async def _listen(self, connected: Any) -> None:
        import asyncpg  # type: ignore[import-untyped]

        connection = await asyncpg.connect(self._dsn)
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_notify(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            self._receive(payload.encode())

        def on_lost(_connection: Any) -> None:
            if not lost.done():
                lost.set_exception(ConnectionError("the LISTEN connection closed"))

        try:
            connection.add_termination_listener(on_lost)
            await connection.add_listener(WIRE_CHANNEL, on_notify)
            self.connection = connection
            connected()
            await lost
        finally:
            self.connection = None
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


class RedisBus(_Listening):
    """Redis PUBLISH/SUBSCRIBE (``redis.asyncio``): one subscribing connection per
    process, publishing through a client of its own."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._publisher: Any = None

    async def _send(self, channel: str, data: bytes) -> None:
        import redis.asyncio as redis

        if self._publisher is None:
            self._publisher = redis.Redis.from_url(self._url)
        await self._publisher.publish(WIRE_CHANNEL, _envelope(self.origin, channel, data))

    async def _listen(self, connected: Any) -> None:
        import redis.asyncio as redis

        client = redis.Redis.from_url(self._url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(WIRE_CHANNEL)
            connected()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
                if message is not None and isinstance(message.get("data"), bytes):
                    self._receive(message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with contextlib.suppress(Exception):
                await client.aclose()

    async def close(self) -> None:
        """Stop the listener and the publishing client."""
        await super().close()
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.aclose()
            self._publisher = None


def socket_dir_for(data_dir: Path) -> Path:
    """Where the local bus's sockets live: ``<data dir>/bus``, or, when a socket path
    there would pass the 108-byte ``sun_path`` limit, a short per-data-dir folder in the
    temp dir (named by a hash of the data dir, so every process of it agrees)."""
    preferred = data_dir.resolve() / "bus"
    longest = len(os.fsencode(preferred)) + 1 + 32 + len(SOCKET_SUFFIX)  # "<pid>-<16 hex>"
    if longest <= SUN_PATH_LIMIT:
        return preferred
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"tonearm-bus-{digest}"


class LocalBus(_Listening):
    """One machine, no server: every subscribing process binds a Unix datagram socket in
    ``socket_dir``; a publish sends the envelope to each socket there but its own
    (non-blocking: a full receiver loses the message), unlinking sockets of dead
    processes (ECONNREFUSED)."""

    def __init__(self, socket_dir: Path) -> None:
        super().__init__()
        self.socket_dir = socket_dir
        self._socket: socket.socket | None = None
        self._path: Path | None = None

    async def _send(self, channel: str, data: bytes) -> None:
        envelope = _envelope(self.origin, channel, data)
        await anyio.to_thread.run_sync(self._send_all, envelope)

    def _send_all(self, envelope: bytes) -> None:
        try:
            names = os.listdir(self.socket_dir)
        except FileNotFoundError:
            return  # nobody ever subscribed
        own = self._path.name if self._path is not None else None
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            for name in names:
                if name.endswith(SOCKET_SUFFIX) and name != own:
                    self._send_one(sender, self.socket_dir / name, envelope)

    @staticmethod
    def _send_one(sender: socket.socket, path: Path, envelope: bytes) -> None:
        try:
            sender.sendto(envelope, os.fsencode(path))
        except ConnectionRefusedError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # its process is gone
        except OSError as exc:
            if exc.errno not in {errno.EAGAIN, errno.ENOENT, errno.ENOBUFS}:
                logger.warning("local bus: could not send to %s: %s", path.name, exc)

    async def _listen(self, connected: Any) -> None:
        await anyio.to_thread.run_sync(self._bind)
        assert self._socket is not None
        receiver = self._socket
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            while True:
                try:
                    envelope = receiver.recv(_ENVELOPE_LIMIT)
                except BlockingIOError:
                    return
                except OSError as exc:
                    if not closed.done():
                        closed.set_exception(exc)
                    return
                self._receive(envelope)

        loop.add_reader(receiver.fileno(), readable)
        try:
            connected()
            await closed
        finally:
            loop.remove_reader(receiver.fileno())

    def _bind(self) -> None:
        self.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.socket_dir / f"{os.getpid()}-{self.origin[:16]}{SOCKET_SUFFIX}"
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        receiver.bind(os.fsencode(path))
        receiver.setblocking(False)
        self._socket, self._path = receiver, path

    async def close(self) -> None:
        """Stop listening and remove this process's socket."""
        await super().close()
        if self._socket is not None:
            self._socket.close()
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
        self._socket, self._path = None, None


def build_bus(
    kind: str, *, engine: Any, database_url: str, redis_url: str | None, data_dir: Path
) -> Bus:
    """The bus ``TONEARM_PUBSUB`` names (``auto``: Redis when a Redis URL is set, else
    PostgreSQL when the database is, else local)."""
    if kind == "auto":
        if redis_url:
            kind = "redis"
        elif database_url.startswith("postgresql"):
            kind = "postgres"
        else:
            kind = "local"
    if kind == "redis":
        if not redis_url:
            raise ValueError("TONEARM_PUBSUB=redis needs TONEARM_REDIS_URL")
        return RedisBus(redis_url)
    if kind == "postgres":
        if not database_url.startswith("postgresql"):
            raise ValueError("TONEARM_PUBSUB=postgres needs a PostgreSQL TONEARM_DATABASE_URL")
        return PostgresBus(engine, asyncpg_dsn(database_url))
    if kind == "local":
        return LocalBus(socket_dir_for(data_dir))
    raise ValueError(f"unknown TONEARM_PUBSUB {kind!r} (auto, local, postgres or redis)")


class BusSettings(Protocol):
    """The settings a bus is built from (``settings.Settings``)."""

    @property
    def pubsub(self) -> str:
        """``TONEARM_PUBSUB``."""

    @property
    def resolved_database_url(self) -> str:
        """The database URL."""

    @property
    def redis_url(self) -> str | None:
        """``TONEARM_REDIS_URL``."""

    @property
    def data_dir(self) -> Path:
        """The data directory (the local bus's sockets)."""


def bus_for(settings: BusSettings, engine: Any) -> Bus:
    """The bus of ``settings`` (``TONEARM_PUBSUB``); it listens only once someone
    subscribes, so a process that only publishes (the CLI scan, the variant worker)
    starts no listener."""
    return build_bus(
        settings.pubsub,
        engine=engine,
        database_url=settings.resolved_database_url,
        redis_url=settings.redis_url,
        data_dir=settings.data_dir,
    )


def asyncpg_dsn(database_url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as asyncpg's own DSN."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
