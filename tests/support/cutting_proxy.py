"""A TCP proxy in front of a real server that can cut one connection mid-request.

Armed with ``cut_next(marker, after_bytes)``, the next connection whose first bytes contain
``marker`` (e.g. ``b"partNumber="`` of a part PUT) has ``after_bytes`` of its request
forwarded and is then closed both ways, as a network that fails mid-upload does. Every
other connection is passed through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass
class _Cut:
    marker: bytes
    after_bytes: int


class CuttingProxy:
    """Listens on a loopback port and forwards to ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._cut: _Cut | None = None
        self.cuts = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The proxy's http:// URL."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def cut_next(self, marker: bytes, after_bytes: int) -> None:
        """Cut the next connection whose first bytes hold ``marker``."""
        self._cut = _Cut(marker, after_bytes)

    async def start(self) -> None:
        """Begin listening."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)
        first = await reader.read(65536)
        cut = self._cut
        if cut is not None and cut.marker in first:
            self._cut = None
            self.cuts += 1
            sent = first[: cut.after_bytes]
            upstream_writer.write(sent)
            await upstream_writer.drain()
            while len(sent) < cut.after_bytes:
                chunk = await reader.read(min(65536, cut.after_bytes - len(sent)))
                if not chunk:
                    break
                upstream_writer.write(chunk)
                sent += chunk
            for stream in (writer, upstream_writer):
                with contextlib.suppress(OSError):
                    stream.transport.abort()
            return
        upstream_writer.write(first)

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    target.write(chunk)
                    await target.drain()
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    target.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@contextlib.asynccontextmanager
async def cutting_proxy(url: str) -> AsyncIterator[CuttingProxy]:
    """A ``CuttingProxy`` in front of the http:// server at ``url``."""
    host, _, port = url.removeprefix("http://").partition(":")
    proxy = CuttingProxy(host, int(port))
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
