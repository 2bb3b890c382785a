"""The lean upstream HTTP transport against malformed and hostile answers from a raw server
on 127.0.0.1: each ends in a clear ``httpx2`` error within a bounded time, and the
connection it arrived on is never used again."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2
import pytest
from mcphub_http.framing import MAX_HEAD
from mcphub_http.lean import LeanTransport

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
LIMIT = 5.0
"""Seconds any exchange below may take before the test calls it a hang."""


class Hostile:
    """Answers ``/ok`` properly and every other path with ``answer``; records on which
    connection (numbered from 1) each request arrived."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.seen: list[tuple[int, bytes]] = []
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                self.seen.append((number, path))
                if path == b"/ok":
                    writer.write(OK)
                    await writer.drain()
                else:
                    await self.answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client is gone, as it should be after a bad answer
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def hostile() -> AsyncIterator[Callable[[Answer], Awaitable[Hostile]]]:
    started: list[Hostile] = []

    async def start(answer: Answer) -> Hostile:
        server = Hostile(answer)
        server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.server is not None
        server.server.close()
        await server.server.wait_closed()


def sends(data: bytes, then: str = "wait") -> Answer:
    """An answer writing ``data``, then closing (``close``) or waiting for the client to
    drop the connection (``wait``), as a server that keeps it open would."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        if then == "close":
            writer.close()
            return
        await reader.read()  # until the client closes its end

    return answer


def client() -> httpx2.AsyncClient:
    transport = LeanTransport(ssl.create_default_context())
    return httpx2.AsyncClient(transport=transport, timeout=LIMIT)


async def fails_then_recovers(
    server: Hostile, error: type[Exception], match: str, read: float = LIMIT
) -> None:
    """The bad answer, on a pooled connection, raises ``error`` and is not re-sent; the next
    request goes out on a new connection."""
    async with client() as http:
        assert (await http.get(server.url + "/ok")).text == "ok"  # a pooled connection
        with pytest.raises(error, match=match):
            async with asyncio.timeout(LIMIT * 2):
                await http.get(server.url + "/bad", timeout=httpx2.Timeout(LIMIT, read=read))
        assert (await http.get(server.url + "/ok")).text == "ok"
    assert [path for _, path in server.seen].count(b"/bad") == 1  # answered: never re-sent
    bad_on = next(n for n, path in server.seen if path == b"/bad")
    assert server.seen[-1][1] == b"/ok" and server.seen[-1][0] > bad_on
    assert server.connections == bad_on + 1


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

CASES = {
    "status code out of range": (b"HTTP/1.1 2000 OK\r\n\r\n", "Invalid response status"),
    "not a status line": (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "malformed response"),
    "bad chunk size": (CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", "Invalid character in chunk"),
    "chunk size overflow": (CHUNKED + b"f" * 40 + b"\r\nhi\r\n", "Chunk size overflow"),
    "length and chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"5\r\nhello\r\n0\r\n\r\n",
        "Transfer-Encoding can't be present with Content-Length",
    ),
    "two lengths": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello",
        "Duplicate Content-Length",
    ),
    "signed length": (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
    "space in a header name": (b"HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", "header token"),
    "header flood": (
        b"HTTP/1.1 200 OK\r\n" + b"X-Flood: 1\r\n" * (MAX_HEAD // 8),
        "response head larger than",
    ),
    "one huge header": (
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (2 * MAX_HEAD),
        "response head larger than",
    ),
    "endless interim answers": (
        b"HTTP/1.1 100 Continue\r\n\r\n" * (MAX_HEAD // 16),
        "response head larger than",
    ),
    "unrequested protocol switch": (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        "protocol switch",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_malformed_answers_fail_clearly(
    case: str, hostile: Callable[[Answer], Awaitable[Hostile]]
) -> None:
    data, match = CASES[case]
    server = await hostile(sends(data))
    await fails_then_recovers(server, httpx2.RemoteProtocolError, match)


CLOSES = {
    "short body (length)": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
    "mid chunked body": CHUNKED + b"5\r\nhello\r\n",
    "huge chunk never sent": CHUNKED + b"7fffffff\r\nthe start of it",
    "mid head": b"HTTP/1.1 200 OK\r\nContent-Le",
    "after the status line": b"HTTP/1.1 200 OK\r\n",
}


@pytest.mark.parametrize("case", list(CLOSES))
async def test_server_closing_mid_answer_fails_clearly(
    case: str, hostile: Callable[[Answer], Awaitable[Hostile]]
) -> None:
    server = await hostile(sends(CLOSES[case], then="close"))
    await fails_then_recovers(server, httpx2.RemoteProtocolError, "closed the connection")


async def test_a_head_trickled_slower_than_the_read_timeout_times_out(
    hostile: Callable[[Answer], Awaitable[Hostile]],
) -> None:
    """A byte every 10 ms never lets a single read wait long; the head has one deadline."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: 1\r\n" * 10_000
        for byte in head:
            if reader.at_eof():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.01)  # the server's pace, not a wait for the client

    server = await hostile(trickle)
    await fails_then_recovers(server, httpx2.ReadTimeout, "timed out", read=0.3)


async def test_junk_after_a_complete_answer_keeps_it_but_drops_the_connection(
    hostile: Callable[[Answer], Awaitable[Hostile]],
) -> None:
    server = await hostile(sends(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiJUNK\r\n\r\n"))
    async with client() as http:
        assert (await http.get(server.url + "/bad")).text == "hi"
        assert (await http.get(server.url + "/ok")).text == "ok"
    assert server.seen == [(1, b"/bad"), (2, b"/ok")]


async def test_an_answer_in_one_byte_writes_and_interim_answers_are_read_whole(
    hostile: Callable[[Answer], Awaitable[Hostile]],
) -> None:
    """Valid, if unusual: every byte its own segment, and 1xx answers before the real one.
    Both keep the connection."""
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-Kind: real\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n"
    )

    async def tiny(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for byte in answer:
            writer.write(bytes([byte]))
            await writer.drain()

    server = await hostile(tiny)
    async with client() as http:
        for _ in range(2):
            r = await http.get(server.url + "/bad")
            assert r.status_code == 201 and r.text == "hello!"
            assert r.headers["x-kind"] == "real" and "link" not in r.headers
        assert (await http.get(server.url + "/ok")).text == "ok"
    assert {n for n, _ in server.seen} == {1}


async def test_head_and_no_body_answers_keep_the_connection(
    hostile: Callable[[Answer], Awaitable[Hostile]],
) -> None:
    """A HEAD answer's length is the GET's (llhttp cannot know the method): no body read."""
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    ]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(answers.pop(0))

    server = await hostile(answer)
    async with client() as http:
        r = await http.head(server.url + "/bad")
        assert r.status_code == 200 and r.content == b""
        for status in (304, 204):
            r = await http.get(server.url + "/bad")
            assert r.status_code == status and r.content == b""
        assert (await http.get(server.url + "/ok")).text == "ok"
    assert {n for n, _ in server.seen} == {1}
