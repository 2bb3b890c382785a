"""MCP routes (relative to ``BASE_PATH``): streamable HTTP, legacy SSE, user-scoped variants."""

from __future__ import annotations

from hub.mcp.legacy_sse import MessagesHandler, SseHandler
from hub.mcp.streamable_http import McpHandler

USER = r"/(?!api/)([^/]+)"
"""A user-name segment; never ``api`` so the REST API keeps its paths."""

first_handlers = [
    (r"/mcp/?", McpHandler),
    (r"/mcp/(.+)", McpHandler),
    (r"/sse/?", SseHandler),
    (r"/sse/(.+)", SseHandler),
    (r"/messages/?", MessagesHandler),
]
"""Matched before every other route: Tornado tries patterns in order, and these carry the
hub's traffic (no other route starts with these segments)."""

default_handlers = [
    (USER + r"/mcp/?", McpHandler, {"user_scoped": True}),
    (USER + r"/mcp/(.+)", McpHandler, {"user_scoped": True}),
    (USER + r"/sse/?", SseHandler, {"user_scoped": True}),
    (USER + r"/sse/(.+)", SseHandler, {"user_scoped": True}),
    (USER + r"/messages/?", MessagesHandler, {"user_scoped": True}),
]
