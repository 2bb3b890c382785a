"""Server configs seen from the API: per-item views, summaries, the write lock, and the
writes that touch other records (renames and deletions update groups and bearer keys).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

from hub.config.models import ServerConfig
from hub.config.redaction import mask_server

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.live import LiveConfig

OVERRIDE_KINDS = ("tools", "prompts", "resources")


def server_lock(hub: Hub) -> asyncio.Lock:
    """One lock around every read-modify-write of server configs, so no edit is lost."""
    return hub.server_lock


# --------------------------------------------------------------------- validation


def _override(config: ServerConfig, kind: str, key: str) -> tuple[bool, str | None]:
    found = (getattr(config, kind) or {}).get(key)
    if found is None:
        return True, None
    return found.enabled is not False, found.description


def tool_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    sep = hub.config.system.name_separator
    out = []
    for tool in hub.upstreams.state(name).tools:
        full = f"{name}{sep}{tool.get('name', '')}"
        enabled, description = _override(config, "tools", full)
        schema = {k: v for k, v in (tool.get("inputSchema") or {}).items() if k != "$schema"}
        out.append(
            {
                "name": full,
                "description": description if description is not None else tool.get("description"),
                "inputSchema": schema,
                "enabled": enabled,
            }
        )
    return out


def prompt_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    sep = hub.config.system.name_separator
    out = []
    for prompt in hub.upstreams.state(name).prompts:
        full = f"{name}{sep}{prompt.get('name', '')}"
        enabled, description = _override(config, "prompts", full)
        out.append(
            {
                "name": full,
                "title": prompt.get("title"),
                "description": description
                if description is not None
                else prompt.get("description"),
                "arguments": prompt.get("arguments") or [],
                "enabled": enabled,
            }
        )
    return out


def resource_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    out = []
    for resource in hub.upstreams.state(name).resources:
        uri = resource.get("uri", "")
        enabled, description = _override(config, "resources", uri)
        out.append(
            {
                "uri": uri,
                "name": resource.get("name"),
                "description": description
                if description is not None
                else resource.get("description"),
                "mimeType": resource.get("mimeType"),
                "enabled": enabled,
            }
        )
    return out


def summary(hub: Hub, name: str, config: ServerConfig) -> dict[str, Any]:
    """MCPHub's ServerSummary; the config comes with its secrets masked."""
    state = hub.upstreams.state(name)
    return {
        "name": name,
        "status": str(state.status),
        "error": state.error,
        "tools": tool_views(hub, name, config),
        "prompts": prompt_views(hub, name, config),
        "resources": resource_views(hub, name, config),
        "createTime": int(hub.config.server_created.get(name, 0.0) * 1000),
        "enabled": config.enabled,
        "config": mask_server(config.wire(exclude_unset=True)),
    }


# --------------------------------------------------------------------- references


def rename_overrides(config: ServerConfig, old: str, new: str, sep: str) -> ServerConfig:
    """Override keys carry the server name (``server{sep}tool``): follow a rename."""
    update: dict[str, Any] = {}
    prefix = f"{old}{sep}"
    for kind in ("tools", "prompts"):
        items = getattr(config, kind)
        if items:
            update[kind] = {
                (f"{new}{sep}{k[len(prefix) :]}" if k.startswith(prefix) else k): v
                for k, v in items.items()
            }
    return config.model_copy(update=update) if update else config


def rename_separator(config: ServerConfig, name: str, old: str, new: str) -> ServerConfig | None:
    """Override keys after a nameSeparator change; None when nothing changes."""
    prefix = f"{name}{old}"
    update: dict[str, Any] = {}
    for kind in ("tools", "prompts"):
        items = getattr(config, kind)
        if items and any(k.startswith(prefix) for k in items):
            update[kind] = {
                (f"{name}{new}{k[len(prefix) :]}" if k.startswith(prefix) else k): v
                for k, v in items.items()
            }
    return config.model_copy(update=update) if update else None


async def retarget_references(live: LiveConfig, old: str, new: str | None) -> None:
    """Point groups and bearer keys at the renamed server, or drop a deleted one from them.

    A deleted server's name left in a group or a key would grant access to whatever server
    is created later under the same name.
    """
    for group in list(live.groups.values()):
        if any(s.name == old for s in group.servers):
            servers = [
                s.model_copy(update={"name": new}) if s.name == old else s
                for s in group.servers
                if s.name != old or new is not None
            ]
            await live.put_group(group.model_copy(update={"servers": servers}))
    for key in list(live.keys.values()):
        if old in key.allowed_servers:
            if new is None:
                allowed = [s for s in key.allowed_servers if s != old]
            else:
                allowed = [new if s == old else s for s in key.allowed_servers]
            await live.put_key(key.model_copy(update={"allowed_servers": allowed}))


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
