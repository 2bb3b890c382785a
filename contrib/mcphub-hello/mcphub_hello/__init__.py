"""An example mcphub plugin, packaged as its own distribution.

It adds ``GET /api/hello`` (public) and counts tool calls through ``after_tool_call``;
the route reports the count, so a test can see both hooks run. It also registers a small
market catalog (``register_catalogs``): its one entry, ``hello-clock``, appears in
``/api/market/servers`` next to the built-in market's and installs the reference time server.
"""

from __future__ import annotations

import sys
from typing import Any

from hub.plugin_api import APIHandler, Policy, ServerCatalog, hookimpl

calls_seen = 0


class HelloHandler(APIHandler):
    """Says hello and how many tool calls the hub has finished since start."""

    policy = Policy.PUBLIC

    async def get(self) -> None:
        self.reply({"hello": "world", "toolCalls": calls_seen})


@hookimpl
def register_routes(hub: Any) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/api/hello", HelloHandler, {})]


@hookimpl
def after_tool_call(hub: Any, call: Any, result: Any, error: Any) -> None:
    global calls_seen
    calls_seen += 1


class HelloCatalog(ServerCatalog):
    """A market catalog of one entry in MCPHub's ``MarketServer`` shape."""

    family = "market"
    title = "Hello examples"

    async def entries(self, hub: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "hello-clock",
                "display_name": "Hello clock",
                "description": "The reference time server, run by this hub's Python",
                "categories": ["Examples"],
                "tags": ["time", "example"],
                "installations": {
                    "python": {
                        "type": "python",
                        "command": sys.executable,
                        "args": ["-m", "mcp_server_time", "--local-timezone", "${TIMEZONE}"],
                    }
                },
                "arguments": {
                    "TIMEZONE": {"description": "IANA zone", "required": True, "example": "UTC"}
                },
            }
        ]


@hookimpl
def register_catalogs(register: Any) -> None:
    register("hello", HelloCatalog())
