"""The hub's HTTP/1.1 server (``hub.http``) with a Tornado application on it, driven over
raw loopback sockets so each framing rule is seen byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import tornado.netutil
import tornado.web

from hub.http.server import HttpServer
from hub.testing import wait_for


class Echo(tornado.web.RequestHandler):
    """The request as the handler saw it: method, path, body, client address."""

    def get(self) -> None:
        said = self.request.headers.get("X-Say")
        if said is not None:
            self.write(f"[{said}]")
        self.write(f"GET {self.request.path} from {self.request.remote_ip}")

    def head(self) -> None:
        self.set_header("Content-Length", "5")

    def post(self) -> None:
        self.write(b"POST " + self.request.body)


class Big(tornado.web.RequestHandler):
    """A large answer, numbered by its path."""

    def get(self, number: str) -> None:
        self.write(number.encode().ljust(200_000, b"."))


class Chunks(tornado.web.RequestHandler):
    """A reply without a length: two flushed parts, so chunked framing."""

    async def get(self) -> None:
        self.write("first,")
        await self.flush()
        self.write("second")


class Pending(tornado.web.RequestHandler):
    """Never answers on its own; says when it started and when its client left."""

    async def get(self) -> None:
        self.settings["started"].put_nowait(self.request.path)
        await asyncio.Event().wait()

    def on_connection_close(self) -> None:
        self.settings["closed"].put_nowait(self.request.path)


@tornado.web.stream_request_body
class Upload(tornado.web.RequestHandler):
    """Takes its body chunk by chunk, each after a loop turn (the server must wait for it)."""

    def prepare(self) -> None:
        self.size = 0
        self.request.connection.set_max_body_size(1_000_000)  # type: ignore[union-attr]

    async def data_received(self, chunk: bytes) -> None:
        await asyncio.sleep(0)
        self.size += len(chunk)

    def put(self) -> None:
        self.write(f"got {self.size}")


def app() -> tornado.web.Application:
    return tornado.web.Application(
        [
            (r"/echo.*", Echo),
            (r"/chunks", Chunks),
            (r"/big/(\d+)", Big),
            (r"/pending", Pending),
            (r"/upload", Upload),
        ],
        started=asyncio.Queue(),
        closed=asyncio.Queue(),
    )


def queue(server: HttpServer, name: str) -> asyncio.Queue[str]:
    """``Pending``'s news: "started" (it has the request) or "closed" (its client left)."""
    return server.router.settings[name]  # type: ignore[attr-defined,no-any-return]


async def serve(**options: object) -> tuple[HttpServer, int]:
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = HttpServer(app(), **{"max_body_size": 1000, **options})  # type: ignore[arg-type]
    await server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


@contextlib.asynccontextmanager
async def serving(**options: object) -> AsyncIterator[tuple[HttpServer, int]]:
    """A server (and its port) for the block, stopped after it."""
    served = await serve(**options)
    try:
        yield served
    finally:
        served[0].stop()
        await served[0].close_all_connections()


@pytest.fixture
async def server() -> AsyncIterator[tuple[HttpServer, int]]:
    async with serving() as served:
        yield served


