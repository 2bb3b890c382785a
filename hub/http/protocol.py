"""One client connection: llhttp (``httptools``) parses requests as bytes arrive, and each
becomes an ``Exchange`` handed to the application's delegate in order.

Reading never stops while a response is pending, so a client that leaves is noticed at once
(a pending MCP call is cancelled); bytes of later requests (pipelining) and body chunks the
delegate is not ready for wait in their exchange, and past a bound reading pauses until
they are taken. What Tornado's ``HTTP1Connection`` refuses is refused here too: a malformed
request gets 400, a head over the limit 431, a body over the limit 400, each closing the
connection; a connection that sends no complete request head within the idle timeout is
closed by the server's sweep.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from typing import TYPE_CHECKING, Any

import httptools
import tornado.httputil
import tornado.iostream

from hub.http.exchange import Exchange, RequestContext

if TYPE_CHECKING:
    from hub.http.server import HttpServer

log = logging.getLogger(__name__)

BUFFERED_HIGH = 1024 * 1024
"""Body bytes parsed but not yet taken by a delegate above which reading pauses."""
PIPELINE_LIMIT = 16
"""Requests waiting for their turn on one connection above which reading pauses."""
CONTINUE = b"HTTP/1.1 100 (Continue)\r\n\r\n"


class ServerProtocol(asyncio.Protocol):
    """The requests of one connection, parsed, delegated and answered in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self.context = RequestContext("0.0.0.0")
        self.exchanges: deque[Exchange] = deque()
        """Oldest first; the first is the one being answered."""
        self.reading: Exchange | None = None
        """The exchange whose bytes are being parsed."""
        self.head_size = 0
        self.head_fed = 0
        self.buffered = 0
        self.read_paused = False
        self.write_paused = False
        self.drains: list[asyncio.Future[None]] = []
        self.closed = False
        self.turn_waits = False
        """A response ended while the client was not reading: the next waits for it."""
        self.last_request = False
        """No request is read after the current ones (an upgrade was asked for, or an error)."""
        self.idle_since: float | None = self.loop.time()
        done: asyncio.Future[None] = self.loop.create_future()
        done.set_result(None)
        self.written = done
        """What a write returns while the socket keeps up: already resolved."""

    # ------------------------------------------------------------------ asyncio

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            self.context = RequestContext(peer[0])
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if parser is None or self.last_request:
            return
        reading = self.reading
        if reading is None or reading.headers is None:
            self.head_fed += len(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The upgrade is not honoured: the request is answered as any, then the
            # connection ends (what follows was meant for another protocol).
            self.last_request = True
            for exchange in self.exchanges:
                exchange.keep_alive = False
        except httptools.HttpParserError as exc:
            self.refuse(400, f"Malformed HTTP request: {exc}")
            return
        reading = self.reading
        if (
            reading is not None
            and reading.headers is None
            and self.head_fed > self.server.max_header_size
        ):
            self.refuse(431, "Request head too large")
            return
        if self.buffered > BUFFERED_HIGH or len(self.exchanges) > PIPELINE_LIMIT:
            self.pause()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        drains, self.drains = self.drains, []
        for future in drains:
            if not future.done():
                future.set_result(None)
        if self.turn_waits and not self.closed:
            self.next_turn()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        self.parser = None  # it holds our bound callbacks: no cycle left behind
        drains, self.drains = self.drains, []
        for future in drains:
            if not future.done():
                future.set_exception(tornado.iostream.StreamClosedError())
                future.exception()  # nobody may be waiting: no "never retrieved" warning
        exchanges, self.exchanges = self.exchanges, deque()
        for exchange in exchanges:
            try:
                exchange.connection_lost()
            except Exception:
                log.exception("HTTP close callback failed")
        self.server.connection_gone()

    # ------------------------------------------------------------------ llhttp callbacks

    def on_message_begin(self) -> None:
        exchange = Exchange(self)
        self.reading = exchange
        self.exchanges.append(exchange)
        self.head_size = 0

    def on_url(self, url: bytes) -> None:
        exchange = self.reading
        assert exchange is not None
        exchange.url += url
        self.head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        exchange = self.reading
        assert exchange is not None
        exchange.raw_headers.append((name, value))
        self.head_size += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        exchange = self.reading
        parser = self.parser
        assert exchange is not None and parser is not None
        self.head_fed = 0
        self.idle_since = None
        if self.head_size > self.server.max_header_size:
            exchange.events.append(("too-large", b""))
        else:
            method = parser.get_method().decode("latin1")
            version = "HTTP/" + parser.get_http_version()
            try:
                exchange.head_complete(method, version)
            except tornado.httputil.HTTPInputError as exc:
                exchange.events.append(("bad", str(exc).encode()))
            else:
                exchange.events.append(("head", b""))
                if (
                    version == "HTTP/1.1"
                    and exchange.headers is not None
                    and exchange.headers.get("Expect") == "100-continue"
                ):
                    exchange.events.append(("continue", b""))
        self.offer(exchange)

    def on_body(self, body: bytes) -> None:
        exchange = self.reading
        assert exchange is not None
        self.buffered += len(body)
        exchange.events.append(("body", body))
        self.offer(exchange)

    def on_message_complete(self) -> None:
        exchange = self.reading
        assert exchange is not None
        self.reading = None
        exchange.events.append(("end", b""))
        self.offer(exchange)

    # ------------------------------------------------------------------ delegating

    def offer(self, exchange: Exchange) -> None:
        if self.exchanges and self.exchanges[0] is exchange:
            exchange.deliver()

    def unbuffered(self, size: int) -> None:
        self.buffered -= size
        self.maybe_resume()

    def pause(self) -> None:
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()  # type: ignore[union-attr]

    def maybe_resume(self) -> None:
        if (
            self.read_paused
            and not self.closed
            and not self.turn_waits
            and self.buffered <= BUFFERED_HIGH // 2
            and len(self.exchanges) <= PIPELINE_LIMIT
        ):
            self.read_paused = False
            self.transport.resume_reading()  # type: ignore[union-attr]

    def call_delegate(self, exchange: Exchange, kind: str, data: bytes) -> Any:
        """One event to the exchange's delegate; what it returns (an awaitable or None)."""
        try:
            if kind == "head":
                assert exchange.start_line is not None and exchange.headers is not None
                delegate = exchange.delegate = self.server.router.start_request(self, exchange)
                return delegate.headers_received(exchange.start_line, exchange.headers)
            delegate = exchange.delegate  # type: ignore[assignment]
            if kind == "body":
                if delegate is None:
                    return None
                exchange.check_body(len(data))
                return delegate.data_received(data)
            if kind == "end":
                if delegate is None:
                    return None
                exchange.read_done = True
                delegate.finish()
                return None
            if kind == "continue":
                if not exchange.started:
                    self.send(CONTINUE)
                return None
            if kind == "too-large":
                self.refuse(431, "Request head too large")
                return None
            raise tornado.httputil.HTTPInputError(data.decode())
        except tornado.httputil.HTTPInputError as exc:
            self.refuse(400, f"Malformed HTTP request: {exc}", exchange)
        except Exception as exc:  # noqa: BLE001 - a delegate's failure ends its connection only
            self.delegate_failed(exchange, exc)
        return None

    def delegate_failed(self, exchange: Exchange, exc: BaseException | None) -> None:
        """A delegate raised: it is logged and the connection closed, as Tornado does."""
        if exc is not None:
            log.error("Uncaught exception in HTTP delegate", exc_info=exc)
        self.release(exchange)
        self.abort()

    def release(self, exchange: Exchange) -> None:
        """The delegate will hear nothing more of this exchange but that the client left."""
        delegate, exchange.delegate = exchange.delegate, None
        exchange.events.clear()
        if delegate is not None and not exchange.read_done:
            try:
                delegate.on_connection_close()
            except Exception:
                log.exception("HTTP close callback failed")

    def refuse(self, status: int, reason: str, exchange: Exchange | None = None) -> None:
        """A request that cannot be read: the status (if nothing was answered yet), then
        the connection ends. An earlier request still being answered is answered first."""
        log.info("%s from %s", reason, self.context)
        self.last_request = True
        current = self.exchanges[0] if self.exchanges else None
        failing = exchange or self.reading or current
        if current is not None and current is not failing and current.read_done:
            current.keep_alive = False
            while len(self.exchanges) > 1:
                self.release(self.exchanges.pop())
            return
        if failing is not None:
            self.release(failing)
        if failing is None or not failing.started:
            phrase = tornado.httputil.responses.get(status, "Bad Request")
            self.send(f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n\r\n".encode())
        self.close()

    # ------------------------------------------------------------------ writing

    def send(self, data: bytes) -> asyncio.Future[None]:
        """Write response bytes; the future resolves once the socket has taken them."""
        if self.closed or self.transport is None or self.transport.is_closing():
            future: asyncio.Future[None] = self.loop.create_future()
            future.set_exception(tornado.iostream.StreamClosedError())
            future.exception()
            return future
        self.transport.write(data)
        if not self.write_paused:
            return self.written
        future = self.loop.create_future()
        self.drains.append(future)
        return future

    def exchange_finished(self, exchange: Exchange) -> None:
        """The response ended: the next request's turn, or the end of the connection."""
        if self.exchanges and self.exchanges[0] is exchange:
            self.exchanges.popleft()
        if not exchange.keep_alive or self.closed:
            self.close()
        elif self.write_paused:
            # The client is not reading its answers: the next request waits until it does
            # (as Tornado's), so unread answers cannot pile up here.
            self.turn_waits = True
            self.pause()
        else:
            self.next_turn()

    def next_turn(self) -> None:
        self.turn_waits = False
        following = self.exchanges[0] if self.exchanges else None
        if following is None and self.last_request:
            self.close()
            return
        if following is None or following.headers is None:
            # Waiting for a whole head again (a pipelined one may have begun): the idle
            # sweep counts from now, so a head trickled in after an answer is bounded too.
            self.idle_since = self.loop.time()
        if following is not None:
            following.deliver()
        self.maybe_resume()

    def close(self) -> None:
        """End the connection once what was written is sent."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def shut(self) -> None:
        """End the connection now: a clean close when nothing is left to send, else reset
        (a client that stopped reading must not hold the stop)."""
        if self.transport is not None and not self.transport.get_write_buffer_size():
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
