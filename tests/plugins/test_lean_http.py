"""The lean upstream HTTP transport against a raw HTTP/1.1 server on 127.0.0.1: framing,
keep-alive reuse, servers that close, streamed bodies and timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcphub_http.lean import LeanTransport

from hub.testing import wait_for


class RawServer:
    """Answers each request with ``respond(path, body, writer)``; counts connections opened
    and closed (``closed`` once this side's close has completed)."""

    def __init__(self, respond: Callable[..., object]) -> None:
        self.respond = respond
        self.connections = 0
        self.closed = 0
        self.requests: list[tuple[bytes, bytes]] = []
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append((path, head))
                result = self.respond(path, body, writer)
                if asyncio.iscoroutine(result):
                    await result
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # client gone, or the test's loop ends while a handler waits
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self.closed += 1

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., object]]:
    servers: list[RawServer] = []

    async def start(respond: Callable[..., object]) -> RawServer:
        raw = RawServer(respond)
        raw.server = await asyncio.start_server(raw._serve, "127.0.0.1", 0)
        servers.append(raw)
        return raw

    yield start
    for raw in servers:
        assert raw.server is not None
        raw.server.close()


def client(timeout: float = 5.0) -> httpx2.AsyncClient:
    transport = LeanTransport(ssl.create_default_context())
    return httpx2.AsyncClient(transport=transport, timeout=timeout)


def fixed(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
        % (
            len(body),
            extra,
            body,
        )
    )


async def test_keep_alive_reuses_one_connection(serve: Callable[..., object]) -> None:
    raw = await serve(lambda path, body, w: w.write(fixed(b'{"echo":' + body + b"}")))  # type: ignore[misc]
    async with client() as http:
        for i in range(5):
            r = await http.post(raw.url + "/mcp?x=1", json={"n": i}, headers={"X-Test": "yes"})
            assert r.status_code == 200 and r.json() == {"echo": {"n": i}}
    assert raw.connections == 1
    path, head = raw.requests[0]
    assert path == b"/mcp?x=1"
    assert b"X-Test: yes" in head or b"x-test: yes" in head


async def test_chunked_and_close_delimited_bodies(serve: Callable[..., object]) -> None:
    def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        if path == b"/chunked":
            w.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
            )
        else:
            w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close")
            w.close()

    raw = await serve(respond)
    async with client() as http:
        r = await http.get(raw.url + "/chunked")
        assert r.text == "hello, world"
        r = await http.get(raw.url + "/chunked")  # same connection after a chunked body
        assert r.text == "hello, world"
        assert raw.connections == 1
        r = await http.get(raw.url + "/close")
        assert r.text == "until close"
        r = await http.get(raw.url + "/chunked")  # a fresh connection after the close
        assert r.text == "hello, world"
    assert raw.connections == 2


async def test_no_body_statuses_and_server_closing_idle_connections(
    serve: Callable[..., object],
) -> None:
    def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        if path == b"/gone":
            w.write(fixed(b"{}"))
            w.close()  # closes the keep-alive connection once answered
        else:
            w.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")

    raw = await serve(respond)
    async with client() as http:
        assert (await http.post(raw.url + "/gone", json={})).json() == {}
        await wait_for(lambda: raw.closed == 1)  # the server closed the idle connection
        r = await http.post(raw.url + "/n", json={})
        assert r.status_code == 202 and r.content == b""
    assert raw.connections == 2


async def test_streamed_body_arrives_in_parts(serve: Callable[..., object]) -> None:
    release = asyncio.Event()

    async def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n")
        w.write(b"Transfer-Encoding: chunked\r\n\r\n")
        event = b"data: one\n\n"
        w.write(b"%x\r\n%s\r\n" % (len(event), event))
        await w.drain()
        await release.wait()
        event = b"data: two\n\n"
        w.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(event), event))

    raw = await serve(respond)
    async with client() as http, http.stream("POST", raw.url + "/sse", json={}) as r:
        parts = r.aiter_bytes()
        assert await anext(parts) == b"data: one\n\n"
        release.set()
        assert await anext(parts) == b"data: two\n\n"


