"""``GET /api/settings``, ``PUT /api/system-config``, ``GET /api/mcp-settings/export``.

All three are for admin *users* (not bearer keys): MCPHub left them open to any login, which
leaked hashes, client secrets and keys. Secrets are masked unless an admin asks for them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler
from hub.auth.access import require_user
from hub.auth.principal import Policy
from hub.config.redaction import mask_system
from hub.config.system import SystemConfigPatch
from hub.errors import BadRequest
from hub.services import system


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


# --------------------------------------------------------------------- handlers


class AdminUserHandler(APIHandler):
    """Admin *users* only, refused before the body is read (the services check again)."""

    policy = Policy.ADMIN

    async def prepare(self) -> None:
        await super().prepare()
        require_user(self.caller)


class SystemConfigHandler(AdminUserHandler):
    """Change system settings live; a new nameSeparator also re-keys the tool overrides."""

    docs = {
        "PUT": Op(
            "Update system config (typed partial merge); applies at once",
            body=SystemConfigPatch,
            response=SystemConfigReply,
            errors=(409,),
        )
    }

    async def put(self) -> None:
        new = await system.update_system_config(self.hub, self.caller, self.json_body())
        self.reply(mask_system(new.wire()), message="System configuration updated successfully")


# --------------------------------------------------------------------- settings, export


class SettingsHandler(AdminUserHandler):
    """Everything at a glance, with no hash, token or secret in it."""

    docs = {
        "GET": Op("Read servers, groups, system config, users and keys", response=SettingsReply)
    }

    async def get(self) -> None:
        self.reply(system.settings_overview(self.hub, self.caller))


def _flag(handler: APIHandler, name: str) -> bool:
    raw = (handler.get_query_argument(name, "") or "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise BadRequest(f"Invalid {name}: expected true or false")


class ExportHandler(AdminUserHandler):
    """``mcp_settings.json`` as the hub holds it; secrets only with ``includeSecrets=true``."""

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
        secrets = _flag(self, "includeSecrets")
        name = self.get_query_argument("serverName", None)
        self.reply(system.export_settings(self.hub, self.caller, name, secrets))


default_handlers = [
    (r"/api/settings", SettingsHandler),
    (r"/api/system-config", SystemConfigHandler),
    (r"/api/mcp-settings/export", ExportHandler),
]
