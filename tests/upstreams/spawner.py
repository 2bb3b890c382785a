"""Stdio upstream that starts a grandchild, like npx/uvx launchers do.

The grandchild (`sleep 1000`) stays in our session/process group and inherits
our stdio, so a hub that only kills its direct child leaks it.
Run: `python -m tests.upstreams.spawner`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

import anyio
import mcp.types as t
from mcp.server import ServerRequestContext

from tests.upstreams._common import UpstreamServer, serve

Ctx = ServerRequestContext[dict[str, Any]]


def main() -> None:
    # Started before the stdio transport claims fds 0/1, so it holds the real pipes.
    child = subprocess.Popen(["sleep", "1000"])
    tool = t.Tool(
        name="grandchild_pid", description="PID of the grandchild", input_schema={"type": "object"}
    )

    async def list_tools(ctx: Ctx, params: t.PaginatedRequestParams | None) -> t.ListToolsResult:
        return t.ListToolsResult(tools=[tool])

    async def call_tool(ctx: Ctx, params: t.CallToolRequestParams) -> t.CallToolResult:
        return t.CallToolResult(
            content=[t.TextContent(text=str(child.pid))], structured_content={"pid": child.pid}
        )

    server = UpstreamServer(
        "spawner", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool
    )
    sys.stderr.write(f"spawner grandchild pid {child.pid}\n")
    anyio.run(serve, server, argparse.Namespace(transport="stdio"), "spawner upstream")


if __name__ == "__main__":
    main()