async def exchange(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One response with a Content-Length: (head, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head, await reader.readexactly(length)


async def test_keep_alive_and_pipelined_requests_are_answered_in_order(
    server: tuple[HttpServer, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    # Three requests in one write: the server answers them one after another, in order.
    writer.write(
        b"GET /echo/1 HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /echo/3 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    bodies = [(await read_response(reader))[1] for _ in range(3)]
    assert bodies == [b"GET /echo/1 from 127.0.0.1", b"POST hello", b"GET /echo/3 from 127.0.0.1"]
    writer.close()


async def test_a_client_that_does_not_read_its_answers_is_not_answered_ahead(
    server: tuple[HttpServer, int],
) -> None:
    # 60 pipelined requests for 200 KB answers, none read yet: 12 MB if all were answered.
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    writer.write(b"".join(b"GET /big/%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(60)))
    (connection,) = server[0].connections
    await wait_for(lambda: connection.turn_waits)  # the server stops at a full socket
    assert connection.transport is not None
    assert connection.transport.get_write_buffer_size() < 1_000_000
    for i in range(60):  # then every answer comes, in order, as the client reads
        assert (await read_response(reader))[1].startswith(b"%d." % i)
    writer.close()


async def test_a_reply_without_length_is_chunked(server: tuple[HttpServer, int]) -> None:
    raw = await exchange(server[1], b"GET /chunks HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Connection: close" in head
    assert body == b"6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n"


async def test_a_chunked_request_body_is_decoded(server: tuple[HttpServer, int]) -> None:
    raw = await exchange(
        server[1],
        b"POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 200 OK") and raw.endswith(b"POST abcde")


async def test_header_values_lose_surrounding_whitespace_and_repeats_are_joined(
    server: tuple[HttpServer, int],
) -> None:
    raw = await exchange(
        server[1],
        b"GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Say: \t hi there \t\r\n"
        b"x-say: again\r\n\r\n",
    )
    assert raw.endswith(b"[hi there,again]GET /echo from 127.0.0.1")


async def test_head_answers_carry_no_body(server: tuple[HttpServer, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    writer.write(
        b"HEAD /echo HTTP/1.1\r\nHost: a\r\n\r\nGET /echo/next HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"Content-Length: 5" in head
    # The next bytes are the second answer's, not a body of the first.
    assert (await read_response(reader))[1] == b"GET /echo/next from 127.0.0.1"
    writer.close()


async def test_an_upgrade_is_answered_as_a_plain_request_then_the_connection_ends(
    server: tuple[HttpServer, int],
) -> None:
    # No protocol switch here: the request is answered, and what follows (meant for another
    # protocol) is not read as HTTP.
    raw = await exchange(
        server[1],
        b"GET /echo/up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        b"\x81\x05hello",
    )
    assert raw.startswith(b"HTTP/1.1 200 OK") and raw.endswith(b"GET /echo/up from 127.0.0.1")
    assert raw.count(b"HTTP/1.1") == 1


async def test_http_1_0_without_keep_alive_ends_the_connection(
    server: tuple[HttpServer, int],
) -> None:
    raw = await exchange(server[1], b"GET /echo HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK") and raw.endswith(b"from 127.0.0.1")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /echo HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", b"400"),
        (b"GET /echo HTTP/1.1\r\nHost: a\r\nX-Ctl: a\x01b\r\n\r\n", b"400"),
        (b"GET /echo HTTP/1.1\r\nHost: a\r\nBad(Name): x\r\n\r\n", b"400"),
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
        (b"GET /echo HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n", b"431"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000, b"400"),
        (b"GET /echo HTTP/1.1\r\nHost: a,b\r\n\r\n", b"400"),
    ],
    ids=[
        "bad-header",
        "control-char",
        "bad-name",
        "not-http",
        "head-too-large",
        "body-too-large",
        "two-hosts",
    ],
)
async def test_requests_that_cannot_be_read_are_refused_and_the_connection_closed(
    server: tuple[HttpServer, int], request_bytes: bytes, status: bytes
) -> None:
    raw = await exchange(server[1], request_bytes)
    assert raw.startswith(b"HTTP/1.1 " + status), raw[:80]


async def test_expect_100_continue_gets_the_interim_answer(server: tuple[HttpServer, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 (Continue)\r\n\r\n"
    writer.write(b"abc")
    assert (await read_response(reader))[1] == b"POST abc"
    writer.close()


async def test_a_streamed_body_waits_for_its_handler_and_obeys_its_limit(
    server: tuple[HttpServer, int],
) -> None:
    # 5000 bytes: over the server's limit of 1000, under the handler's own 1,000,000.
    body = b"y" * 5000
    raw = await exchange(
        server[1],
        b"PUT /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 5000\r\n\r\n"
        + body,
    )
    assert raw.endswith(b"got 5000")


async def test_a_client_that_leaves_is_noticed_while_its_answer_is_pending(
    server: tuple[HttpServer, int],
) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    writer.write(b"GET /pending HTTP/1.1\r\nHost: a\r\n\r\n")
    assert await asyncio.wait_for(queue(server[0], "started").get(), 10) == "/pending"
    writer.close()
    assert await asyncio.wait_for(queue(server[0], "closed").get(), 10) == "/pending"


@pytest.mark.parametrize("answered_first", [False, True])
async def test_idle_connections_are_closed(answered_first: bool) -> None:
    async with serving(idle_timeout=0.2) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # A head that never ends, alone or pipelined after a request that is answered.
        first = b"GET /echo/1 HTTP/1.1\r\nHost: a\r\n\r\n" if answered_first else b""
        writer.write(first + b"GET /echo HTTP/1.1\r\nHost: a\r\n")
        if answered_first:
            assert (await read_response(reader))[1] == b"GET /echo/1 from 127.0.0.1"
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()


@pytest.mark.parametrize("trusted", [True, False])
async def test_the_client_address_comes_from_proxy_headers_only_when_trusted(trusted: bool) -> None:
    async with serving(xheaders=trusted) as (_, port):
        raw = await exchange(
            port,
            b"GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Real-Ip: 10.1.2.3\r\n\r\n",
        )
        assert raw.endswith(b"from 10.1.2.3" if trusted else b"from 127.0.0.1")


async def test_stopping_closes_open_connections(server: tuple[HttpServer, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    writer.write(b"GET /pending HTTP/1.1\r\nHost: a\r\n\r\n")
    assert await asyncio.wait_for(queue(server[0], "started").get(), 10) == "/pending"
    server[0].stop()
    await asyncio.wait_for(server[0].close_all_connections(), 10)
    assert await asyncio.wait_for(reader.read(), 10) == b""
    writer.close()
