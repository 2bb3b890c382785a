"""A low-overhead MCP load generator: raw asyncio HTTP/1.1 keep-alive, no HTTP library.

Each virtual client owns one TCP connection and one MCP session (initialize →
notifications/initialized), then sends the same request in a loop until the deadline.
Replies may be JSON or SSE (``text/event-stream``, with Content-Length or chunked); a
JSON-RPC error or a tool result with ``isError`` counts as an error.

``python -m bench.loadgen http://127.0.0.1:3000/mcp --tool echo -c 16 -d 5``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

parse_json = orjson.loads
"""Replies are parsed by orjson (a dependency of the hub): the measured latency of a large
reply (a 500-tool page is about 45 KB) should be the server's, not the load client's."""

PROTOCOL_VERSION = "2025-11-25"


class HttpError(Exception):
    """A reply that is not what an MCP client expects."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def messages(self) -> list[dict[str, Any]]:
        """JSON-RPC messages in the body, JSON or SSE."""
        if not self.body:
            return []
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            out = []
            for line in self.body.split(b"\n"):
                if line.startswith(b"data:"):
                    out.append(parse_json(line[5:]))
            return out
        msg = parse_json(self.body)
        return msg if isinstance(msg, list) else [msg]


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[Reply] | None = None
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(cls, host, port)
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self._parse(eof=True)
            if not self.waiter.done():
                self.waiter.set_exception(HttpError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            self._parse()

    def _parse(self, eof: bool = False) -> None:
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = buf[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        start = end + 4
        if "content-length" in headers:
            stop = start + int(headers["content-length"])
            if len(buf) < stop:
                return
            body = bytes(buf[start:stop])
        elif "chunked" in headers.get("transfer-encoding", ""):
            parts = []
            pos = start
            while True:
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    return
                size = int(buf[pos:nl].split(b";")[0], 16)
                if size == 0:
                    if buf[nl + 2 : nl + 4] == b"\r\n":
                        stop = nl + 4
                    else:
                        trailer_end = buf.find(b"\r\n\r\n", nl + 2)
                        if trailer_end < 0:
                            return
                        stop = trailer_end + 4
                    break
                if len(buf) < nl + 2 + size + 2:
                    return
                parts.append(bytes(buf[nl + 2 : nl + 2 + size]))
                pos = nl + 2 + size + 2
            body = b"".join(parts)
        elif eof:
            body, stop = bytes(buf[start:]), len(buf)
        else:
            return
        del buf[:stop]
        status = int(lines[0].split(" ", 2)[1])
        assert self.waiter is not None
        self.waiter.set_result(Reply(status, headers, body))

    async def request(self, head: bytes, body: bytes) -> Reply:
        if self.closed or self.transport is None:
            raise HttpError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Session:
    """One MCP session over one connection."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.headers = headers or {}
        self.conn: Connection | None = None
        self.session_id: str | None = None
        self.next_id = 0
        self._head = b""

    def _make_head(self, method: str = "POST") -> bytes:
        lines = [
            f"{method} {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept: application/json, text/event-stream",
            "Content-Type: application/json",
            f"MCP-Protocol-Version: {PROTOCOL_VERSION}",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        if self.session_id:
            lines.append(f"Mcp-Session-Id: {self.session_id}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    async def connect(self) -> Session:
        if self.conn is None or self.conn.closed:
            self.conn = await Connection.open(self.host, self.port)
        return self

    async def initialize(self) -> dict[str, Any]:
        """initialize + notifications/initialized; a new session on the same connection."""
        await self.connect()
        self.session_id = None
        params = {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "bench-loadgen", "version": "1"},
        }
        reply, result = await self._call(self._make_head(), "initialize", params)
        self.session_id = reply.headers.get("mcp-session-id")
        self._head = self._make_head()
        note = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
        assert self.conn is not None
        ack = await self.conn.request(self._head, note)
        if ack.status != 202:
            raise HttpError(f"notifications/initialized answered {ack.status}")
        return result

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request in the session; its result, or HttpError/RPCError."""
        return (await self._call(self._head, method, params))[1]

    async def _call(
        self, head: bytes, method: str, params: dict[str, Any] | None
    ) -> tuple[Reply, dict[str, Any]]:
        self.next_id += 1
        rid = self.next_id
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        assert self.conn is not None
        reply = await self.conn.request(head, json.dumps(msg, separators=(",", ":")).encode())
        for answer in reply.messages():
            if answer.get("id") == rid:
                if "error" in answer:
                    raise RPCError(answer["error"])
                return reply, answer["result"]
        raise HttpError(f"{method}: HTTP {reply.status}: {reply.body[:200]!r}")

    async def delete(self) -> int:
        if self.conn is None or self.session_id is None:
            return 0
        reply = await self.conn.request(self._make_head("DELETE"), b"")
        self.session_id = None
        return reply.status

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class RPCError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error


async def get_json(url: str) -> tuple[int, Any]:
    """A one-shot GET (e.g. /health) on its own connection; wrap it in asyncio.timeout."""
    parts = urlsplit(url)
    conn = await Connection.open(parts.hostname or "", parts.port or 80)
    try:
        head = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode()
        reply = await conn.request(head, b"")
        return reply.status, json.loads(reply.body) if reply.body else None
    finally:
        conn.close()


# ---------------------------------------------------------------------- load


@dataclass
class Stats:
    """What one load run measured (latencies in ms); ``total`` includes the warm-up."""

    requests: int = 0
    errors: int = 0
    total: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.50), 3),
            "p90_ms": round(self.pct(0.90), 3),
            "p99_ms": round(self.pct(0.99), 3),
            "first_error": self.first_error,
        }


