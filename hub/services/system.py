"""System configuration: the typed partial merge of ``systemConfig``, the settings overview
and the ``mcp_settings.json`` export.

All three are for admin *users* (not bearer keys): MCPHub left them open to any login, which
leaked hashes, client secrets and keys. Secrets are masked unless an admin asks for them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from hub.auth.access import require_admin, require_user, server_for
from hub.auth.principal import Principal
from hub.config.models import Model
from hub.config.names import ambiguous_pairs, shown
from hub.config.redaction import mask_export, mask_server, mask_system, restore
from hub.config.system import SystemConfig, parse_size
from hub.errors import BadRequest, Conflict, validation_message
from hub.services.servers import rename_separator

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

LEGACY_KEYS = ("openaiApiKey", "modelName", "temperature", "maxTokens")
MIN_BODY_LIMIT = 1024
"""A smaller ``jsonBodyLimit`` would lock everyone out of the API, login included."""


def require_admin_user(principal: Principal) -> None:
    """Settings hold every secret of the hub: an admin login, never a key."""
    require_admin(principal)
    require_user(principal)


# --------------------------------------------------------------------- system config


def unknown_keys(model: type[BaseModel], data: dict[str, Any], path: str = "") -> list[str]:
    """Keys of ``data`` that ``model`` (and its nested models) does not declare."""
    fields: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        fields[name] = info
        if info.alias:
            fields[info.alias] = info
    out = []
    for key, value in data.items():
        found = fields.get(key)
        if found is None:
            out.append(f"{path}{key}")
            continue
        sub = found.annotation
        if isinstance(value, dict) and isinstance(sub, type) and issubclass(sub, Model):
            out.extend(unknown_keys(sub, value, f"{path}{key}."))
    return out


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` onto ``base``, nested objects merged key by key."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def merge_system(current: SystemConfig, patch: Any) -> SystemConfig:
    """A typed partial merge of ``patch`` onto ``current``; 400 on anything unknown or invalid."""
    if not isinstance(patch, dict):
        raise BadRequest("Request body must be a JSON object")
    legacy = [k for k in LEGACY_KEYS if k in patch]
    if legacy:
        raise BadRequest(
            f"The legacy keys {', '.join(legacy)} are no longer accepted; "
            "set smartRouting.* instead"
        )
    if not patch:
        raise BadRequest("Invalid system configuration provided")
    unknown = unknown_keys(SystemConfig, patch)
    if unknown:
        raise BadRequest(f"Unknown system config key(s): {', '.join(unknown)}", unknown=unknown)
    stored = current.wire()
    merged = deep_merge(stored, restore(patch, stored))
    try:
        result = SystemConfig.model_validate(merged)
    except ValidationError as exc:
        message, errors = validation_message(exc)
        raise BadRequest(
            message.replace("Invalid request body", "Invalid system config"), errors=errors
        ) from exc
    try:
        limit = parse_size(result.routing.json_body_limit)
    except (ValueError, OverflowError) as exc:
        raise BadRequest("Invalid system config: routing.jsonBodyLimit is not a size") from exc
    if limit < MIN_BODY_LIMIT:
        raise BadRequest("Invalid system config: routing.jsonBodyLimit must be at least 1kb")
    return result


async def update_system_config(hub: Hub, principal: Principal, patch: Any) -> SystemConfig:
    """Merge ``patch`` (camelCase JSON) into the live system config; applies at once.

    A new nameSeparator also re-keys every server's tool and prompt overrides, under the
    server lock, so no toggle is lost to the rename.
    """
    require_admin_user(principal)
    live = hub.config
    async with hub.server_lock:
        old = live.system
        new = merge_system(old, patch)
        if new.smart_routing != old.smart_routing:
            hub.smart.check(new.smart_routing)
        if new.name_separator != old.name_separator:
            clash = ambiguous_pairs(live.servers, new.name_separator)
            if clash:
                short, long = clash[0]
                sep = new.name_separator
                raise Conflict(
                    f"Name separator '{sep}' would make the servers '{shown(short)}' and "
                    f"'{shown(long)}' ambiguous ('{shown(long)}{sep}x' could be a tool of "
                    "either); rename one of them first"
                )
        await live.put_system(new)
        if new.name_separator != old.name_separator:
            for name, config in list(live.servers.items()):
                moved = rename_separator(config, name, old.name_separator, new.name_separator)
                if moved is not None:
                    await live.put_server(name, moved)
    log.info("System config updated by %s", principal.name)
    return new


# --------------------------------------------------------------------- settings, export


def _without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


def settings_overview(hub: Hub, principal: Principal) -> dict[str, Any]:
    """Everything at a glance, with no hash, token or secret in it."""
    require_admin_user(principal)
    live = hub.config
    servers = {n: mask_server(c.wire(exclude_unset=True)) for n, c in live.servers.items()}
    return {
        "mcpServers": servers,
        "servers": [
            {
                "name": n,
                "status": str(hub.upstreams.state(n).status),
                "enabled": live.servers[n].enabled,
                "config": cfg,
            }
            for n, cfg in servers.items()
        ],
        "groups": [g.wire() for g in live.groups.values()],
        "systemConfig": mask_system(live.system.wire()),
        "users": [_without(u.wire(), "password", "tokenVersion") for u in live.users.values()],
        "bearerKeys": [_without(k.wire(), "token", "tokenHash") for k in live.keys.values()],
        "prompts": [p.wire() for p in live.prompts.values()],
        "resources": [r.wire() for r in live.resources.values()],
    }


def export_settings(
    hub: Hub, principal: Principal, server: str | None = None, include_secrets: bool = False
) -> dict[str, Any]:
    """``mcp_settings.json`` as the hub holds it (or one server of it); masked by default."""
    require_admin_user(principal)
    live = hub.config
    if server:
        config = server_for(live, principal, server).wire(exclude_unset=True)
        return {"mcpServers": {server: config if include_secrets else mask_server(config)}}
    doc = live.export_settings()
    if include_secrets:
        log.warning("Settings exported with secrets by %s", principal.name)
    return doc if include_secrets else mask_export(doc)
