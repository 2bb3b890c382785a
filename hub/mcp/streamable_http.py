"""Streamable HTTP on ``/mcp[/{segment}]``: the 2025 session wire and the 2026 stateless wire.

Each POST hands its one message to the SDK kernel (``ServerRunner.on_request`` for a session,
``serve_one`` for a 2026 exchange) in the handler's own task. The reply is JSON unless the
handler emits first (progress, logs, a relayed sampling request), which turns it into SSE.
Tornado does not cancel a handler when its client leaves, so each request runs in a cancel
scope that ``on_connection_close`` cancels; that cancels the upstream call too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as t
import tornado.iostream
import tornado.web
from mcp_types import PROTOCOL_VERSION_META_KEY
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from hub.auth.principal import Policy, Principal
from hub.config.system import parse_size
from hub.mcp import forwarding, json_codec
from hub.mcp.call_scope import CallScope
from hub.mcp.client_address import client_address
from hub.mcp.endpoint import McpEndpoint
from hub.mcp.route_access import GateError, Route, pass_gate
from hub.mcp.session_table import SessionCapReached
from hub.mcp.sessions import (
    HubSession,
    Message,
    PostCtx,
    dumps,
    frame,
)
from hub.mcp.stateless_2026 import error_message, serve_modern

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

PING_INTERVAL = 15.0


class McpBaseHandler(tornado.web.RequestHandler):
    """Shared gate (origin, auth, scope) and reply helpers of the MCP routes."""

    policy = Policy.PUBLIC
    """Public at the framework level: MCP auth (bearer keys, 401 challenge) happens here."""
    transport_name = "mcp"
    """The first path segment of this transport's routes (``/mcp…``), for messages."""

    def initialize(
        self,
        hub: Hub,
        user_scoped: bool = False,
        gate: GateError | tuple[Principal | None, Route] | None = None,
    ) -> None:
        self.hub = hub
        self.gate = gate
        """The gate's outcome when ``SessionPost`` already ran it and handed the request over."""
        self.user_scoped = user_scoped
        self.endpoint: McpEndpoint = hub.mcp
        self.principal: Principal | None = None
        self.route = Route()
        self.gone = False
        self.sse = False
        self.cancel_scope: CallScope | anyio.CancelScope | None = None
        self.stream_queue: asyncio.Queue[Any] | None = None
        self.session: HubSession | None = None

    def compute_etag(self) -> str | None:
        return None

    @property
    def client(self) -> str:
        """The address an anonymous caller's sessions count against (``client_address``)."""
        trust = self.hub.config.system.sessions.trust_proxy_headers
        return client_address(self.request, trust)

    def check_xsrf_cookie(self) -> None:
        """Token auth only."""

    def on_connection_close(self) -> None:
        self.gone = True
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()
        if self.stream_queue is not None:
            self.stream_queue.put_nowait(None)

    def path_parts(self) -> tuple[str | None, str | None]:
        """(user, segment) from the URL."""
        args = [a for a in self.path_args if a is not None]
        if self.user_scoped:
            return args[0], (args[1] if len(args) > 1 else None)
        return None, (args[0] if args else None)

    async def prepare(self) -> None:
        if isinstance(self.gate, GateError):
            self.refuse(self.gate)
            return
        if self.gate is not None:
            self.principal, self.route = self.gate
            return
        user, segment = self.path_parts()
        try:
            self.principal, self.route = await pass_gate(
                self.hub, self.request, user, segment, self.transport_name
            )
        except GateError as exc:
            self.refuse(exc)

    def refuse(self, exc: GateError) -> None:
        self.set_status(exc.status)
        for name, value in exc.headers.items():
            self.set_header(name, value)
        if exc.text:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(exc.message)
        elif exc.body is not None:
            self.send(exc.body, exc.status)
        else:
            self.send(error_message(None, t.INVALID_REQUEST, exc.message), exc.status)

    def send(self, body: Any, status: int = 200) -> None:
        if self._finished or self.gone:
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(body))

    def refuse_session(self, exc: SessionCapReached, rid: Any = None) -> None:
        """No room for a new session: 429 (the caller's cap) or 503 (the hub's), with
        ``Retry-After``; only the caller who hit a cap is refused."""
        self.set_header("Retry-After", str(exc.retry_after))
        self.send(error_message(rid, t.INTERNAL_ERROR, exc.message), exc.status)

    def accepted(self) -> None:
        if not self._finished and not self.gone:
            self.set_status(202)
            self.finish()

    def start_sse(self) -> None:
        self.sse = True
        self.set_status(200)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache, no-transform")
        self.set_header("X-Accel-Buffering", "no")

    async def write_frame(self, data: bytes) -> None:
        if self.gone or self._finished:
            return
        self.write(data)
        try:
            await self.flush()
        except tornado.iostream.StreamClosedError:
            self.gone = True

    async def pump(self, queue: asyncio.Queue[Any]) -> None:
        """Write queued messages as SSE frames, with a comment ping when idle."""
        await self.write_frame(b": stream open\n\n")
        while not self.gone:
            try:
                msg = await asyncio.wait_for(queue.get(), PING_INTERVAL)
            except TimeoutError:
                await self.write_frame(b": ping\n\n")
                continue
            if msg is None:
                break
            await self.write_frame(frame(msg))
        if not self.gone and not self._finished:
            self.finish()

    def read_message(self) -> Message | None:
        """The POSTed JSON-RPC message, or None after answering the error."""
        limit = parse_size(self.hub.config.system.routing.json_body_limit)
        body = self.request.body or b""
        if len(body) > limit:
            self.send(error_message(None, t.INVALID_REQUEST, "Request body too large"), 413)
            return None
        try:
            msg = json_codec.loads(body)
        except (ValueError, RecursionError):
            self.send(error_message(None, t.PARSE_ERROR, "Parse error"), 400)
            return None
        if isinstance(msg, list):
            self.send(
                error_message(None, t.INVALID_REQUEST, "Batch requests are not supported"), 400
            )
            return None
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            self.send(error_message(None, t.INVALID_REQUEST, "Invalid JSON-RPC message"), 400)
            return None
        return msg


