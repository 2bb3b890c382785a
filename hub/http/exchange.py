"""One request and its response on a connection: Tornado's ``HTTPConnection`` interface.

The request side is filled in by ``protocol.ServerProtocol`` as llhttp parses it (start
line, headers, body chunks) and handed to the application's delegate once the exchange is
the connection's oldest (responses go out in request order). The response side frames what
the delegate writes as Tornado's ``HTTP1Connection`` does: ``Content-Length`` or chunked,
no body for ``HEAD``/204/304, ``Connection: close`` when the connection ends after it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tornado.httputil
import tornado.iostream
import tornado.netutil
from tornado.httputil import HTTPHeaders, RequestStartLine, ResponseStartLine

if TYPE_CHECKING:
    from hub.http.protocol import ServerProtocol

Event = tuple[str, bytes]
"""``("head", b"")``, ``("body", chunk)`` or ``("end", b"")``: what the delegate is told."""


class RequestContext:
    """What ``HTTPServerRequest`` reads of its connection: the client's address and scheme.

    With ``xheaders`` (``TRUST_PROXY``) they come from the nearest proxy's headers, as
    Tornado's ``HTTPServer(xheaders=True)`` reads them."""

    __slots__ = ("protocol", "remote_ip")

    def __init__(self, remote_ip: str, protocol: str = "http") -> None:
        self.remote_ip = remote_ip
        self.protocol = protocol

    def __str__(self) -> str:
        return self.remote_ip

    def behind_proxy(self, headers: HTTPHeaders) -> RequestContext:
        ip = headers.get("X-Forwarded-For", self.remote_ip).split(",")[-1].strip()
        ip = headers.get("X-Real-Ip", ip)
        scheme = headers.get("X-Scheme", headers.get("X-Forwarded-Proto", self.protocol))
        scheme = scheme.split(",")[-1].strip() if scheme else scheme
        return RequestContext(
            ip if tornado.netutil.is_valid_ip(ip) else self.remote_ip,
            scheme if scheme in ("http", "https") else self.protocol,
        )


def keeps_alive(version: str, headers: HTTPHeaders, method: str) -> bool:
    """Whether the connection may carry another request after this one (Tornado's rule)."""
    connection = headers.get("Connection", "").lower()
    if version == "HTTP/1.1":
        return connection != "close"
    framed = "Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", "")
    return (framed or method in ("HEAD", "GET")) and connection == "keep-alive"


