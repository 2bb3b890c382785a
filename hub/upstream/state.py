"""What the rest of the hub reads about one upstream: its status and cached lists."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    OAUTH_REQUIRED = "oauth_required"


@dataclass
class UpstreamState:
    """What the rest of the hub reads about one upstream; replaced, never mutated in place.

    The lists survive a disconnect (the catalog shows only connected upstreams anyway), so a
    brief outage does not make every downstream session re-list twice.
    """

    name: str
    status: Status = Status.DISCONNECTED
    error: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)
    server_info: dict[str, Any] | None = None
    capabilities: dict[str, Any] | None = None
    instructions: str | None = None
    oauth: dict[str, Any] | None = None
    """While ``oauth_required`` with a flow waiting: ``{authorizationUrl, state}``."""


# ---------------------------------------------------------------------- transport contract
