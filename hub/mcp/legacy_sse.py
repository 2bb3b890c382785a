"""Legacy HTTP+SSE (2024-11-05 transport): ``GET /sse[/{segment}]`` + ``POST /messages``.

The GET opens a session and is its only outbound channel: replies, notifications and
server->client requests are all written there. Each POSTed request runs in a task owned by
the session, so closing the stream cancels whatever is still running upstream.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import mcp_types as t

from hub.mcp import forwarding
from hub.mcp.call_scope import CallScope
from hub.mcp.route_access import GateError, authenticate, check_origin, principal_key
from hub.mcp.session_table import SessionCapReached
from hub.mcp.sessions import HubSession, PostCtx
from hub.mcp.stateless_2026 import error_message
from hub.mcp.streamable_http import McpBaseHandler

log = logging.getLogger(__name__)


class SseHandler(McpBaseHandler):
    """``GET /sse[/{segment}]`` and ``/{user}/sse[/{segment}]``."""

    SUPPORTED_METHODS = ("GET",)
    transport_name = "sse"

    async def get(self, *_: Any) -> None:
        try:
            session = self.endpoint.new_session(
                self.route, self.principal, legacy_sse=True, client=self.client
            )
        except SessionCapReached as exc:
            self.refuse_session(exc)
            return
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stream_queue = session.stream = queue
        user = self.route.user
        path = f"{self.hub.base_path}/{user}/messages" if user else f"{self.hub.base_path}/messages"
        self.start_sse()
        try:
            await self.write_frame(
                f"event: endpoint\ndata: {path}?sessionId={session.id}\n\n".encode()
            )
            await self.pump(queue)
        finally:
            self.endpoint.sessions.remove(session.id)


class MessagesHandler(McpBaseHandler):
    """``POST /messages?sessionId=`` (and ``/{user}/messages``): 202, answer on the stream."""

    SUPPORTED_METHODS = ("POST",)

    async def prepare(self) -> None:
        user = self.path_args[0] if self.user_scoped and self.path_args else None
        try:
            check_origin(self.hub, self.request)
            self.principal = await authenticate(self.hub, self.request, user)
        except GateError as exc:
            self.refuse(exc)
            return
        sid = self.get_query_argument("sessionId", None) or self.get_query_argument(
            "session_id", None
        )
        if not sid:
            self.refuse(GateError(400, "Missing sessionId parameter", text=True))
            return
        session = self.endpoint.sessions.get(sid)
        if (
            session is None
            or not session.legacy_sse
            or session.owner != principal_key(self.principal)
            or session.route.user != user
        ):
            self.refuse(GateError(404, "No transport found for sessionId", text=True))
            return
        session.touch()
        self.session = session
        self.route = session.route

    async def post(self, *_: Any) -> None:
        session = self.session
        msg = self.read_message()
        if msg is None or session is None:
            return
        self.accepted()
        method, rid, params = msg.get("method"), msg.get("id"), msg.get("params")
        if not isinstance(method, str):
            session.answer(msg)
            return
        if "id" not in msg:
            if method == "notifications/cancelled" and isinstance(params, dict):
                session.cancel(params.get("requestId"))
                return
            ctx = PostCtx(session.push, session, None, params, self.request.headers, can_send=False)
            await session.runner.on_notify(ctx, method, params)
            return
        if rid in session.inflight:
            session.push(error_message(rid, t.INVALID_REQUEST, "Duplicate in-flight request id"))
            return
        ctx = PostCtx(session.push, session, rid, params, dict(self.request.headers), kind="sse")
        info = self.endpoint.call_info(self.route, self.principal, ctx, session)
        ctx.message_metadata.request_context = info
        scope = CallScope()
        session.inflight[rid] = scope
        task = asyncio.get_running_loop().create_task(run(session, scope, method, rid, params, ctx))
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)


async def run(
    session: HubSession, scope: CallScope, method: str, rid: Any, params: Any, ctx: PostCtx
) -> None:
    """One request of a legacy SSE session; its answer goes onto the session stream."""
    out = await forwarding.reply_to(session, ctx, scope, method, rid, params)
    if out is not None:
        session.push(out)