class Exchange(tornado.httputil.HTTPConnection):
    """One request/response on a ``ServerProtocol``'s connection."""

    def __init__(self, protocol: ServerProtocol) -> None:
        self.protocol = protocol
        self.context: RequestContext = protocol.context
        self.url = b""
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.start_line: RequestStartLine | None = None
        self.headers: HTTPHeaders | None = None
        self.delegate: tornado.httputil.HTTPMessageDelegate | None = None
        self.events: deque[Event] = deque()
        """Parsed but not yet given to the delegate (it is busy, or not this one's turn)."""
        self.waiting = False
        """The delegate returned an awaitable that has not finished."""
        self.max_body_size = protocol.server.max_body_size
        self.body_size = 0
        self.read_done = False
        """The delegate was told the request ended (``finish``)."""
        self.started = False
        """A response head was written."""
        self.write_done = False
        self.chunked = False
        self.remaining: int | None = None
        self.keep_alive = True
        self.close_callback: Callable[[], None] | None = None

    # ------------------------------------------------------------------ request side

    def head_complete(self, method: str, version: str) -> None:
        """The head was parsed: decode it the way Tornado's ``HTTP1Connection`` does."""
        headers = HTTPHeaders()
        seen: set[str] = set()
        for raw_name, raw_value in self.raw_headers:
            name = raw_name.decode("latin1")
            # llhttp keeps the whitespace after a value; the field value excludes it.
            value = raw_value.strip(b" \t").decode("latin1")
            lower = name.lower()
            if lower in seen:
                headers.add(name, value)  # a repeated field: its values are kept as a list
            else:
                # llhttp (strict) has checked the name's and the value's characters already,
                # so the first value is set without ``add``'s second check (a fifth of the
                # cost of reading a request).
                seen.add(lower)
                headers[name] = value
        self.raw_headers = []
        self.headers = headers
        self.start_line = RequestStartLine(method, self.url.decode("latin1"), version)
        self.keep_alive = keeps_alive(version, headers, method)
        if self.protocol.server.xheaders:
            self.context = self.context.behind_proxy(headers)

    def deliver(self) -> None:
        """Give the delegate what it has not seen, in order, until one of its calls must be
        waited for."""
        while self.events and not self.waiting:
            kind, data = self.events.popleft()
            if kind == "body":
                self.protocol.unbuffered(len(data))
                if self.write_done:
                    continue  # answered early: the rest of the body is dropped
            pending = self.protocol.call_delegate(self, kind, data)
            if pending is not None:
                self.waiting = True
                future = asyncio.ensure_future(pending)
                future.add_done_callback(self._delegate_done)
                return

    def _delegate_done(self, future: asyncio.Future[Any]) -> None:
        self.waiting = False
        if future.cancelled() or future.exception() is not None:
            self.protocol.delegate_failed(self, future.exception())
            return
        self.deliver()

    def check_body(self, size: int) -> None:
        """Bytes of body against the limit (``set_max_body_size`` may have changed it); the
        announced length is checked with the first chunk."""
        if self.body_size == 0 and self.headers is not None:
            announced = self.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) > self.max_body_size:
                raise tornado.httputil.HTTPInputError("Content-Length too long")
        self.body_size += size
        if self.body_size > self.max_body_size:
            raise tornado.httputil.HTTPInputError("Content-Length too long")

    # ------------------------------------------------------------------ HTTPConnection

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Called if the client leaves after the request was read, before the response
        ended (the delegate's own ``on_connection_close`` covers the time before)."""
        self.close_callback = callback

    def set_max_body_size(self, max_body_size: int) -> None:
        self.max_body_size = max_body_size

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        assert isinstance(start_line, ResponseStartLine)
        request = self.start_line
        assert request is not None
        self.started = True
        code = start_line.code
        no_body = request.method == "HEAD" or code in (204, 304) or 100 <= code < 200
        self.chunked = (
            request.version == "HTTP/1.1" and not no_body and "Content-Length" not in headers
        )
        if not self.keep_alive or not self.read_done:
            # Answered before the body was read: closing is the only way not to read it.
            self.keep_alive = False
            if request.version == "HTTP/1.1":
                headers["Connection"] = "close"
        elif request.version == "HTTP/1.0":
            headers["Connection"] = "Keep-Alive"
        if self.chunked:
            headers["Transfer-Encoding"] = "chunked"
        if request.method == "HEAD" or code == 304:
            self.remaining = 0
        elif "Content-Length" in headers:
            self.remaining = int(headers["Content-Length"])
        else:
            self.remaining = None
        lines = [f"HTTP/1.1 {code} {start_line.reason}"]
        for name, value in headers.get_all():
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
                raise ValueError(f"Illegal characters (CR or LF) in header: {name!r}")
            lines.append(f"{name}: {value}")
        lines.append("\r\n")
        data = "\r\n".join(lines).encode("latin1")
        if chunk:
            data += self._frame(chunk)
        return self.protocol.send(data)

    def _frame(self, chunk: bytes) -> bytes:
        if self.remaining is not None:
            self.remaining -= len(chunk)
            if self.remaining < 0:
                self.protocol.abort()
                raise tornado.httputil.HTTPOutputError(
                    "Tried to write more data than Content-Length"
                )
        if self.chunked and chunk:
            return b"%x\r\n%b\r\n" % (len(chunk), chunk)
        return chunk

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        return self.protocol.send(self._frame(chunk))

    def finish(self) -> None:
        if self.write_done:
            return
        if self.remaining and not self.protocol.closed:
            self.protocol.abort()
            raise tornado.httputil.HTTPOutputError(
                f"Tried to write {self.remaining} bytes less than Content-Length"
            )
        if self.chunked:
            self.protocol.send(b"0\r\n\r\n")
        self.write_done = True
        self.close_callback = None
        self.delegate = None  # it holds the request, which holds us: no cycle left behind
        if not self.read_done:
            self.keep_alive = False
        self.protocol.exchange_finished(self)

    def detach(self) -> tornado.iostream.IOStream:
        raise NotImplementedError("the hub's HTTP server does not hand connections over")

    def connection_lost(self) -> None:
        """The client left: whoever is waiting on this exchange is told once."""
        callback, self.close_callback = self.close_callback, None
        delegate = self.delegate
        if delegate is not None and not self.read_done:
            self.delegate = None
            delegate.on_connection_close()
        elif callback is not None and not self.write_done:
            callback()
