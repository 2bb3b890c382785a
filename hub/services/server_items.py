"""Per-item switches on a server: enable or disable a tool, prompt or resource, override or
reset its description.

Keys are MCPHub's: namespaced names (``server{sep}tool``) for tools and prompts, URIs for
resources. The override lives in the server config, so a change is written like any config
change and the bus tells the catalog and MCP sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.auth.access import server_for
from hub.auth.principal import Principal
from hub.config.models import ItemOverride, ServerConfig
from hub.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from hub.app import Hub

LABELS = {"tools": "Tool", "prompts": "Prompt", "resources": "Resource"}


@dataclass(frozen=True)
class ItemChange:
    """What a change touched: the override key, the upstream's item (None when the server
    only has an override for it) and the override as stored afterwards."""

    key: str
    upstream: dict[str, Any] | None
    override: ItemOverride

    @property
    def description(self) -> str | None:
        """The description clients now see: the override's, else the upstream's."""
        if self.override.description is not None:
            return self.override.description
        return (self.upstream or {}).get("description")


def resolve(
    hub: Hub, server: str, config: ServerConfig, kind: str, ref: str
) -> tuple[str, dict[str, Any] | None]:
    """The override key for ``ref`` and the upstream item (None if only an override exists).

    Tools and prompts are found by namespaced name, or by the upstream's own name; an
    unknown item is a 404 whether or not the upstream is connected.
    """
    state = hub.upstreams.state(server)
    if kind == "resources":
        for item in state.resources:
            if item.get("uri") == ref:
                return ref, item
        for item in state.resource_templates:
            if item.get("uriTemplate") == ref:
                return ref, item
    else:
        sep = hub.config.system.name_separator
        items = state.tools if kind == "tools" else state.prompts
        by_full = {f"{server}{sep}{i.get('name', '')}": i for i in items}
        if ref in by_full:
            return ref, by_full[ref]
        for item in items:
            if item.get("name") == ref:
                return f"{server}{sep}{ref}", item
    if ref in (getattr(config, kind) or {}):
        return ref, None
    raise NotFound(f"{LABELS[kind]} '{ref}' not found on server '{server}'")


async def _update(
    hub: Hub,
    principal: Principal,
    server: str,
    kind: str,
    ref: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> ItemChange:
    """Apply ``change`` to the item's override fields; an empty result drops the override."""
    if kind not in LABELS:
        raise BadRequest(f"Unknown item kind {kind!r}")
    live = hub.config
    async with hub.server_lock:
        config = server_for(live, principal, server)
        key, item = resolve(hub, server, config, kind, ref)
        overrides = dict(getattr(config, kind) or {})
        current = overrides.get(key) or ItemOverride()
        fields = {k: v for k, v in current.wire().items() if k in ("enabled", "description")}
        updated = change(fields)
        if updated:
            overrides[key] = ItemOverride.model_validate(updated)
        else:
            overrides.pop(key, None)
        await live.put_server(server, config.model_copy(update={kind: overrides}))
    return ItemChange(key, item, overrides.get(key) or ItemOverride())


async def set_item_enabled(
    hub: Hub, principal: Principal, server: str, kind: str, ref: str, enabled: bool
) -> ItemChange:
    """Show or hide one tool, prompt or resource of ``server`` to MCP clients."""
    return await _update(hub, principal, server, kind, ref, lambda f: {**f, "enabled": enabled})


async def set_item_description(
    hub: Hub, principal: Principal, server: str, kind: str, ref: str, description: str
) -> ItemChange:
    """Replace the description clients see for one item."""
    return await _update(
        hub, principal, server, kind, ref, lambda f: {**f, "description": description}
    )


async def reset_item_description(
    hub: Hub, principal: Principal, server: str, kind: str, ref: str
) -> ItemChange:
    """Back to the upstream's description; a disable flag survives the reset."""

    def reset(fields: dict[str, Any]) -> dict[str, Any]:
        return {"enabled": False} if fields.get("enabled") is False else {}

    return await _update(hub, principal, server, kind, ref, reset)
