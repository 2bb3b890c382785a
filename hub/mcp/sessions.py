"""Downstream sessions (2025 wire and legacy SSE) and the per-request dispatch context.

A ``HubSession`` is its own standalone ``Outbound``: messages not tied to a request go to its
queue, which the GET stream (or the legacy SSE stream) drains. A ``PostCtx`` is the
``DispatchContext`` of one POST: it replies with JSON unless the handler emits something
(progress, a log line, a server->client request), which switches the reply to SSE.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as t
from mcp.server.connection import Connection, allowed_log_levels
from mcp.server.models import InitializationOptions
from mcp.server.runner import ServerRunner
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.shared.jsonrpc_dispatcher import progress_token_from_params
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from hub.mcp import json_codec
from hub.mcp.call_scope import CallScope
from hub.mcp.catalog import Scope, View

if TYPE_CHECKING:
    from mcp.server import Server

log = logging.getLogger(__name__)

SERVER_REQUEST_TIMEOUT = 300.0
"""How long a relayed sampling/elicitation/roots request waits for the client."""

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

Message = dict[str, Any]
Sink = Callable[[Message], Any]


def frame(msg: Message | bytes) -> bytes:
    return b"event: message\r\ndata: " + dumps(msg) + b"\r\n\r\n"


def dumps(msg: Any) -> bytes:
    """Compact UTF-8 JSON; ``bytes`` are taken as JSON already encoded."""
    if isinstance(msg, bytes):
        return msg
    return json_codec.dumps(msg)


def response(rid: Any, result: Any, encoded: bytes | None = None) -> Message | bytes:
    """A JSON-RPC response, spliced around the result's ``encoded`` JSON when given."""
    if encoded is None:
        return {"jsonrpc": "2.0", "id": rid, "result": result}
    return b'{"jsonrpc":"2.0","id":' + dumps(rid) + b',"result":' + encoded + b"}"


def notification(method: str, params: Mapping[str, Any] | None) -> Message:
    msg: Message = {"jsonrpc": "2.0", "method": method}
    if params:
        msg["params"] = dict(params)
    return msg


