"""``POST /mcp…`` of an open session, answered below Tornado's ``RequestHandler``.

Nearly all of a hub's traffic is requests of sessions already open (``tools/call`` above
all). A ``RequestHandler`` costs about a fifth of such a call's CPU before and after the hub's
own work: its set-up (default headers, template namespace), the ``prepare``/method/finish
flow, a header dict written out through generic code. ``SessionPost`` is the delegate
Tornado's HTTP connection talks to directly for these: it reads the body, runs the same gate
(``route_access``: origin, credentials, route, reach), finds the caller's session and answers
through the same ``forwarding.reply_to`` as ``McpHandler`` (JSON, or SSE as soon as progress
or a log line arrives; a disconnect cancels the call). Its reply is written through the
connection's own ``write_headers``/``write``/``finish``, and the access log and the
``request_finished`` hook see it like any request.

Anything else (initialize, notifications, responses, the 2026 wire, bad bodies, a session
that must be rebuilt, any refusal) is handed to ``McpHandler`` with the headers and body
already read and the gate's outcome, so it is decided once and answered the usual way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import tornado.httputil
import tornado.iostream
import tornado.routing
import tornado.web
from mcp_types import INTERNAL_ERROR
from tornado.httputil import HTTPHeaders, ResponseStartLine

from hub.config.system import parse_size
from hub.mcp import forwarding, json_codec
from hub.mcp.call_scope import CallScope
from hub.mcp.route_access import GateError, pass_gate
from hub.mcp.sessions import HubSession, Message, PostCtx, dumps, frame
from hub.mcp.stateless_2026 import error_message
from hub.mcp.streamable_http import McpHandler, is_modern

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()
"""The delegates' tasks, held until done (the loop keeps only weak references)."""


class McpFirstRouter(tornado.routing.Router):
    """The application's own routing, except that a session's ``POST /mcp…`` is answered by
    ``SessionPost``."""

    def __init__(self, hub: Hub, app: tornado.web.Application) -> None:
        self.hub = hub
        self.app = app
        self.log_function: Callable[[Any], None] | None = app.settings.get("log_function")

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.httputil.HTTPMessageDelegate | None:
        delegate = self.app.find_handler(request, **kwargs)
        if (
            request.method == "POST"
            and getattr(delegate, "handler_class", None) is McpHandler
            and "Mcp-Session-Id" in request.headers
        ):
            return SessionPost(self, request, delegate)
        return delegate


_date = (0, "")


