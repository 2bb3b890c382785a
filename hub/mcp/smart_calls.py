"""What the ``$smart`` meta-tools do: search the caller's own view, describe, call through.

``call_tool`` goes through the very path a direct ``tools/call`` takes (``invoke_tool`` with
the view of the scope the smart route searches), so toggles, group selections, ownership,
the ``before/after_tool_call`` hooks and activity all see the real tool.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import mcp_types as t
from mcp.shared.exceptions import MCPError

from hub.mcp.catalog import View
from hub.mcp.smart_tools import CALL, DEFAULT_LIMIT, DESCRIBE, MAX_LIMIT, SEARCH, SMART

if TYPE_CHECKING:
    from hub.app import Hub


class SmartInfo(Protocol):
    """The parts of the method handlers' ``CallInfo`` (a dataclass) the meta-tools read."""

    hub: Hub
    view: View


__all__ = ["SMART", "meta_call"]

Invoke = Callable[..., Awaitable[dict[str, Any]]]
"""``invoke_tool(info, name, arguments, meta, session_id)`` of ``hub.mcp.tool_calls``."""


def _text(payload: Any, *, error: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"content": [{"type": "text", "text": json.dumps(payload)}]}
    if error:
        result["isError"] = True
    return result


def _string(arguments: dict[str, Any], key: str) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MCPError(t.INVALID_PARAMS, f"'{key}' must be a non-empty string")
    return value


def _limit(arguments: dict[str, Any]) -> int:
    raw = arguments.get("limit", DEFAULT_LIMIT)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise MCPError(t.INVALID_PARAMS, "'limit' must be an integer")
    return max(1, min(MAX_LIMIT, int(raw)))


def searched_view(info: SmartInfo) -> View:
    """The view the meta-tools search and call: the caller's scope, without the meta-tools."""
    scope = info.view.searches
    if scope is None:
        raise MCPError(t.INTERNAL_ERROR, "not a smart-routing view")
    return info.hub.catalog.view(scope)


async def search(info: SmartInfo, arguments: dict[str, Any]) -> dict[str, Any]:
    query = _string(arguments, "query")
    limit = _limit(arguments)
    hub = info.hub
    progressive = hub.config.system.smart_routing.progressive_disclosure
    found, threshold = await hub.smart.search(searched_view(info), query, limit)
    tools = []
    for hit in found:
        entry: dict[str, Any] = {
            "name": hit.name,
            "description": hit.item.get("description", ""),
            "serverName": hit.server,
        }
        if not progressive:
            entry["inputSchema"] = hit.item.get("inputSchema", {"type": "object"})
        tools.append(entry)
    nxt = DESCRIBE if progressive else CALL
    if tools:
        guideline = (
            f"Tools are ordered best first. Pick the one that fits the task and use {nxt} "
            "with its exact name."
        )
        next_steps = [f"{nxt} with toolName set to one of the names above"]
    else:
        guideline = "No tool matched. Try other words, a shorter query, or a broader task."
        next_steps = [f"{SEARCH} with a different query"]
    metadata = {
        "query": query,
        "threshold": threshold,
        "totalResults": len(tools),
        "progressiveDisclosure": progressive,
        "provider": hub.smart.provider,
        "guideline": guideline,
        "nextSteps": next_steps,
    }
    return _text({"tools": tools, "metadata": metadata})


def describe(info: SmartInfo, arguments: dict[str, Any]) -> dict[str, Any]:
    name = _string(arguments, "toolName")
    view = searched_view(info)
    target = view.tool(name)
    item = next((i for i in view.tools if i.get("name") == name), None)
    if target is None or item is None:
        return _text({"error": f"Tool '{name}' not found"}, error=True)
    tool = {
        "name": name,
        "description": item.get("description", ""),
        "inputSchema": item.get("inputSchema", {"type": "object"}),
        "serverName": target[0],
    }
    message = f"Call it with {CALL}, toolName '{name}' and arguments that follow inputSchema."
    return _text({"tool": tool, "metadata": {"message": message}})


async def meta_call(
    info: Any,
    tool: str,
    arguments: dict[str, Any],
    meta: dict[str, Any] | None,
    session_id: str | None,
    invoke: Invoke,
) -> dict[str, Any]:
    """Answer one meta-tool call made on a ``$smart`` route."""
    if tool == SEARCH:
        return await search(info, arguments)
    if tool == DESCRIBE:
        return describe(info, arguments)
    if tool == CALL:
        name = _string(arguments, "toolName")
        inner = arguments.get("arguments") or {}
        if not isinstance(inner, dict):
            raise MCPError(t.INVALID_PARAMS, "'arguments' must be an object")
        real = replace(info, view=searched_view(info), via="smart")
        return await invoke(real, name, inner, meta, session_id)
    raise MCPError(t.INVALID_PARAMS, f"Unknown tool: {tool}")
