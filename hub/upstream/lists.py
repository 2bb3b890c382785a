"""Reading an upstream's lists: every page, as the wire dicts the upstream sent.

Requests go through ``ClientSession.send_request`` with a plain-dict result type: the SDK
still checks the result against the negotiated version, but the hub keeps the upstream's
own JSON (unknown fields included) and skips a model round trip per item.
"""

from __future__ import annotations

from typing import Any

import mcp.types as t
from mcp import ClientSession
from pydantic import TypeAdapter

RawRequest = t.Request[dict[str, Any] | None, str]
WIRE: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
"""The result type of raw requests: the SDK validates against it at run time, while its
annotations ask for a pydantic model, hence ``type: ignore[type-var]`` where it is passed."""

LISTS = (
    # (method, result key, state attribute, capability, event name)
    ("tools/list", "tools", "tools", "tools", "tools"),
    ("prompts/list", "prompts", "prompts", "prompts", "prompts"),
    ("resources/list", "resources", "resources", "resources", "resources"),
    (
        "resources/templates/list",
        "resourceTemplates",
        "resource_templates",
        "resources",
        "resources",
    ),
)
CHANGED = {
    t.ToolListChangedNotification: ("tools",),
    t.PromptListChangedNotification: ("prompts",),
    t.ResourceListChangedNotification: ("resources", "resource_templates"),
}


async def list_all(session: ClientSession, caps: t.ServerCapabilities) -> dict[str, list[Any]]:
    """Every list the upstream's capabilities announce, keyed by state attribute."""
    out: dict[str, list[Any]] = {}
    for method, key, attr, cap, _ in LISTS:
        out[attr] = await list_pages(session, method, key) if getattr(caps, cap) else []
    return out


async def list_pages(session: ClientSession, method: str, key: str) -> list[dict[str, Any]]:
    """Every page of one list, following cursors (a repeated cursor ends the walk)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params = {"cursor": cursor} if cursor else None
        page = await session.send_request(RawRequest(method=method, params=params), WIRE)  # type: ignore[type-var]
        items.extend(i for i in page.get(key) or [] if isinstance(i, dict))
        cursor = page.get("nextCursor")
        if not isinstance(cursor, str) or not cursor or cursor in seen:
            return items
        seen.add(cursor)