def is_error(result: dict[str, Any]) -> bool:
    return bool(result.get("isError"))


async def list_all(session: Session, method: str = "tools/list") -> list[dict[str, Any]]:
    """Every page of a list; the key is the method's noun (tools, prompts, ...)."""
    key = {"resources/templates/list": "resourceTemplates"}.get(method, method.split("/")[0])
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await session.call(method, {"cursor": cursor} if cursor else None)
        items += page.get(key, [])
        cursor = page.get("nextCursor")
        if not cursor:
            return items


async def run_load(
    url: str,
    method: str,
    params: dict[str, Any] | None,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.3,
    all_pages: bool = False,
    headers: dict[str, str] | None = None,
) -> Stats:
    """Drive ``method`` from ``concurrency`` sessions; the first ``warmup`` s are not counted."""
    sessions = [Session(url, headers) for _ in range(concurrency)]
    await asyncio.gather(*(s.initialize() for s in sessions))
    stats = Stats()
    loop = asyncio.get_running_loop()
    begin = loop.time() + warmup
    deadline = begin + duration
    clock = time.perf_counter

    async def worker(s: Session) -> None:
        while True:
            t0 = clock()
            now = loop.time()
            if now >= deadline:
                return
            try:
                if all_pages:
                    await list_all(s, method)
                    bad = False
                else:
                    bad = is_error(await s.call(method, params))
            except (HttpError, RPCError, OSError, ValueError) as exc:
                bad = True
                if not stats.first_error:
                    stats.first_error = f"{type(exc).__name__}: {exc}"
                if s.conn is None or s.conn.closed:
                    await asyncio.sleep(0.01)
                    try:
                        await s.initialize()
                    except (HttpError, RPCError, OSError, ValueError):
                        pass
            t1 = clock()
            stats.total += 1
            if now >= begin:
                stats.requests += 1
                stats.errors += bad
                if not bad:
                    stats.latencies.append((t1 - t0) * 1000.0)
                elif not stats.first_error:
                    stats.first_error = "tool result isError"

    try:
        await asyncio.gather(*(worker(s) for s in sessions))
    finally:
        for s in sessions:
            s.close()
    stats.seconds = duration
    return stats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Drive one MCP method at concurrency C for D s.")
    p.add_argument("url", help="e.g. http://127.0.0.1:3000/mcp")
    p.add_argument("--method", default="tools/call")
    p.add_argument("--tool", default="echo", help="tools/call: tool name")
    p.add_argument("--args", default='{"text":"hello"}', help="tools/call: JSON arguments")
    p.add_argument("--all-pages", action="store_true", help="list methods: follow nextCursor")
    p.add_argument("-c", "--concurrency", type=int, default=1)
    p.add_argument("-d", "--duration", type=float, default=5.0)
    p.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    params = None
    if a.method == "tools/call":
        params = {"name": a.tool, "arguments": json.loads(a.args)}
    headers = dict(h.split(":", 1) for h in a.header)
    stats = asyncio.run(
        run_load(
            a.url,
            a.method,
            params,
            concurrency=a.concurrency,
            duration=a.duration,
            all_pages=a.all_pages,
            headers={k.strip(): v.strip() for k, v in headers.items()},
        )
    )
    out = stats.summary()
    if a.json:
        print(json.dumps(out))
    else:
        print(
            f"{out['rps']} req/s  p50 {out['p50_ms']} ms  p90 {out['p90_ms']} ms  "
            f"p99 {out['p99_ms']} ms  errors {out['errors']}/{out['requests']} {out['first_error']}"
        )
    sys.exit(1 if stats.errors else 0)


if __name__ == "__main__":
    main()