def is_modern(msg: Message, version: str | None) -> bool:
    if version is not None:
        return version not in HANDSHAKE_PROTOCOL_VERSIONS
    params = msg.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return (
        msg.get("method") != "initialize"
        and isinstance(meta, dict)
        and (PROTOCOL_VERSION_META_KEY in meta)
    )


class McpHandler(McpBaseHandler):
    """``POST/GET/DELETE /mcp[/{segment}]`` and ``/{user}/mcp[/{segment}]``."""

    SUPPORTED_METHODS = ("GET", "POST", "DELETE")

    async def emit(self, msg: Message) -> None:
        """A message for the current POST: the first one switches the reply to SSE."""
        if self.gone or self._finished:
            return
        if not self.sse:
            self.start_sse()
            if self.session is not None:
                self.set_header("Mcp-Session-Id", self.session.id)
        await self.write_frame(frame(msg))

    def reply(self, msg: Message | bytes, status: int = 200) -> None:
        if self.gone or self._finished:
            return
        if self.sse:
            self.write(frame(msg))
            self.finish()
            return
        if self.session is not None:
            self.set_header("Mcp-Session-Id", self.session.id)
        self.send(msg, status)

    # ------------------------------------------------------------------ POST

    async def post(self, *_: Any) -> None:
        msg = self.read_message()
        if msg is None:
            return
        version = self.request.headers.get("MCP-Protocol-Version")
        if is_modern(msg, version):
            await serve_modern(self, msg)
        else:
            await self.legacy(msg, version)

    async def legacy(self, msg: Message, version: str | None) -> None:
        method, rid, params = msg.get("method"), msg.get("id"), msg.get("params")
        endpoint = self.endpoint
        session: HubSession | None
        if method == "initialize":
            try:
                session = endpoint.new_session(self.route, self.principal, client=self.client)
            except SessionCapReached as exc:
                self.refuse_session(exc, rid)
                return
            requested = params.get("protocolVersion") if isinstance(params, dict) else None
            await endpoint.share(session, requested if isinstance(requested, str) else None)
        else:
            sid = self.request.headers.get("Mcp-Session-Id")
            if not sid:
                message = "Bad Request: Mcp-Session-Id header is required"
                self.send(error_message(rid, t.INVALID_REQUEST, message), 400)
                return
            session = endpoint.find_session(
                sid, self.route, self.principal
            ) or await endpoint.continue_session(sid, self.route, self.principal, version)
            if session is None:
                self.send(error_message(rid, t.INVALID_REQUEST, "Session not found"), 404)
                return
        self.session = session
        if not isinstance(method, str):
            session.answer(msg)
            self.accepted()
            return
        if "id" not in msg:
            self.accepted()
            await self.notify(session, method, params)
            return
        if rid in session.inflight:
            self.reply(error_message(rid, t.INVALID_REQUEST, "Duplicate in-flight request id"))
            return
        await self.run(session, method, rid, params)

    async def notify(self, session: HubSession, method: str, params: Any) -> None:
        if method == "notifications/cancelled" and isinstance(params, dict):
            session.cancel(params.get("requestId"))
            return
        ctx = PostCtx(self.emit, session, None, params, self.request.headers, can_send=False)
        await session.runner.on_notify(ctx, method, params)

    async def run(self, session: HubSession, method: str, rid: Any, params: Any) -> None:
        ctx = PostCtx(self.emit, session, rid, params, self.request.headers)
        info = self.endpoint.call_info(self.route, self.principal, ctx, session)
        ctx.message_metadata.request_context = info
        scope = self.cancel_scope = CallScope()
        out = await forwarding.reply_to(session, ctx, scope, method, rid, params)
        self.cancel_scope = None
        if out is not None:
            self.reply(out)
        elif self.sse and not self.gone and not self._finished:
            # Cancelled by the client (notifications/cancelled or a disconnect): no answer.
            self.finish()
        else:
            self.accepted()

    # ------------------------------------------------------------------ GET / DELETE

    async def get(self, *_: Any) -> None:
        """The standalone SSE stream of a session (notifications, server->client requests)."""
        version = self.request.headers.get("MCP-Protocol-Version")
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            self.set_header("Allow", "POST")
            self.set_status(405)
            self.finish()
            return
        accept = self.request.headers.get("Accept", "")
        if "text/event-stream" not in accept and "*/*" not in accept:
            self.send(
                error_message(None, t.INVALID_REQUEST, "Accept must allow text/event-stream"), 406
            )
            return
        session = await self.lookup()
        if session is None:
            return
        if session.stream is not None:
            message = "Conflict: only one SSE stream is allowed per session"
            self.send(error_message(None, t.INVALID_REQUEST, message), 409)
            return
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stream_queue = session.stream = queue
        self.start_sse()
        self.set_header("Mcp-Session-Id", session.id)
        try:
            await self.pump(queue)
        finally:
            if session.stream is queue:
                session.stream = None
            session.touch()

    async def lookup(self, rebuild: bool = True) -> HubSession | None:
        sid = self.request.headers.get("Mcp-Session-Id")
        if not sid:
            message = "Bad Request: Mcp-Session-Id header is required"
            self.send(error_message(None, t.INVALID_REQUEST, message), 400)
            return None
        session = self.endpoint.find_session(sid, self.route, self.principal)
        if session is None and rebuild:
            version = self.request.headers.get("MCP-Protocol-Version")
            session = await self.endpoint.continue_session(sid, self.route, self.principal, version)
        if session is None:
            self.send(error_message(None, t.INVALID_REQUEST, "Session not found"), 404)
        return session

    async def delete(self, *_: Any) -> None:
        session = await self.lookup(rebuild=False)
        if session is None:
            return
        await self.endpoint.forget(session.id)
        self.set_status(200)
        self.finish()
