"""Upstream connections: the Transport contract plugins implement, and the manager.

The manager owns the life of every upstream: connect (bounded parallelism at start),
status, cached lists, reconnect with backoff, close.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)


class Status(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    OAUTH_REQUIRED = "oauth_required"


@dataclass
class UpstreamState:
    """What the rest of the hub reads about one upstream; replaced, never mutated in place."""

    name: str
    status: Status = Status.DISCONNECTED
    error: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)


class UpstreamManager:
    """Keeps one upstream per enabled server config, in step with ``hub.config``.

    Contract for the rest of the hub (implementation: issue 3):
    - it subscribes to ``servers`` events on the bus and connects, reconnects or closes the
      named upstream by itself, so the API only writes config;
    - ``reload(name)`` closes and reconnects one upstream;
    - ``state(name)`` is an O(1) read of status, error and cached lists (wire-form dicts,
      camelCase, exactly as the upstream sent them);
    - it publishes ``upstream`` events (``name``, ``what`` in status/tools/prompts/resources)
      when a status or a cached list changes;
    - ``call_tool``/``get_prompt``/``read_resource``/``complete``/``subscribe_resource`` take
      the upstream's own names and return wire-form result dicts; they raise
      ``hub.errors.UpstreamError`` when the upstream is not connected or fails, and an
      ``mcp.shared.exceptions.MCPError`` for a JSON-RPC error the upstream returned;
    - the downstream caller is found through ``hub.calls.current_downstream`` (a ContextVar)
      for progress, server->client requests (sampling, elicitation, roots) and passthrough
      headers.
    """

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.states: dict[str, UpstreamState] = {}

    async def start(self) -> None:
        """Begin connecting every enabled server in the background; returns at once."""
        for name, config in self.hub.config.servers.items():
            self.states[name] = UpstreamState(
                name, Status.DISCONNECTED, None if config.enabled else "disabled"
            )

    async def stop(self) -> None:
        """Close every upstream; no child process survives."""
        self.states.clear()

    def state(self, name: str) -> UpstreamState:
        return self.states.get(name) or UpstreamState(name)
