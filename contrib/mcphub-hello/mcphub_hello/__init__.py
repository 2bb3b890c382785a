"""An example mcphub plugin, packaged as its own distribution.

It adds ``GET /api/hello`` (public) and counts tool calls through ``after_tool_call``;
the route reports the count, so a test can see both hooks run.
"""

from __future__ import annotations

from typing import Any

from hub.plugin_api import APIHandler, Policy, hookimpl

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
