"""``GET /api/settings``, ``PUT /api/system-config``, ``GET /api/mcp-settings/export``.

All three are for admin *users* (not bearer keys): MCPHub left them open to any login, which
leaked hashes, client secrets and keys. Secrets are masked unless an admin asks for them.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler, validation_message
from hub.auth.access import require_user, server_for
from hub.auth.principal import Policy
from hub.config.models import (
    EgressConfig,
    EnvExpansionConfig,
    InstallConfig,
    McpRouterConfig,
    Model,
    OAuthServerConfig,
    RoutingConfig,
    SmartRoutingConfig,
    SystemConfig,
    UpstreamConfig,
    parse_size,
)
from hub.config.redaction import mask_export, mask_server, mask_system, restore
from hub.errors import BadRequest
from hub.services.servers import rename_separator, server_lock

log = logging.getLogger(__name__)

LEGACY_KEYS = ("openaiApiKey", "modelName", "temperature", "maxTokens")
MIN_BODY_LIMIT = 1024
"""A smaller ``jsonBodyLimit`` would lock everyone out of the API, login included."""


class SystemConfigPatch(BaseModel):
    """Any subset of systemConfig; each section is merged field by field."""

    model_config = ConfigDict(extra="forbid")

    routing: RoutingConfig | None = None
    install: InstallConfig | None = None
    smartRouting: SmartRoutingConfig | None = None
    mcpRouter: McpRouterConfig | None = None
    nameSeparator: Annotated[str, Field(min_length=1, max_length=8)] | None = None
    enableSessionRebuild: bool | None = None
    oauthServer: OAuthServerConfig | None = None
    envExpansion: EnvExpansionConfig | None = None
    upstreams: UpstreamConfig | None = None
    egress: EgressConfig | None = None


class SettingsData(BaseModel):
    mcpServers: dict[str, dict[str, Any]]
    servers: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    systemConfig: dict[str, Any]
    users: list[dict[str, Any]]
    bearerKeys: list[dict[str, Any]]
    prompts: list[dict[str, Any]]
    resources: list[dict[str, Any]]


class SettingsReply(BaseModel):
    success: Literal[True]
    data: SettingsData


class SystemConfigReply(BaseModel):
    success: Literal[True]
    message: str
    data: dict[str, Any]


class ExportReply(BaseModel):
    success: Literal[True]
    data: dict[str, Any]


# --------------------------------------------------------------------- system config


def unknown_keys(model: type[BaseModel], data: dict[str, Any], path: str = "") -> list[str]:
    """Keys of ``data`` that ``model`` (and its nested models) does not declare."""
    fields = {}
    for name, info in model.model_fields.items():
        fields[name] = info
        if info.alias:
            fields[info.alias] = info
    out = []
    for key, value in data.items():
        info = fields.get(key)
        if info is None:
            out.append(f"{path}{key}")
            continue
        sub = info.annotation
        if isinstance(value, dict) and isinstance(sub, type) and issubclass(sub, Model):
            out.extend(unknown_keys(sub, value, f"{path}{key}."))
    return out


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
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


class SystemConfigHandler(APIHandler):
    """Change system settings live; a new nameSeparator also re-keys the tool overrides."""

    policy = Policy.ADMIN
    docs = {
        "PUT": Op(
            "Update system config (typed partial merge); applies at once",
            body=SystemConfigPatch,
            response=SystemConfigReply,
        )
    }

    async def put(self) -> None:
        require_user(self.caller)
        patch = self.json_body()
        live = self.hub.config
        async with server_lock(self.hub):
            old = live.system
            new = merge_system(old, patch)
            await live.put_system(new)
            if new.name_separator != old.name_separator:
                for name, config in list(live.servers.items()):
                    moved = rename_separator(config, name, old.name_separator, new.name_separator)
                    if moved is not None:
                        await live.put_server(name, moved)
        log.info("System config updated by %s", self.caller.name)
        self.reply(mask_system(new.wire()), message="System configuration updated successfully")


# --------------------------------------------------------------------- settings, export


def _without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


class SettingsHandler(APIHandler):
    """Everything at a glance, with no hash, token or secret in it."""

    policy = Policy.ADMIN
    docs = {
        "GET": Op("Read servers, groups, system config, users and keys", response=SettingsReply)
    }

    async def get(self) -> None:
        require_user(self.caller)
        live = self.hub.config
        servers = {n: mask_server(c.wire(exclude_unset=True)) for n, c in live.servers.items()}
        data = {
            "mcpServers": servers,
            "servers": [
                {
                    "name": n,
                    "status": str(self.hub.upstreams.state(n).status),
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
        self.reply(data)


def _flag(handler: APIHandler, name: str) -> bool:
    raw = (handler.get_query_argument(name, "") or "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise BadRequest(f"Invalid {name}: expected true or false")


class ExportHandler(APIHandler):
    """``mcp_settings.json`` as the hub holds it; secrets only with ``includeSecrets=true``."""

    policy = Policy.ADMIN
    docs = {
        "GET": Op(
            "Export settings (one server with serverName); secrets masked by default",
            response=ExportReply,
            query=(
                Param("serverName", {"type": "string"}, "Export only this server"),
                Param("includeSecrets", {"type": "boolean"}, "Unmasked secrets and hashes"),
            ),
            errors=(404,),
        )
    }

    async def get(self) -> None:
        require_user(self.caller)
        secrets = _flag(self, "includeSecrets")
        live = self.hub.config
        name = self.get_query_argument("serverName", None)
        if name:
            config = server_for(live, self.caller, name).wire(exclude_unset=True)
            self.reply({"mcpServers": {name: config if secrets else mask_server(config)}})
            return
        doc = live.export_settings()
        if secrets:
            log.warning("Settings exported with secrets by %s", self.caller.name)
        self.reply(doc if secrets else mask_export(doc))


default_handlers = [
    (r"/api/settings", SettingsHandler),
    (r"/api/system-config", SystemConfigHandler),
    (r"/api/mcp-settings/export", ExportHandler),
]
