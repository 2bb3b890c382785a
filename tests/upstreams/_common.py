"""Shared plumbing for the test upstream servers: transports, CLI flags, event log.

Kept in one place so every upstream binds 127.0.0.1 only, prints the same
`LISTENING <port>` line and records events the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import anyio
import uvicorn
from mcp.server import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.sse import SseServerTransport
from mcp.server.stdio import stdio_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

TRANSPORTS = ("stdio", "sse", "streamable-http")


class UpstreamServer(Server[dict[str, Any]]):
    """Low-level Server that always advertises listChanged.

    The streamable-HTTP session manager calls `create_initialization_options()`
    without arguments, so the flags must be the default, not a call-site option.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        """Default to every list_changed flag on."""
        return super().create_initialization_options(
            notification_options or NotificationOptions(True, True, True),
            experimental_capabilities,
            extensions,
        )


def record_event(line: str) -> None:
    """Append one line to $UPSTREAM_EVENTS_FILE so tests can see what happened."""
    path = os.environ.get("UPSTREAM_EVENTS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def transport_parser(description: str) -> argparse.ArgumentParser:
    """CLI flags shared by all upstreams."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--transport", choices=TRANSPORTS, default="stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--json-response", action="store_true")
    p.add_argument("--bearer", default=None, help="HTTP only: require this token")
    return p


def sse_app(server: Server[Any]) -> Starlette:
    """Legacy HTTP+SSE: GET /sse opens the stream, POST /messages/ feeds it."""
    sse = SseServerTransport("/messages/")

    async def handle_sse(request: Request) -> Response:
        async with sse.connect_sse(request.scope, request.receive, request._send) as (
            read,
            write,
        ):
            await server.run(read, write, server.create_initialization_options())
        return Response()

    return Starlette(
        routes=[
            Route("/sse", endpoint=handle_sse, methods=["GET"]),
            Mount("/messages/", app=sse.handle_post_message),
        ]
    )


def require_bearer(app: ASGIApp, token: str) -> ASGIApp:
    """Reject HTTP requests lacking `Authorization: Bearer <token>` (401)."""
    expected = f"Bearer {token}".encode()

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            resp = Response("unauthorized", 401, {"WWW-Authenticate": "Bearer"})
            await resp(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped


async def serve_asgi(app: ASGIApp, host: str, port: int) -> None:
    """Run uvicorn and print `LISTENING <port>` once it accepts connections."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    srv = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(srv.serve)
        # uvicorn exposes no started event; a 10 ms poll is fine for a test server.
        while not srv.started:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        bound = srv.servers[0].sockets[0].getsockname()[1]
        print(f"LISTENING {bound}", flush=True)


async def serve(server: Server[Any], args: argparse.Namespace, banner: str) -> None:
    """Serve `server` on the transport chosen on the command line."""
    sys.stderr.write(f"{banner} started ({args.transport})\n")
    sys.stderr.flush()
    if args.transport == "stdio":
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return
    if args.host not in ("127.0.0.1", "localhost"):
        raise SystemExit("test upstreams bind loopback only")
    if args.transport == "sse":
        app: ASGIApp = sse_app(server)
    else:
        app = server.streamable_http_app(json_response=args.json_response, host=args.host)
    if args.bearer:
        app = require_bearer(app, args.bearer)
    await serve_asgi(app, args.host, args.port)