def http_date() -> str:
    """The ``Date`` header's text, made once per second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, tornado.httputil.format_timestamp(now))
    return _date[1]


class SessionPost(tornado.httputil.HTTPMessageDelegate):
    """One ``POST /mcp[/{segment}]`` (or ``/{user}/mcp…``) carrying ``Mcp-Session-Id``."""

    handler_class: type[tornado.web.RequestHandler] = McpHandler
    """The route's handler class, so observers label this request by its route."""

    def __init__(
        self,
        router: McpFirstRouter,
        request: tornado.httputil.HTTPServerRequest,
        fallback: Any,
    ) -> None:
        self.router = router
        self.hub = router.hub
        self.request = request
        self.fallback = fallback
        """Tornado's ``_HandlerDelegate`` for ``McpHandler``: takes over when we hand over."""
        connection = request.connection
        assert connection is not None  # a request Tornado is reading has its connection
        self.connection: tornado.httputil.HTTPConnection = connection
        self.chunks: list[bytes] = []
        self.status = 200
        self.session: HubSession | None = None
        self.scope: CallScope | None = None
        self.sse = False
        self.gone = False
        self.done = False
        self.handed_over = False

    def get_status(self) -> int:
        """The status sent (``request_finished`` observers ask it as of a handler)."""
        return self.status

    # -------------------------------------------------------------- HTTP delegate

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
    ) -> Awaitable[None] | None:
        self.start_line = start_line
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        self.chunks.append(chunk)
        return None

    def finish(self) -> None:
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.request.body = body
        # Tornado calls this, not the delegate's own hook, when the client leaves while the
        # reply is pending (a ``RequestHandler`` sets it the same way once it takes over).
        self.connection.set_close_callback(self.on_connection_close)  # type: ignore[attr-defined]
        task = asyncio.get_running_loop().create_task(self.serve(body))
        _running.add(task)
        task.add_done_callback(_running.discard)

    def on_connection_close(self) -> None:
        if self.handed_over:
            return  # McpHandler has set its own close callback
        self.gone = True
        if self.scope is not None:
            self.scope.cancel()

    # -------------------------------------------------------------- serving

    async def serve(self, body: bytes) -> None:
        try:
            await self.answer(body)
        except Exception:
            log.exception("MCP request failed")
            if not self.handed_over and not self.done and not self.sse:
                self.respond(500, dumps(error_message(None, INTERNAL_ERROR, "Internal error")))
            elif self.sse and not self.done:
                self.end()

    async def answer(self, body: bytes) -> None:
        hub = self.hub
        request = self.request
        if len(body) > parse_size(hub.config.system.routing.json_body_limit):
            return self.hand_over()
        try:
            msg = json_codec.loads(body)
        except (ValueError, RecursionError):
            return self.hand_over()
        if type(msg) is not dict or msg.get("jsonrpc") != "2.0" or "id" not in msg:
            return self.hand_over()
        method = msg.get("method")
        if type(method) is not str or method == "initialize":
            return self.hand_over()
        if is_modern(msg, request.headers.get("MCP-Protocol-Version")):
            return self.hand_over()
        parts = self.path_parts()
        if parts is None:
            return self.hand_over()
        user, segment = parts
        try:
            principal, route = await pass_gate(hub, request, user, segment)
        except GateError as exc:
            return self.hand_over(exc)
        endpoint = hub.mcp
        rid = msg["id"]
        session = endpoint.find_session(request.headers["Mcp-Session-Id"], route, principal)
        if session is None or rid in session.inflight:
            return self.hand_over((principal, route))
        if self.gone:
            return None
        self.session = session
        params = msg.get("params")
        ctx = PostCtx(self.emit, session, rid, params, request.headers)
        ctx.message_metadata.request_context = endpoint.call_info(route, principal, ctx, session)
        scope = self.scope = CallScope()
        out = await forwarding.reply_to(session, ctx, scope, method, rid, params)
        self.scope = None
        if out is not None:
            self.reply(out)
        elif self.sse:
            self.end()  # cancelled by the client: no answer
        else:
            self.respond(202, b"")
        return None

    def path_parts(self) -> tuple[str | None, str | None] | None:
        """(user, segment) from the URL, as ``McpHandler.path_parts`` reads them; None when
        they are not UTF-8 (the handler's 400)."""
        try:
            args = [a.decode() for a in self.fallback.path_args if a is not None]
        except UnicodeDecodeError:
            return None
        if self.fallback.handler_kwargs.get("user_scoped"):
            return args[0], (args[1] if len(args) > 1 else None)
        return None, (args[0] if args else None)

    def hand_over(self, gate: GateError | tuple[Any, Any] | None = None) -> None:
        """Let ``McpHandler`` answer, with what was read and the gate's outcome."""
        if self.gone:
            return
        self.handed_over = True
        fallback = self.fallback
        if gate is not None:
            fallback.handler_kwargs = {**fallback.handler_kwargs, "gate": gate}
        fallback.headers_received(self.start_line, self.request.headers)
        fallback.data_received(self.request.body)
        fallback.finish()

    # -------------------------------------------------------------- replies

    def headers(self, content_type: str | None, length: int | None) -> HTTPHeaders:
        headers = HTTPHeaders()
        if content_type is not None:
            headers["Content-Type"] = content_type
        if length is not None:
            headers["Content-Length"] = str(length)
        headers["Date"] = http_date()
        if self.session is not None:
            headers["Mcp-Session-Id"] = self.session.id
        return headers

    def respond(self, status: int, body: bytes) -> None:
        """The whole reply at once: JSON, or an empty 202."""
        if self.done or self.gone:
            return
        self.status = status
        content_type = "application/json" if body else None
        start = ResponseStartLine("HTTP/1.1", status, tornado.httputil.responses[status])
        self.connection.write_headers(start, self.headers(content_type, len(body)), body or None)
        self.end()

    def reply(self, msg: Message | bytes) -> None:
        if self.sse:
            if not self.done and not self.gone:
                self.connection.write(frame(msg))
            self.end()
        else:
            self.respond(200, dumps(msg))

    async def emit(self, msg: Message) -> None:
        """A message for this request before its answer: the reply becomes SSE."""
        if self.done or self.gone:
            return
        if not self.sse:
            self.sse = True
            headers = self.headers("text/event-stream", None)
            headers["Cache-Control"] = "no-cache, no-transform"
            headers["X-Accel-Buffering"] = "no"
            self.connection.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers)
        try:
            await self.connection.write(frame(msg))
        except tornado.iostream.StreamClosedError:
            self.gone = True

    def end(self) -> None:
        """Finish the response once, then log it like any request."""
        if self.done:
            return
        self.done = True
        if self.gone:
            return  # as McpHandler: a request whose caller left is neither answered nor logged
        self.connection.finish()
        log_function = self.router.log_function
        if log_function is not None:
            log_function(self)
