"""A lean HTTP/1.1 keep-alive transport for the upstream ``httpx2`` clients.

Profiles of hub → streamable-HTTP calls showed httpx2's default transport (httpcore2's pool
and h11 on anyio streams) taking about 0.27 ms of CPU per request, the largest single cost
of a proxied tools/call. This transport keeps one pool of asyncio stream connections per
client, writes the request head itself and leaves reading the response to llhttp
(``mcphub_http.framing``): a few hundredths of a millisecond. The httpx2 client above it is
unchanged (headers, event hooks, redirects, content decoding, environment proxies, which
mount their own transport), and so is everything the MCP SDK does with it, SSE included.
Clients under the egress guard keep the core's guarded transport (``Target.http_options``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Iterator

import anyio
import httpx2

from mcphub_http.framing import ResponseFrame

IDLE_LIMIT = 32
"""Idle connections kept per origin."""
IDLE_TIMEOUT = 30.0
"""Idle connections older than this are closed rather than reused."""
READ_SIZE = 64 * 1024
"""Bytes asked of the socket per read; also the stream reader's buffer limit."""

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


class _Dropped(ConnectionError):
    """The connection failed while a request was out; ``answered`` if any answer byte came."""

    def __init__(self, message: str, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


@contextlib.contextmanager
def _deadline(seconds: float | None, error: type[Exception]) -> Iterator[None]:
    if seconds is None:
        yield
        return
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError as exc:
        raise error(f"timed out after {seconds:g}s") from exc


class _Body(httpx2.AsyncByteStream):
    """The rest of the response body as it arrives; the connection goes back to the pool once
    the message was read to its end and both sides keep it alive."""

    def __init__(
        self,
        pool: LeanTransport,
        origin: Origin,
        conn: _Conn,
        frame: ResponseFrame,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn = conn
        self._frame = frame
        self._timeout = read_timeout
        self._closed = False

    async def _io(self, pending: Awaitable[bytes]) -> bytes:
        """One read, under the read timeout (per read, as SSE streams stay open)."""
        if self._timeout is None:
            return await pending
        try:
            with anyio.fail_after(self._timeout):
                return await pending
        except TimeoutError as exc:
            raise httpx2.ReadTimeout(f"no data for {self._timeout:g}s") from exc

    async def read_all(self) -> bytes:
        """The rest of the body at once (the connection goes back to the pool)."""
        frame = self._frame
        if frame.done:  # a small answer arrives with its head
            body = frame.take_body()
            await self.aclose()
            return body
        parts = [part async for part in self]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        frame, reader = self._frame, self._conn.reader
        try:
            while True:
                if frame.body:
                    yield frame.take_body()
                if frame.done:
                    break
                try:
                    data = await self._io(reader.read(READ_SIZE))
                except ConnectionError as exc:
                    raise httpx2.RemoteProtocolError(f"response body ended early: {exc}") from exc
                if data:
                    frame.feed(data)
                else:
                    frame.eof()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.settle(self._origin, self._conn, self._frame)


async def _read_head(conn: _Conn, frame: ResponseFrame) -> None:
    while not frame.head_done:
        data = await conn.reader.read(READ_SIZE)
        if not data:
            if not frame.answered:
                raise _Dropped("closed before answering", answered=False)
            frame.eof()  # raises: the head is incomplete
        else:
            frame.feed(data)


async def read_body(response: httpx2.Response) -> bytes:
    """The whole body of a response: straight from the frame when this transport made it and
    nothing needs decoding (a small answer is complete with its head), else ``aread``."""
    stream = response.stream
    if isinstance(stream, _Body) and "content-encoding" not in response.headers:
        return await stream.read_all()
    return await response.aread()


class LeanTransport(httpx2.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams with keep-alive, for ``http`` and ``https`` origins."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl = ssl_context
        self._idle: dict[Origin, list[_Conn]] = {}

    def settle(self, origin: Origin, conn: _Conn, frame: ResponseFrame) -> None:
        """Done with ``frame``'s response: its connection goes back to the pool when the
        message was read to its end and both sides keep it alive, else it is closed."""
        if frame.done and frame.keep_alive and not frame.body:
            self.release(origin, conn)
        else:
            conn.close()
        frame.close()

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
                    limit=READ_SIZE,
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
        return await self.send_bytes(origin, message, timeouts, request.method == "HEAD")

    async def send_bytes(
        self,
        origin: Origin,
        message: bytes,
        timeouts: dict[str, float | None],
        head_only: bool = False,
    ) -> httpx2.Response:
        """Send one request already encoded (head and body) to ``origin``; the response's
        body streams as it arrives. For callers that build the bytes themselves (the direct
        link of ``mcphub_http.direct``) and need none of ``httpx2.Request``."""
        conn, frame = await self._send(origin, message, timeouts, head_only)
        return self._response(origin, conn, frame, timeouts)

    async def send_for_json(
        self, origin: Origin, message: bytes, timeouts: dict[str, float | None]
    ) -> bytes | httpx2.Response:
        """As ``send_bytes``, but a ``200`` JSON answer with nothing for ``httpx2`` to do (no
        cookie, no content encoding) comes back as its body, read to the end: the answer of
        nearly every forwarded request, without a ``Response`` and its headers object."""
        conn, frame = await self._send(origin, message, timeouts, False)
        if frame.status == 200 and frame.plain_json():
            if frame.done:  # a small answer comes whole with its head
                body = frame.take_body()
                self.settle(origin, conn, frame)
                return body
            return await _Body(self, origin, conn, frame, timeouts.get("read")).read_all()
        return self._response(origin, conn, frame, timeouts)

    def _response(
        self, origin: Origin, conn: _Conn, frame: ResponseFrame, timeouts: dict[str, float | None]
    ) -> httpx2.Response:
        stream = _Body(self, origin, conn, frame, timeouts.get("read"))
        return httpx2.Response(
            frame.status,
            headers=frame.headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": frame.reason},
        )

    async def _send(
        self,
        origin: Origin,
        message: bytes,
        timeouts: dict[str, float | None],
        head_only: bool,
    ) -> tuple[_Conn, ResponseFrame]:
        """The request sent and the answer's head read, on a pooled or new connection."""
        conn, reused = await self._connection(origin, timeouts.get("connect"))
        try:
            try:
                frame = await self._exchange(conn, message, timeouts, head_only)
            except _Dropped as exc:
                # A pooled connection the server closed while it idled fails before any
                # answer byte; the server never saw the request, so send it once more on a
                # new connection. Anything else is the server's failure to report.
                if not reused or exc.answered:
                    raise
                conn.close()
                conn, _ = await self._connection(origin, timeouts.get("connect"), fresh=True)
                frame = await self._exchange(conn, message, timeouts, head_only)
        except _Dropped as exc:
            conn.close()
            raise httpx2.RemoteProtocolError(f"server disconnected: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return conn, frame

    async def _exchange(
        self, conn: _Conn, message: bytes, timeouts: dict[str, float | None], head_only: bool
    ) -> ResponseFrame:
        """Send the request and read up to the end of the final response head."""
        frame = ResponseFrame(head_only)
        try:
            conn.writer.write(message)
            if conn.writer.transport.get_write_buffer_size():  # the socket did not take it all
                with _deadline(timeouts.get("write"), httpx2.WriteTimeout):
                    await conn.writer.drain()
            # One deadline for the whole head, so a server trickling it byte by byte cannot
            # hold the request longer than a silent one.
            read = timeouts.get("read")
            if read is None:
                await _read_head(conn, frame)
            else:
                with _deadline(read, httpx2.ReadTimeout):
                    await _read_head(conn, frame)
        except ConnectionError as exc:
            if isinstance(exc, _Dropped):
                raise
            raise _Dropped(str(exc) or type(exc).__name__, frame.answered) from exc
        return frame

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
