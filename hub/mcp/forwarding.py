"""The short way for a session's ``tools/call`` and list pages: no SDK runner on the way.

The SDK's ``ServerRunner`` validates every request into pydantic models, runs the middleware
chain and validates the result again against the version's schema: about a third of the
hub's CPU per proxied call. A well-formed ``tools/call`` of an initialised session needs
none of it: ``invoke_tool`` checks the name against the caller's view (scope, toggles,
pins) and runs the hooks as before, and the upstream's result is sent as it came whenever
the version's schema could not change it (text content, ``isError``, structured content
where the version has it). A list page the view already holds in wire form is returned as
it is (its JSON is cached too: ``method_handlers.encoded_list``). Anything else, and every
other method, goes through the SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as t
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp_types import methods as sdk_methods
from pydantic import ValidationError

from hub.errors import HubError
from hub.mcp.call_scope import CallScope
from hub.mcp.catalog import LIST_KEYS
from hub.mcp.method_handlers import CallInfo, encoded_list, forward_meta, hub_error
from hub.mcp.sessions import Message, response
from hub.mcp.tool_calls import UnknownTool, invoke_tool

if TYPE_CHECKING:
    from hub.mcp.sessions import HubSession, PostCtx

log = logging.getLogger(__name__)

CALL_KEYS = frozenset({"name", "arguments", "_meta"})
PLAIN_RESULT_KEYS = frozenset({"content", "isError"})
STRUCTURED_RESULT_KEYS = PLAIN_RESULT_KEYS | {"structuredContent"}
NO_STRUCTURED = frozenset({"2024-11-05", "2025-03-26"})
"""Versions from before ``structuredContent`` was specified: a result carrying it goes through
the SDK's sieve, which decides what that version's clients get."""
TEXT_KEYS = frozenset({"type", "text"})


async def reply_to(
    session: HubSession, ctx: PostCtx, scope: CallScope, method: str, rid: Any, params: Any
) -> Message | bytes | None:
    """The JSON-RPC response to one request of a session (a handler failure becomes an error
    response); None when ``scope`` was cancelled (a disconnect, ``notifications/cancelled``,
    the session's end), which is answered with nothing."""
    session.inflight[rid] = scope
    with scope:
        try:
            result = await answer(session, ctx, method, params)
            info = ctx.message_metadata.request_context
            encoded = (
                encoded_list(info.view, method, result) if isinstance(info, CallInfo) else None
            )
            return response(rid, result, encoded)
        except Exception as exc:  # noqa: BLE001 - JSON-RPC boundary: any failure is an error reply
            return exception_message(rid, exc)
        finally:
            session.inflight.pop(rid, None)
            # The context and its CallInfo refer to each other: unlinked here, the request's
            # objects are freed at once instead of by the cycle collector (a few percent of
            # the CPU at thousands of calls a second).
            ctx.message_metadata.request_context = None
    return None


def exception_message(rid: Any, exc: BaseException) -> Message:
    data = handler_exception_to_error_data(exc) if isinstance(exc, Exception) else None
    if data is None:
        log.exception("MCP handler failed", exc_info=exc)
        data = t.ErrorData(code=t.INTERNAL_ERROR, message="Internal error")
    return {"jsonrpc": "2.0", "id": rid, "error": data.model_dump(mode="json", exclude_none=True)}


async def answer(session: HubSession, ctx: PostCtx, method: str, params: Any) -> dict[str, Any]:
    """The result of one request of an initialised or initialising session."""
    info = ctx.message_metadata.request_context
    if session.connection.initialize_accepted and isinstance(info, CallInfo):
        version = session.connection.protocol_version
        if method == "tools/call":
            call = plain_call(params)
            if call is not None:
                return await call_tool(info, version, *call)
        elif method in LIST_KEYS:
            page = cached_page(info, method, version, params)
            if page is not None:
                return page
    return await session.runner.on_request(ctx, method, params)


def cached_page(info: CallInfo, method: str, version: str, params: Any) -> dict[str, Any] | None:
    """A list page as the SDK answered it before for this view (``list_cache`` keeps them);
    None on a miss or unusual params, which the SDK then answers (and caches)."""
    if params is None:
        cursor = None
    elif isinstance(params, dict) and params.keys() <= {"cursor", "_meta"}:
        cursor = params.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            return None
    else:
        return None
    cached = info.view.wire.get((method, version, cursor))
    return dict(cached) if cached is not None else None


def plain_call(params: Any) -> tuple[str, dict[str, Any], dict[str, Any] | None] | None:
    """(name, arguments, _meta) of well-formed ``tools/call`` params; None leaves the
    judgement (and its exact error) to the SDK."""
    if not isinstance(params, dict) or not params.keys() <= CALL_KEYS:
        return None
    name = params.get("name")
    arguments = params.get("arguments")
    meta = params.get("_meta")
    if not isinstance(name, str):
        return None
    if arguments is not None and not isinstance(arguments, dict):
        return None
    if meta is not None and not isinstance(meta, dict):
        return None
    return name, arguments or {}, meta


async def call_tool(
    info: CallInfo, version: str, name: str, arguments: dict[str, Any], meta: dict[str, Any] | None
) -> dict[str, Any]:
    try:
        result = await invoke_tool(info, name, arguments, forward_meta(meta))
    except UnknownTool as exc:
        raise MCPError(t.INVALID_PARAMS, exc.message) from None
    except HubError as exc:
        raise hub_error(exc) from None
    if unchanged_by_schema(result, version):
        # The schema's one default: the SDK path writes ``isError: false`` out.
        return result if "isError" in result else {**result, "isError": False}
    try:
        return sdk_methods.serialize_server_result("tools/call", version, result)
    except ValidationError:
        raise MCPError(t.INTERNAL_ERROR, "Handler returned an invalid result") from None


def unchanged_by_schema(result: Mapping[str, Any], version: str) -> bool:
    """Whether the version's result schema would pass ``result`` through as it is."""
    allowed = PLAIN_RESULT_KEYS if version in NO_STRUCTURED else STRUCTURED_RESULT_KEYS
    if not result.keys() <= allowed:
        return False
    content = result.get("content")
    if not isinstance(content, list):
        return False
    for item in content:
        if not isinstance(item, dict) or item.get("type") != "text" or not item.keys() <= TEXT_KEYS:
            return False
        if not isinstance(item.get("text"), str):
            return False
    if "isError" in result and not isinstance(result["isError"], bool):
        return False
    return "structuredContent" not in result or isinstance(result["structuredContent"], dict)
