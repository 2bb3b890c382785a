"""Upstream whose `hang` tool never answers, to test timeouts and cancellation.

The handler records `called <requestId>` in $UPSTREAM_EVENTS_FILE when a call arrives (so a
test can wait for it instead of sleeping); the SDK cancels its scope on
`notifications/cancelled`, so it then records `cancelled <requestId>` and re-raises.
Run: `python -m tests.upstreams.hang [--transport streamable-http --port 0]`.
"""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as t
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError

from tests.upstreams._common import UpstreamServer, record_event, serve, transport_parser

Ctx = ServerRequestContext[dict[str, Any]]
TOOLS = [
    t.Tool(name="hang", description="never answers", input_schema={"type": "object"}),
    t.Tool(name="ping_tool", description="answers pong", input_schema={"type": "object"}),
]


async def list_tools(ctx: Ctx, params: t.PaginatedRequestParams | None) -> t.ListToolsResult:
    return t.ListToolsResult(tools=TOOLS)


async def call_tool(ctx: Ctx, params: t.CallToolRequestParams) -> t.CallToolResult:
    if params.name == "ping_tool":
        return t.CallToolResult(content=[t.TextContent(text="pong")])
    if params.name != "hang":
        raise MCPError(t.INVALID_PARAMS, f"Unknown tool: {params.name}")
    record_event(f"called {ctx.request_id}")
    try:
        await anyio.sleep_forever()
    except anyio.get_cancelled_exc_class():
        record_event(f"cancelled {ctx.request_id}")
        raise
    raise AssertionError("unreachable")


def main() -> None:
    p = transport_parser("hanging test upstream")
    p.add_argument("--name", default="hang")
    args = p.parse_args()
    server = UpstreamServer(
        args.name, version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool
    )
    anyio.run(serve, server, args, "hang upstream")


if __name__ == "__main__":
    main()