async def test_timeouts_and_refused_connections(serve: Callable[..., object]) -> None:
    async def silent(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()  # never answers

    raw = await serve(silent)
    url = raw.url
    async with client(timeout=0.2) as http:
        with pytest.raises(httpx2.ReadTimeout):
            await http.post(url + "/slow", json={})
        assert raw.server is not None
        raw.server.close()
        await raw.server.wait_closed()
        with pytest.raises(httpx2.ConnectError):
            await http.post(url + "/slow", json={})


async def test_a_pooled_connection_closed_by_the_server_is_replaced_once(
    serve: Callable[..., object],
) -> None:
    dropped: list[bytes] = []

    def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        if path == b"/drop" and not dropped:
            dropped.append(body)
            raise ConnectionError("the server gave up on this idle connection")
        w.write(fixed(b'{"ok": true}'))

    raw = await serve(respond)
    async with client() as http:
        assert (await http.post(raw.url + "/first", json={})).status_code == 200
        r = await http.post(raw.url + "/drop", json={"n": 1})
        assert r.json() == {"ok": True}
    assert len(dropped) == 1
    assert [p for p, _ in raw.requests] == [b"/first", b"/drop", b"/drop"]
    assert raw.connections == 2


async def test_a_new_connection_that_fails_is_not_retried(serve: Callable[..., object]) -> None:
    def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        raise ConnectionError("never answers")

    raw = await serve(respond)
    async with client() as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.post(raw.url + "/x", json={})
    assert raw.connections == 1


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (as an IP SAN) and its key, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_verifies_the_certificate_and_keeps_the_connection(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    raw = RawServer(lambda path, body, w: w.write(fixed(b'{"tls":' + body + b"}")))
    raw.server = await asyncio.start_server(raw._serve, "127.0.0.1", 0, ssl=server_ctx)
    url = raw.url.replace("http://", "https://")
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        async with httpx2.AsyncClient(transport=LeanTransport(trusting), timeout=5) as http:
            for i in range(3):
                r = await http.post(url + "/mcp", json={"n": i})
                assert r.status_code == 200 and r.json() == {"tls": {"n": i}}
        assert raw.connections == 1  # keep-alive over TLS too

        async with client() as http:  # the system CAs do not know this certificate
            with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.post(url + "/mcp", json={})
    finally:
        raw.server.close()


async def test_plain_json_answers_come_back_as_their_body(serve: Callable[..., object]) -> None:
    """``send_for_json``: a 200 JSON answer is its body, read to the end, with the connection
    kept; anything httpx2 must see (a cookie, an encoding, another status or type) is a
    ``Response`` as from ``send_bytes``."""

    def respond(path: bytes, body: bytes, w: asyncio.StreamWriter) -> None:
        answers = {
            b"/json": fixed(b'{"ok":1}'),
            b"/chunked": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b'Transfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":2}\r\n0\r\n\r\n',
            b"/cookie": fixed(b"{}", b"Set-Cookie: s=1\r\n"),
            b"/gzip": fixed(gzip.compress(b"{}"), b"Content-Encoding: gzip\r\n"),
            b"/text": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
            b"/error": b"HTTP/1.1 500 Oops\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n{}",
        }
        w.write(answers[path])

    raw = await serve(respond)
    pool = LeanTransport(ssl.create_default_context())
    origin = ("http", "127.0.0.1", int(raw.url.rsplit(":", 1)[1]))

    async def post(path: bytes) -> bytes | httpx2.Response:
        message = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        return await pool.send_for_json(origin, message, {})

    assert await post(b"/json") == b'{"ok":1}'
    assert await post(b"/chunked") == b'{"a":2}'
    for path, status in ((b"/cookie", 200), (b"/gzip", 200), (b"/text", 200), (b"/error", 500)):
        answer = await post(path)
        assert isinstance(answer, httpx2.Response) and answer.status_code == status, path
        await answer.aread()
    assert raw.connections == 1  # every answer was read to its end and the connection kept
    await pool.aclose()
