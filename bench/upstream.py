"""A fast MCP upstream for benchmarks: a hand-written JSON-RPC responder, stdlib only.

The SDK's own streamable-HTTP server costs 2-4 ms of CPU per request (spec/mcp-sdk-notes.md
§6), slower than the hub it would be measuring, so this one parses HTTP/1.1 itself and
answers from pre-serialised bytes. It speaks enough MCP for the SDK client: initialize with
version negotiation, ``Mcp-Session-Id``, notifications (202), ``ping``, ``tools/list``,
``tools/call``, empty prompt/resource lists, an idle GET stream and DELETE. Stdio mode is a
plain blocking line loop (no event loop), so a hundred of them start quickly.

``--servers N`` serves N virtual upstreams on one port at ``/mcp/s0`` … ``/mcp/s{N-1}``
(``/mcp`` is ``s0``), each with ``--tools T`` tools: ``echo``, ``add``, then ``tool2`` …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from typing import Any

VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 405: "Not Allowed"}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def make_tools(count: int) -> list[dict[str, Any]]:
    text = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    numbers = {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    }
    tools = [
        {"name": "echo", "description": "Return the text argument.", "inputSchema": text},
        {"name": "add", "description": "Add two numbers.", "inputSchema": numbers},
    ]
    for i in range(2, count):
        tools.append({"name": f"tool{i}", "description": f"Filler tool {i}.", "inputSchema": text})
    return tools[: max(count, 1)]


class Responder:
    """Answers one JSON-RPC message for one virtual server; lists are serialised once."""

    def __init__(self, name: str, tools: int) -> None:
        self.name = name
        self.tool_names = {t["name"] for t in make_tools(tools)}
        self.tools_list = dumps({"tools": make_tools(tools)})
        self.empty = {
            "prompts/list": b'{"prompts":[]}',
            "resources/list": b'{"resources":[]}',
            "resources/templates/list": b'{"resourceTemplates":[]}',
            "ping": b"{}",
        }

    def initialize(self, params: dict[str, Any]) -> bytes:
        asked = params.get("protocolVersion")
        return dumps(
            {
                "protocolVersion": asked if asked in VERSIONS else VERSIONS[0],
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": self.name, "version": "1.0"},
            }
        )

    def call(self, params: dict[str, Any]) -> bytes | tuple[int, str]:
        name = params.get("name")
        args = params.get("arguments") or {}
        if name not in self.tool_names:
            return INVALID_PARAMS, f"Unknown tool: {name}"
        if name == "add":
            try:
                text = str(args["a"] + args["b"])
            except (KeyError, TypeError):
                return INVALID_PARAMS, "add needs numbers a and b"
        else:
            text = str(args.get("text", ""))
        return dumps({"content": [{"type": "text", "text": text}], "isError": False})

    def reply(self, msg: dict[str, Any]) -> bytes | None:
        """The serialised response, or None for a notification or a response."""
        rid = msg.get("id")
        method = msg.get("method")
        if rid is None or method is None:
            return None
        params = msg.get("params") or {}
        result: bytes | tuple[int, str]
        if method == "tools/call":
            result = self.call(params)
        elif method == "tools/list":
            result = self.tools_list
        elif method == "initialize":
            result = self.initialize(params)
        elif method in self.empty:
            result = self.empty[method]
        else:
            result = METHOD_NOT_FOUND, f"Method not found: {method}"
        head = b'{"jsonrpc":"2.0","id":' + dumps(rid)
        if isinstance(result, tuple):
            return head + b',"error":' + dumps({"code": result[0], "message": result[1]}) + b"}"
        return head + b',"result":' + result + b"}"


# ---------------------------------------------------------------------- HTTP


class HttpServer:
    """Virtual servers by path, sessions by id (shared: ids are random)."""

    def __init__(self, servers: int, tools: int, sse: bool) -> None:
        self.routes = {f"/mcp/s{i}": Responder(f"bench-s{i}", tools) for i in range(servers)}
        self.routes["/mcp"] = self.routes["/mcp/s0"]
        self.sse = sse
        self.sessions: set[str] = set()


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; requests are answered in order, synchronously."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.streaming = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.streaming:
            return
        self.buf += data
        while self.transport is not None and not self.streaming:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if "chunked" in headers.get("transfer-encoding", ""):
                self.send(411, b"", close=True)
                return
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            method, target, *_ = lines[0].split(" ")
            close = headers.get("connection", "").lower() == "close"
            self.handle(method, target.partition("?")[0], headers, body, close)

    def send(
        self,
        status: int,
        body: bytes,
        ctype: bytes = b"application/json",
        *,
        extra: bytes = b"",
        close: bool = False,
    ) -> None:
        assert self.transport is not None
        head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s%s\r\n" % (
            status,
            REASONS.get(status, "Error").encode(),
            ctype,
            len(body),
            extra,
            b"Connection: close\r\n" if close else b"",
        )
        self.transport.write(head + body)
        if close:
            self.transport.close()
            self.transport = None

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes, close: bool
    ) -> None:
        responder = self.server.routes.get(path)
        if responder is None:
            return self.send(404, b'{"error":"no such server"}', close=close)
        sid = headers.get("mcp-session-id")
        sessions = self.server.sessions
        if method == "GET":
            if sid not in sessions:
                return self.send(400, b"", close=close)
            self.streaming = True  # idle standalone stream, held until the client goes
            assert self.transport is not None
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            return None
        if method == "DELETE":
            sessions.discard(sid or "")
            return self.send(200, b"", close=close)
        if method != "POST":
            return self.send(405, b"", extra=b"Allow: GET, POST, DELETE\r\n", close=close)
        try:
            msg = json.loads(body)
        except ValueError:
            return self.send(
                400,
                b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
                close=close,
            )
        if not isinstance(msg, dict):
            return self.send(
                400,
                b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"No batches"}}',
                close=close,
            )
        extra = b""
        if msg.get("method") == "initialize":
            sid = uuid.uuid4().hex
            sessions.add(sid)
            extra = b"Mcp-Session-Id: %s\r\n" % sid.encode()
        elif sid is None:
            if msg.get("method") != "server/discover":
                return self.send(
                    400,
                    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Missing session"}}',
                    close=close,
                )
        elif sid not in sessions:
            return self.send(
                404,
                b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}',
                close=close,
            )
        out = responder.reply(msg)
        if out is None:
            return self.send(202, b"", close=close)
        if self.server.sse:
            return self.send(
                200,
                b"event: message\r\ndata: " + out + b"\r\n\r\n",
                b"text/event-stream",
                extra=extra,
                close=close,
            )
        return self.send(200, out, extra=extra, close=close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve_http(host: str, port: int, servers: int, tools: int, sse: bool) -> None:
    state = HttpServer(servers, tools, sse)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpConnection(state), host, port, backlog=1024)
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


# ---------------------------------------------------------------------- stdio


def serve_stdio(tools: int) -> None:
    """Newline-delimited JSON-RPC on stdin/stdout, one message at a time, until EOF."""
    responder = Responder(os.environ.get("UPSTREAM_NAME", "bench-stdio"), tools)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        reply = responder.reply(msg) if isinstance(msg, dict) else None
        if reply is not None:
            out.write(reply + b"\n")
            out.flush()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--transport", choices=("streamable-http", "stdio"), default="streamable-http")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--servers", type=int, default=1, help="virtual servers at /mcp/s0..")
    p.add_argument("--tools", type=int, default=2, help="tools per server (echo, add, tool2..)")
    p.add_argument("--sse", action="store_true", help="answer POSTs as text/event-stream")
    args = p.parse_args(argv)
    if args.transport == "stdio":
        serve_stdio(args.tools)
        return
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("the bench upstream binds loopback only")
    try:
        asyncio.run(serve_http(args.host, args.port, args.servers, args.tools, args.sse))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
