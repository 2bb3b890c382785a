"""What the before/after tool-call hooks receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.auth import Principal


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
