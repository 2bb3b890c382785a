"""What the before/after tool-call hooks receive."""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hub.auth.principal import Principal


@dataclass
class ToolCall:
    """One tools/call on its way to an upstream."""

    server: str
    tool: str
    """The upstream's own (un-prefixed) tool name."""
    arguments: dict[str, Any]
    principal: Principal | None
    session_id: str | None = None
    group: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    via: str = "mcp"
    """The route family it came through: ``mcp`` (streamable HTTP, either era), ``sse``
    (legacy SSE), ``openapi`` (the REST tool routes), or a plugin's own (``smart``)."""
    timestamp: float = field(default_factory=time.time)
    """When the hub received it (epoch seconds)."""
    started: float = field(default_factory=time.perf_counter)
    """``time.perf_counter()`` at receipt: durations are measured from here."""
    finished: float | None = None
    """``time.perf_counter()`` when the upstream answered or the call failed; set by the hub
    before ``after_tool_call`` (which runs after the reply is sent, so it cannot time it)."""


FinishedCall = tuple[ToolCall, dict[str, Any] | None, BaseException | None]
"""A finished tool call as ``after_tool_calls`` gets it: the call, its wire-form result (None
when it failed) and its error (None when it did not)."""


class Downstream(Protocol):
    """The downstream request an upstream call is made for (set by the MCP endpoint)."""

    headers: Mapping[str, str]
    """The downstream HTTP request's headers (for ``passthroughHeaders``)."""

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Relay upstream progress to the downstream caller (no-op without a token)."""

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Send a server->client request (sampling, elicitation, roots) to the caller."""

    # Optional: ``async def log(self, params: dict[str, Any]) -> None`` receives the upstream's
    # ``notifications/message`` params (the relay looks it up with getattr; a REST caller has none).
    # Optional, 2026 callers only (``hub.upstream.modern`` reads them with getattr):
    # ``modern_meta`` (the caller's own ``_meta``, sent as is to a 2026 upstream) and
    # ``modern_resume`` (its ``inputResponses``/``requestState`` for that upstream's questions).


current_downstream: ContextVar[Downstream | None] = ContextVar("current_downstream", default=None)
"""Who the current upstream call is for; read by upstream callbacks."""
