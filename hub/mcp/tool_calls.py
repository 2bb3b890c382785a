"""One tools/call, from any route, with the tool-call hooks around it.

The MCP endpoint (both eras, legacy SSE) and the REST tool server (``hub.api.tool_server``)
all call ``invoke_tool``, so scope, toggles and ownership are enforced once and the
``before_tool_call`` / ``after_tool_call`` hooks see every call, refused ones included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mcp.types as t
from mcp.shared.exceptions import MCPError

from hub.auth.access import can_see_server
from hub.errors import NotFound, UpstreamError
from hub.mcp.smart_calls import SMART, meta_call
from hub.upstream.calls import ToolCall, current_downstream

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal
    from hub.mcp.method_handlers import CallInfo

UNKNOWN_SERVER = "unknown"
"""The ``server`` of a refused call whose name matches no server the caller may see."""


@dataclass
class RestDownstream:
    """The REST caller as an upstream call sees it: headers for passthrough, nothing more."""

    headers: Mapping[str, str]

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        return None

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        raise MCPError(t.INVALID_REQUEST, f"{method}: a REST caller cannot answer requests")


class UnknownTool(NotFound):
    """The name is not a tool of the caller's view (MCP: invalid params; REST: 404)."""


def guess_target(hub: Hub, principal: Principal | None, name: str) -> tuple[str, str]:
    """(server, un-prefixed tool) that a refused ``name`` points at, among the servers the
    caller may see (longest matching prefix); (``unknown``, name) when none matches."""
    sep = hub.config.system.name_separator
    best = ""
    for server, config in hub.config.servers.items():
        if len(server) <= len(best) or not name.startswith(server + sep):
            continue
        if principal is None or can_see_server(principal, server, config):
            best = server
    return (best, name[len(best) + len(sep) :]) if best else (UNKNOWN_SERVER, name)


async def invoke_tool(
    info: CallInfo,
    name: str,
    arguments: dict[str, Any],
    meta: dict[str, Any] | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """One tools/call checked against the caller's view, with the hooks around it.

    Raises ``UnknownTool`` for a name outside the view and the ``HubError`` of a refusing
    ``before_tool_call`` hook; ``after_tool_call`` sees both refusals as the call's error.
    An upstream failure (``UpstreamError``) is answered as an ``isError`` result. The
    ``after_tool_call`` observers run once the caller's reply is on its way
    (``Observing.tool_call_finished``).
    """
    hub = info.hub
    observing = hub.plugins.observing
    hooks = observing.observes_tool_calls()
    session = info.session
    via = "sse" if session is not None and session.legacy_sse else info.via
    target = info.view.tool(name)
    if target is None:
        refusal = UnknownTool(info.view.unknown_tool(name))
        if hooks:
            server, tool = guess_target(hub, info.principal, name)
            refused = ToolCall(server, tool, arguments, info.principal, group=info.group, via=via)
            observing.tool_call_finished(hub, refused, None, refusal)
        raise refusal
    server, tool = target
    if server == SMART:  # a meta-tool of /mcp/$smart: its call_tool comes back through here
        return await meta_call(info, tool, arguments, meta, session_id, invoke_tool)
    call = ToolCall(
        server=server,
        tool=tool,
        arguments=arguments,
        principal=info.principal,
        session_id=session_id or (session.id if session else None),
        group=info.group,
        meta=meta or {},
        via=via,
    )
    # The caller is current for the hooks too (a tracer reads its headers) and the upstream.
    token = current_downstream.set(info.downstream)
    try:
        if hub.plugins.has_impl("before_tool_call"):
            await hub.plugins.before_tool_call(hub, call)
        result: dict[str, Any] = await hub.upstreams.call_tool(
            call.server, name=call.tool, arguments=call.arguments, meta=call.meta or None
        )
    except UpstreamError as exc:
        result = {"content": [{"type": "text", "text": f"Error: {exc.message}"}], "isError": True}
    except BaseException as exc:
        if hooks:
            observing.tool_call_finished(hub, call, None, exc)
        raise
    finally:
        current_downstream.reset(token)
    if hooks:
        observing.tool_call_finished(hub, call, result, None)
    return result
