"""One 2026-07-28 exchange: no session, the envelope in ``_meta``, checked headers.

The request runs through the SDK's ``serve_one``. Calls that may need client input
(tools/call, prompts/get, resources/read) run in a task owned by the MRTR bridge, so an
upstream's sampling/elicitation/roots request becomes an ``InputRequiredResult`` and the
client's retry resumes the very same upstream call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import mcp_types as t
from mcp.server.connection import Connection
from mcp.server.runner import modern_error_data, serve_one
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    MCP_PARAM_HEADER_PREFIX,
    NAME_BEARING_METHODS,
    InboundLadderRejection,
    InboundModernRoute,
    classify_inbound_request,
    find_duplicated_routing_header,
    unsupported_protocol_version_rejection,
    validate_mcp_param_headers,
)
from mcp_types import SERVER_INFO_META_KEY
from mcp_types.methods import INPUT_REQUIRED_METHODS

from hub.mcp.call_scope import CallScope
from hub.mcp.input_required import Suspended
from hub.mcp.method_handlers import tool_schema
from hub.mcp.route_access import principal_key
from hub.mcp.sessions import Message, PostCtx
from hub.upstream.modern import speaks_2026

if TYPE_CHECKING:
    import tornado.httputil

    from hub.auth.principal import Principal
    from hub.mcp.endpoint import McpEndpoint
    from hub.mcp.route_access import Route


class McpHandler(Protocol):
    """What one 2026 exchange needs of the HTTP handler serving it (``streamable_http``)."""

    request: tornado.httputil.HTTPServerRequest
    endpoint: McpEndpoint
    route: Route
    principal: Principal | None
    cancel_scope: CallScope | anyio.CancelScope | None

    def accepted(self) -> None: ...
    def send(self, body: Any, status: int = 200) -> None: ...
    def reply(self, msg: Message | bytes, status: int = 200) -> None: ...
    async def emit(self, msg: Message) -> None: ...


def error_message(rid: Any, code: int, message: str, data: Any = None) -> Message:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": rid, "error": error}


def status_of(out: Message) -> int:
    return ERROR_CODE_HTTP_STATUS.get(out["error"]["code"], 200) if "error" in out else 200


def param_headers(
    view: Any, params: Mapping[str, Any], headers: Mapping[str, str]
) -> InboundLadderRejection | None:
    """``Mcp-Param-*`` headers checked against the schema of the tool as this caller sees it."""
    name = params.get("name")
    arguments = params.get("arguments") or {}
    if not isinstance(name, str) or not isinstance(arguments, Mapping):
        return None
    prefix = MCP_PARAM_HEADER_PREFIX.lower()
    if not arguments and not any(h.startswith(prefix) for h in headers):
        return None
    schema = tool_schema(view, name)
    if schema is None:
        return None
    return validate_mcp_param_headers(schema, arguments, headers)


async def serve_modern(handler: McpHandler, msg: Message) -> None:
    rid = msg.get("id")
    raw_headers = list(handler.request.headers.get_all())
    headers = {k.lower(): v for k, v in raw_headers}
    if "id" not in msg:
        # Notifications mean nothing on this wire; acknowledge if the version is served.
        rejection = unsupported_protocol_version_rejection(headers.get("mcp-protocol-version", ""))
        if rejection is None:
            handler.accepted()
        else:
            handler.send(
                error_message(None, rejection.code, rejection.message, rejection.data), 400
            )
        return
    method, params = msg.get("method"), msg.get("params")
    if not isinstance(method, str) or (params is not None and not isinstance(params, dict)):
        handler.send(error_message(rid, t.INVALID_REQUEST, "Invalid JSON-RPC request"), 400)
        return
    duplicated = find_duplicated_routing_header(raw_headers)
    verdict = (
        InboundLadderRejection(t.HEADER_MISMATCH, f"{duplicated} header appears more than once")
        if duplicated
        else classify_inbound_request(msg, headers=headers)
    )
    if isinstance(verdict, InboundLadderRejection):
        handler.send(error_message(rid, verdict.code, verdict.message, verdict.data), 400)
        return
    params = params or {}
    if method == "tools/call":
        _, view = handler.endpoint.view(handler.route, handler.principal)
        rejection = param_headers(view, params, headers)
        if rejection is not None:
            handler.send(error_message(rid, rejection.code, rejection.message, rejection.data), 400)
            return
    if method in INPUT_REQUIRED_METHODS:
        await _resumable(handler, verdict, rid, method, params, headers)
        return
    ctx = _context(handler, rid, params, headers, handler.emit)
    with anyio.CancelScope() as cancel:
        handler.cancel_scope = cancel
        out = await _serve(handler, verdict, ctx, rid, method, params)
    handler.cancel_scope = None
    if not cancel.cancelled_caught:
        handler.reply(out, status_of(out))


def _context(
    handler: McpHandler, rid: Any, params: Mapping[str, Any], headers: Mapping[str, str], emit: Any
) -> PostCtx:
    ctx = PostCtx(emit, None, rid, params, headers, can_send=False)
    meta = params.get("_meta")
    ctx.modern_meta = meta if isinstance(meta, Mapping) else {}
    info = handler.endpoint.call_info(handler.route, handler.principal, ctx)
    info.listen = {
        "route": handler.route,
        "scope": handler.endpoint.view(handler.route, handler.principal)[0],
    }
    ctx.message_metadata.request_context = info
    return ctx


async def _serve(
    handler: McpHandler,
    verdict: InboundModernRoute,
    ctx: PostCtx,
    rid: Any,
    method: str,
    params: Mapping[str, Any],
) -> Message:
    connection = Connection.from_envelope(
        verdict.protocol_version, verdict.client_info, verdict.client_capabilities
    )
    try:
        result = await serve_one(
            handler.endpoint.server, ctx, method, params, connection=connection, lifespan_state={}
        )
        return {"jsonrpc": "2.0", "id": rid, "result": result}
    except Exception as exc:  # noqa: BLE001 - JSON-RPC boundary: any failure is an error reply
        error = modern_error_data(exc)
        return error_message(rid, error.code, error.message, error.data)


def _upstream_speaks_2026(handler: McpHandler, method: str, name: Any) -> bool:
    """Whether the request's target upstream is connected on the 2026 wire
    (``hub.upstream.modern``): then its questions, answers and state are its own."""
    _, view = handler.endpoint.view(handler.route, handler.principal)
    server: str | None = None
    if method == "tools/call" and isinstance(name, str):
        server = (view.tool(name) or (None, None))[0]
    elif method == "prompts/get" and isinstance(name, str):
        server = (view.prompt(name) or (None, None))[0]
    elif method == "resources/read" and isinstance(name, str):
        server = view.resource_owner(name)
    upstream = handler.endpoint.hub.upstreams.upstreams.get(server) if server else None
    return upstream is not None and speaks_2026(upstream.session)


async def _resumable(
    handler: McpHandler,
    verdict: InboundModernRoute,
    rid: Any,
    method: str,
    params: dict[str, Any],
    headers: Mapping[str, str],
) -> None:
    """Serve a call that may pause for client input, or resume one that did."""
    bridge = handler.endpoint.bridge
    owner = principal_key(handler.principal)
    name = params.get(NAME_BEARING_METHODS[method])
    state = params.get("requestState")
    resume: dict[str, Any] = {}
    own_state = isinstance(state, str) and bridge.signed(state)
    if not own_state and _upstream_speaks_2026(handler, method, name):
        # The upstream asks its own questions: answers and state go back to it unchanged.
        resume = {k: params[k] for k in ("inputResponses", "requestState") if k in params}
        state = None
    if isinstance(state, str):
        try:
            call = bridge.find(state, owner, method, name)
        except MCPError as exc:
            handler.send(error_message(rid, exc.code, exc.message), 400)
            return
        responses = params.get("inputResponses")
        call.answer(responses if isinstance(responses, dict) else {})
    else:
        clean = {k: v for k, v in params.items() if k not in ("inputResponses", "requestState")}

        async def run(call: Suspended) -> Message:
            ctx = _context(handler, rid, clean, headers, call.forward)
            ctx.requester = call.ask
            ctx.modern_resume = resume
            return await _serve(handler, verdict, ctx, rid, method, clean)

        capabilities = verdict.client_capabilities
        call = bridge.start(
            owner, method, name, run, capabilities if isinstance(capabilities, dict) else {}
        )
    call.emit = handler.emit
    out: Message | None = None
    with anyio.CancelScope() as cancel:
        handler.cancel_scope = cancel
        out = await bridge.wait(call)
    handler.cancel_scope = None
    call.emit = None
    if cancel.cancelled_caught:
        bridge.drop(call)  # on this wire, closing the stream cancels the request
        return
    if out is None:
        stamp = {SERVER_INFO_META_KEY: handler.endpoint.server.server_info_stamp}
        result = bridge.input_required(call, stamp)
        handler.reply({"jsonrpc": "2.0", "id": rid, "result": result})
        return
    out["id"] = rid
    handler.reply(out, status_of(out))
