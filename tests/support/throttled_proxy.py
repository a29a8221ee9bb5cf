"""A TCP proxy in front of a real server that slows its answers down, in a thread of its own.

Requests pass through untouched; answers are forwarded ``chunk`` bytes every ``tick``
seconds, as a slow link to a remote bucket would. It runs its own event loop in a thread,
so a test that blocks (waiting for a subprocess) does not stall it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit


class ThrottledProxy:
    """Listens on a loopback port and forwards to ``upstream`` (an http:// URL)."""

    def __init__(self, upstream: str, *, chunk: int = 16 * 1024, tick: float = 0.05) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname is not None
        assert parts.port is not None
        self.host, self.port = parts.hostname, parts.port
        self.chunk, self.tick = chunk, tick
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The proxy's http:// URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def __enter__(self) -> ThrottledProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        )
        self._server = started.result(10)
        return self

    def __exit__(self, *_: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)

        async def requests() -> None:
            while data := await reader.read(65536):
                upstream_writer.write(data)
                await upstream_writer.drain()
            upstream_writer.write_eof()

        async def answers() -> None:
            while data := await upstream_reader.read(self.chunk):
                writer.write(data)
                await writer.drain()
                await asyncio.sleep(self.tick)

        try:
            await asyncio.gather(requests(), answers())
        except OSError:
            pass
        finally:
            for stream in (writer, upstream_writer):
                stream.close()
                with contextlib.suppress(Exception):
                    await stream.wait_closed()
