"""A lean HTTP/1.1 keep-alive transport for the upstream ``httpx2`` clients.

Profiles of hub → streamable-HTTP calls showed httpx2's default transport (httpcore2's pool
and h11 on anyio streams) taking about 0.27 ms of CPU per request, the largest single cost
of a proxied tools/call. This transport keeps one pool of asyncio stream connections per
client, writes the request head itself and frames the response by ``Content-Length``,
chunked encoding or connection close: about 0.03 ms. The httpx2 client above it is
unchanged (headers, event hooks, redirects, content decoding, environment proxies, which
mount their own transport), and so is everything the MCP SDK does with it, SSE included.
Clients under the egress guard keep the core's guarded transport (``Target.http_options``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import anyio
import httpx2

IDLE_LIMIT = 32
"""Idle connections kept per origin."""
IDLE_TIMEOUT = 30.0
"""Idle connections older than this are closed rather than reused."""
NO_BODY = frozenset({204, 304})
MAX_HEAD = 64 * 1024

Origin = tuple[str, str, int]


class _Conn:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self) -> bool:
        """Still open, and the server has not closed its end while the connection idled."""
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()


@contextlib.contextmanager
def _deadline(seconds: float | None, error: type[Exception]) -> Any:
    if seconds is None:
        yield
        return
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError as exc:
        raise error(f"timed out after {seconds:g}s") from exc


class _Body(httpx2.AsyncByteStream):
    """The response body, framed by length, chunks or close; the connection goes back to the
    pool once the body was read to its end."""

    def __init__(
        self,
        pool: LeanTransport,
        origin: Origin,
        conn: _Conn,
        length: int | None,
        chunked: bool,
        reusable: bool,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn = conn
        self._length = length
        self._chunked = chunked
        self._reusable = reusable
        self._timeout = read_timeout
        self._done = False
        self._closed = False

    async def _io(self, pending: Awaitable[bytes]) -> bytes:
        """One read, under the read timeout (per read, as SSE streams stay open)."""
        if self._timeout is None:
            return await pending
        try:
            with anyio.fail_after(self._timeout):
                return await pending
        except TimeoutError as exc:
            self._reusable = False
            raise httpx2.ReadTimeout(f"no data for {self._timeout:g}s") from exc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        try:
            if self._length is not None:
                if self._length:
                    yield await self._io(reader.readexactly(self._length))
            elif self._chunked:
                while True:
                    line = await self._io(reader.readuntil(b"\r\n"))
                    size = int(line.split(b";", 1)[0].strip(), 16)
                    if size == 0:
                        while await self._io(reader.readuntil(b"\r\n")) != b"\r\n":
                            pass  # trailer fields
                        break
                    data = await self._io(reader.readexactly(size + 2))
                    yield data[:-2]
            else:
                self._reusable = False
                while data := await self._io(reader.read(65536)):
                    yield data
            self._done = True
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
            raise httpx2.RemoteProtocolError(f"response body ended early: {exc}") from exc
        except ValueError as exc:
            raise httpx2.RemoteProtocolError(f"malformed chunked body: {exc}") from exc
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._done and self._reusable:
            self._pool.release(self._origin, self._conn)
        else:
            self._conn.close()


class LeanTransport(httpx2.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams with keep-alive, for ``http`` and ``https`` origins."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl = ssl_context
        self._idle: dict[Origin, list[_Conn]] = {}

    def release(self, origin: Origin, conn: _Conn) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= IDLE_LIMIT or not conn.usable():
            conn.close()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)

    async def _connection(
        self, origin: Origin, limit: float | None, fresh: bool = False
    ) -> tuple[_Conn, bool]:
        """A pooled connection (``True``: reused) or a new one."""
        idle = None if fresh else self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.usable() and now - conn.idle_since < IDLE_TIMEOUT:
                return conn, True
            conn.close()
        scheme, host, port = origin
        secure = scheme == "https"
        try:
            with _deadline(limit, httpx2.ConnectTimeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=self._ssl if secure else None,
                    server_hostname=host if secure else None,
                    limit=MAX_HEAD,
                )
        except OSError as exc:
            raise httpx2.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Conn(reader, writer), False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx2.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        origin: Origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        head = [request.method.encode(), b" ", url.raw_path, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:
            head += (name, b": ", value, b"\r\n")
        if body and "content-length" not in request.headers:
            head.append(b"Content-Length: %d\r\n" % len(body))
        head.append(b"\r\n")
        message = b"".join(head) + body
        conn, reused = await self._connection(origin, timeouts.get("connect"))
        try:
            try:
                status, reason, headers = await self._exchange(conn, message, timeouts)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                # A pooled connection the server closed while it idled fails before any
                # answer byte; the server never saw the request, so send it once more on a
                # new connection. Anything else is the server's failure to report.
                if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    raise
                conn.close()
                conn, _ = await self._connection(origin, timeouts.get("connect"), fresh=True)
                status, reason, headers = await self._exchange(conn, message, timeouts)
            length, chunked, reusable = _framing(request.method, status, headers)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
            conn.close()
            raise httpx2.RemoteProtocolError(f"server disconnected: {exc}") from exc
        except ValueError as exc:
            conn.close()
            raise httpx2.RemoteProtocolError(f"malformed response head: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        stream = _Body(self, origin, conn, length, chunked, reusable, timeouts.get("read"))
        return httpx2.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def _exchange(
        self, conn: _Conn, message: bytes, timeouts: dict[str, float | None]
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """Send the request and read the final response head."""
        conn.writer.write(message)
        with _deadline(timeouts.get("write"), httpx2.WriteTimeout):
            await conn.writer.drain()
        with _deadline(timeouts.get("read"), httpx2.ReadTimeout):
            status, reason, headers = await self._head(conn.reader)
            while 100 <= status < 200:  # interim responses carry no body
                status, reason, headers = await self._head(conn.reader)
        return status, reason, headers

    @staticmethod
    async def _head(reader: asyncio.StreamReader) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise httpx2.RemoteProtocolError(f"malformed status line {lines[0][:80]!r}")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
        return int(parts[1]), parts[2] if len(parts) > 2 else b"", headers

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


def _framing(
    method: str, status: int, headers: list[tuple[bytes, bytes]]
) -> tuple[int | None, bool, bool]:
    """(content length, chunked, connection reusable) of a response."""
    length: int | None = None
    chunked = False
    reusable = True
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            if not value.isdigit():
                raise httpx2.RemoteProtocolError(f"invalid Content-Length {value[:40]!r}")
            length = int(value)
        elif lower == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif lower == b"connection":
            reusable = b"close" not in value.lower()
    if method == "HEAD" or status in NO_BODY:
        return 0, False, reusable
    if chunked:
        return None, True, reusable
    return length, False, reusable
