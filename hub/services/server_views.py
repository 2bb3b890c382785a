"""Servers as the API and dashboard show them: per-item views with overrides applied, and
MCPHub's ServerSummary with secrets masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.auth.access import server_for, visible_servers
from hub.auth.principal import Principal
from hub.config.models import ServerConfig
from hub.config.redaction import mask_server

if TYPE_CHECKING:
    from hub.app import Hub


def _override(config: ServerConfig, kind: str, key: str) -> tuple[bool, str | None]:
    found = (getattr(config, kind) or {}).get(key)
    if found is None:
        return True, None
    return found.enabled is not False, found.description


def tool_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    """The upstream's tools under their namespaced names, with the stored overrides applied."""
    sep = hub.config.system.name_separator
    pins = hub.tool_pins.check(name)
    held = hub.tool_pins.held(name)
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
                "approval": pins.approval(str(tool.get("name"))),
                "held": tool.get("name") in held,
            }
        )
    return out


def prompt_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    """The upstream's prompts under their namespaced names, with the stored overrides applied."""
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
    """The upstream's resources by URI, with the stored overrides applied."""
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
    extra = {"oauth": state.oauth} if state.oauth else {}
    return {
        **extra,
        "name": name,
        "status": str(state.status),
        "error": state.error,
        "tools": tool_views(hub, name, config),
        "prompts": prompt_views(hub, name, config),
        "resources": resource_views(hub, name, config),
        "createTime": int(hub.config.server_created.get(name, 0.0) * 1000),
        "enabled": config.enabled,
        "config": mask_server(config.wire(exclude_unset=True)),
        "toolChanges": changed_tools(hub, name),
    }


def changed_tools(hub: Hub, name: str) -> list[str]:
    """Namespaced names of the server's tools whose definition changed since approved."""
    sep = hub.config.system.name_separator
    return [f"{name}{sep}{tool}" for tool in sorted(hub.tool_pins.check(name).changed)]


def visible_names(hub: Hub, principal: Principal) -> list[str]:
    """The servers ``principal`` may see, in configuration order."""
    return visible_servers(hub.config, principal)


def get_summary(hub: Hub, principal: Principal, name: str) -> dict[str, Any]:
    """One server's summary; 404 when the principal may not see it."""
    return summary(hub, name, server_for(hub.config, principal, name))
