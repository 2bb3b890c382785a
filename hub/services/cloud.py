"""The cloud catalog (MCPRouter) behind ``/api/cloud``: MCPHub's search and label rules over
the entries the ``cloud`` catalog plugin lists, its tools and tool calls."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hub.catalogs.contract import Entry
from hub.errors import BadRequest, HubError, NotFound
from hub.services.catalogs import catalog_for

if TYPE_CHECKING:
    from hub.app import Hub

SEARCHED = ("name", "title", "description", "content", "author_name")
_LABEL_LINE = {
    "categories": re.compile(
        r"^\s*[-*]?\s*categor(?:y|ies)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE
    ),
    "tags": re.compile(r"^\s*[-*]?\s*tags?\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE),
}


async def entries(hub: Hub, catalog: str | None = None) -> list[Entry]:
    return await catalog_for(hub, "cloud", catalog).entries(hub)


async def search(hub: Hub, query: str, catalog: str | None = None) -> list[Entry]:
    """Entries where any term is in the name, title, description, content or author."""
    terms = query.lower().split()
    if not terms:
        raise BadRequest("Search query is required")
    found = []
    for entry in await entries(hub, catalog):
        text = " ".join(str(entry.get(k) or "") for k in SEARCHED).lower()
        if any(t in text for t in terms):
            found.append(entry)
    return found


async def show(hub: Hub, name: str, catalog: str | None = None) -> Entry:
    """The entry whose ``name`` or ``config_name`` is ``name``, with its tools when the
    router lists them (left out when that fails)."""
    source = catalog_for(hub, "cloud", catalog)
    for entry in await source.entries(hub):
        if name in (entry.get("name"), entry.get("config_name")):
            key = str(entry.get("server_key") or entry.get("config_name") or name)
            try:
                return {**entry, "tools": await source.tools(hub, key)}
            except HubError:
                return entry
    raise NotFound("Cloud server not found")


def _labels_of(entry: Entry, field: str) -> list[str]:
    content = str(entry.get("content") or "")
    out = []
    for match in _LABEL_LINE[field].finditer(content):
        out += [p.strip().strip("`'\"") for p in match.group(1).split(",")]
    return [p for p in out if p]


async def labels(hub: Hub, field: str, catalog: str | None = None) -> list[str]:
    """Labels written as ``category: x`` / ``tags: a, b`` lines in the entries' content."""
    found = {label for e in await entries(hub, catalog) for label in _labels_of(e, field)}
    return sorted(found)


async def with_label(hub: Hub, value: str, catalog: str | None = None) -> list[Entry]:
    """Entries whose content mentions ``value`` (case-insensitive)."""
    needle = value.lower()
    return [e for e in await entries(hub, catalog) if needle in str(e.get("content", "")).lower()]


async def tools(hub: Hub, server: str, catalog: str | None = None) -> list[dict[str, Any]]:
    return await catalog_for(hub, "cloud", catalog).tools(hub, server)


async def call_tool(
    hub: Hub, server: str, tool: str, arguments: Any, catalog: str | None = None
) -> dict[str, Any]:
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise BadRequest("arguments must be an object")
    return await catalog_for(hub, "cloud", catalog).call_tool(hub, server, tool, arguments)