class HubSession:
    """One downstream handshake-era session (streamable HTTP or legacy SSE)."""

    def __init__(
        self,
        server: Server[Any],
        options: InitializationOptions,
        *,
        owner: str,
        principal: Any,
        route: Any,
        scope: Scope,
        session_id: str | None = None,
        legacy_sse: bool = False,
    ) -> None:
        self.id = session_id or uuid.uuid4().hex
        self.owner = owner
        """Who created the session (principal key); nobody else may use it."""
        self.principal = principal
        self.route = route
        self.scope = scope
        self.view: View | None = None
        self.legacy_sse = legacy_sse
        self.stream: asyncio.Queue[Message | bytes | None] | None = None
        """The standalone stream (GET /mcp, or the legacy SSE stream); None when none is open."""
        self.pending: dict[str, asyncio.Future[Message]] = {}
        self.inflight: dict[Any, CallScope] = {}
        """Requests being answered, by JSON-RPC id (``notifications/cancelled`` names them)."""
        self.tasks: set[asyncio.Task[Any]] = set()
        self.subscriptions: set[str] = set()
        self.log_level: str | None = None
        self.last_seen = time.monotonic()
        self.quota = owner
        """Whose cap this session counts against (set by ``Sessions.add``)."""
        self.closed = False
        self._ids = itertools.count(1)
        self.connection = Connection.for_loop(self, session_id=self.id)
        self.runner = ServerRunner(server, self.connection, {}, init_options=options)

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def push(self, msg: Message | bytes) -> bool:
        """Queue a message on the standalone stream; False when there is none."""
        if self.stream is None or self.closed:
            return False
        self.stream.put_nowait(msg)
        return True

    # Outbound (standalone channel) --------------------------------------------------

    async def notify(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> None:
        self.push(notification(method, params))

    async def send_raw_request(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        opts: CallOptions | None = None,
        sink: Sink | None = None,
    ) -> dict[str, Any]:
        """Send a server->client request on ``sink`` (or the standalone stream); await the answer."""
        if sink is None and self.stream is None:
            raise NoBackChannelError(method)
        rid = f"hub-{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        msg: Message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = dict(params)
        try:
            if sink is not None:
                await sink(msg)
            else:
                self.push(msg)
            timeout = (opts or {}).get("timeout", SERVER_REQUEST_TIMEOUT)
            with anyio.fail_after(timeout):
                answer = await future
        finally:
            self.pending.pop(rid, None)
        if "error" in answer:
            raise MCPError.from_error_data(t.ErrorData.model_validate(answer["error"]))
        result: dict[str, Any] = answer.get("result") or {}
        return result

    def answer(self, msg: Message) -> bool:
        """Deliver a client's response to one of our requests."""
        future = self.pending.get(msg.get("id"))  # type: ignore[arg-type]
        if future is None or future.done():
            return False
        future.set_result(msg)
        return True

    def cancel(self, request_id: Any) -> None:
        scope = self.inflight.get(request_id)
        if scope is not None:
            scope.cancel()

    def close(self) -> None:
        """End the session: streams end, in-flight work is cancelled, waiters fail."""
        if self.closed:
            return
        self.closed = True
        if self.stream is not None:
            self.stream.put_nowait(None)
        for scope in list(self.inflight.values()):
            scope.cancel()
        for task in list(self.tasks):
            task.cancel()
        for future in self.pending.values():
            if not future.done():
                future.set_exception(MCPError(t.INVALID_REQUEST, "Session closed"))
        self.pending.clear()


class PostCtx:
    """``DispatchContext`` + hub ``Downstream`` for one inbound request.

    ``emit`` writes a message for this request: onto the POST's SSE body (2025 streamable),
    onto the session stream (legacy SSE), or nowhere when the channel is gone.
    """

    def __init__(
        self,
        emit: Callable[[Message], Any],
        session: HubSession | None,
        request_id: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        *,
        can_send: bool = True,
        kind: str = "streamable-http",
        request_context: Any = None,
    ) -> None:
        self._emit = emit
        self.session = session
        self.request_id = request_id
        self.headers = headers
        self.progress_token = progress_token_from_params(params)
        self._cancel_requested: anyio.Event | None = None
        self.can_send_request = can_send and session is not None
        self.message_metadata = ServerMessageMetadata(request_context=request_context)
        self.transport = TransportContext(
            kind=kind, can_send_request=self.can_send_request, headers=headers
        )
        self.requester: Callable[[str, dict[str, Any] | None], Any] | None = None
        """Set on the 2026 wire: questions go to the MRTR bridge instead of a back-channel."""
        meta = params.get("_meta") if isinstance(params, Mapping) else None
        self.modern_log_levels = (
            allowed_log_levels(
                MODERN_PROTOCOL_VERSIONS[0], meta if isinstance(meta, Mapping) else None
            )
            if session is None
            else frozenset()
        )
        """Without a session (2026 wire): the levels this request's ``_meta`` opted into."""
        self.modern_meta: Mapping[str, Any] | None = None
        """2026 wire: the client's own ``_meta``, for upstreams that speak 2026 too."""
        self.modern_resume: Mapping[str, Any] = {}
        """2026 wire: ``inputResponses``/``requestState`` answering an upstream's own
        ``InputRequiredResult`` (passed back to it unchanged)."""

    @property
    def cancel_requested(self) -> anyio.Event:
        """``DispatchContext``'s signal; nothing in the hub sets it, so it is made on demand
        (an anyio ``Event`` costs a backend lookup)."""
        if self._cancel_requested is None:
            self._cancel_requested = anyio.Event()
        return self._cancel_requested

    async def emit(self, msg: Message) -> None:
        result = self._emit(msg)
        if asyncio.iscoroutine(result):
            await result

    async def notify(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> None:
        await self.emit(notification(method, params))

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        if not self.can_send_request or self.session is None:
            raise NoBackChannelError(method)
        return await self.session.send_raw_request(method, params, opts, sink=self.emit)

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        if self.progress_token is None:
            return
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.notify("notifications/progress", params)

    # hub.upstream.calls.Downstream ---------------------------------------------------------

    async def log(self, params: dict[str, Any]) -> None:
        """Relay an upstream's log line if this caller wants its level.

        A 2025 session gets what ``logging/setLevel`` let through (everything until it is
        called); a 2026 request only the levels its ``_meta`` log level opted into.
        """
        level = params.get("level")
        if self.session is not None:
            floor = self.session.log_level
            wanted = floor not in LOG_LEVELS or (
                level in LOG_LEVELS and LOG_LEVELS.index(level) >= LOG_LEVELS.index(floor)
            )
        else:
            wanted = level in self.modern_log_levels
        if wanted:
            await self.notify("notifications/message", params)

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Relay an upstream's sampling / elicitation / roots request to this caller."""
        if self.requester is not None:
            result: dict[str, Any] = await self.requester(method, params)
            return result
        return await self.send_raw_request(method, params)
