"""``/api/servers``: list, read, create (one or a batch), update or rename, delete, toggle, reload.

The API only writes configuration; the upstream manager follows the ``servers`` events on
the bus (connect, reconnect, close) and the handlers read its state for status and lists.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, ValidationError

from hub.api.api_spec import Message, Op, Param
from hub.api.base import APIHandler, pagination, validation_message
from hub.auth.access import check_config_write, find_group, owner_for, server_for, visible_servers
from hub.auth.principal import Policy, Principal
from hub.config.live import LiveConfig
from hub.config.models import ServerConfig
from hub.config.redaction import contains_mask, restore
from hub.config.store import Conflict as StoreConflict
from hub.errors import BadRequest, Conflict
from hub.services.servers import (
    maybe_await,
    rename_overrides,
    retarget_references,
    server_lock,
    summary,
)
from hub.upstream.config_check import ServerName, normalise, parse_config, same_target

log = logging.getLogger(__name__)

MAX_BATCH = 1000
KEPT_ON_UPDATE = ("tools", "prompts", "resources", "enabled", "owner")
"""Fields an update keeps from the stored config when the body leaves them out, so editing a
URL does not drop the tool toggles or re-enable a disabled server."""


# --------------------------------------------------------------------- models


class ServerBody(BaseModel):
    name: ServerName
    config: ServerConfig


class BatchBody(BaseModel):
    servers: list[ServerBody] = Field(min_length=1, max_length=MAX_BATCH)


class UpdateBody(BaseModel):
    config: ServerConfig
    newName: ServerName | None = None


class ToggleBody(BaseModel):
    enabled: StrictBool


class ToolView(BaseModel):
    name: str
    description: str | None = None
    inputSchema: dict[str, Any] = Field(default_factory=dict)
    enabled: bool


class PromptView(BaseModel):
    name: str
    title: str | None = None
    description: str | None = None
    arguments: list[dict[str, Any]] = Field(default_factory=list)
    enabled: bool


class ResourceView(BaseModel):
    uri: str
    name: str | None = None
    description: str | None = None
    mimeType: str | None = None
    enabled: bool


class ServerSummary(BaseModel):
    name: str
    status: Literal["connecting", "connected", "disconnected", "oauth_required"]
    error: str | None = None
    tools: list[ToolView]
    prompts: list[PromptView]
    resources: list[ResourceView]
    createTime: int
    enabled: bool
    config: dict[str, Any]


class Pagination(BaseModel):
    page: int
    limit: int
    total: int
    totalPages: int
    hasNextPage: bool
    hasPrevPage: bool


class ServerList(BaseModel):
    success: Literal[True]
    data: list[ServerSummary]
    pagination: Pagination | None = None


class ServerReply(BaseModel):
    success: Literal[True]
    data: ServerSummary


class BatchResult(BaseModel):
    name: str
    success: bool
    message: str | None = None


class BatchData(BaseModel):
    success: bool
    successCount: int
    failureCount: int
    results: list[BatchResult]


class BatchReply(BaseModel):
    success: bool
    message: str | None = None
    data: BatchData | None = None
    """Absent when the body itself is unusable (then it is the plain error envelope)."""


# --------------------------------------------------------------------- helpers


def check_free(live: LiveConfig, name: str) -> None:
    """409 when a server or a group already answers to ``name``.

    ``/mcp/{segment}`` tries groups before servers, so a server named like a group would be
    unreachable there (and groups refuse server names for the same reason).
    """
    if name in live.servers:
        raise Conflict(f"Server '{name}' already exists")
    if find_group(live, name) is not None:
        raise Conflict(f"The name '{name}' is already used by a group")


def _int_arg(handler: APIHandler, name: str, low: int, high: int) -> int | None:
    raw = handler.get_query_argument(name, None)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadRequest(f"Invalid {name}: must be an integer from {low} to {high}")
    return value


async def create_server(handler: APIHandler, name: str, config: ServerConfig) -> None:
    """Validate, check rights, set the owner, write; 409 if the name is taken."""
    hub, principal = handler.hub, handler.caller
    config = normalise(hub, config)
    check_config_write(principal, config)
    owner = (config.owner or owner_for(principal)) if principal.is_admin else principal.name
    config = config.model_copy(update={"owner": owner})
    async with server_lock(hub):
        check_free(hub.config, name)
        try:
            await hub.config.put_server(name, config, create=True)
        except StoreConflict as exc:
            raise Conflict(f"Server '{name}' already exists") from exc
    log.info("Server %s added by %s", name, principal.name)


def _merge_update(principal: Principal, old: ServerConfig, new: ServerConfig) -> dict[str, Any]:
    """The body's config with masked secrets restored and the kept fields carried over."""
    raw = new.wire(exclude_unset=True)
    stored = old.wire(exclude_unset=True)
    if contains_mask(raw):
        if not same_target(old, new):
            raise BadRequest(
                "Masked secret values cannot be kept when the server's url or command changes; "
                "send the values again"
            )
        raw = restore(raw, stored)
    for key in KEPT_ON_UPDATE:
        if key not in raw and key in stored:
            raw[key] = stored[key]
    if not principal.is_admin:
        raw["owner"] = principal.name
    elif not raw.get("owner"):
        raw["owner"] = stored.get("owner") or owner_for(principal)
    return raw


# --------------------------------------------------------------------- handlers


class ServersHandler(APIHandler):
    """The servers the caller may see, and creating one."""

    policy = Policy.OWNER
    docs = {
        "GET": Op(
            "List servers with status, tools, prompts and resources",
            response=ServerList,
            query=(
                Param("page", {"type": "integer", "minimum": 1}, "Page number (from 1)"),
                Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size"),
            ),
        ),
        "POST": Op("Add a server", body=ServerBody, response=Message, errors=(403, 409)),
    }

    async def get(self) -> None:
        page = _int_arg(self, "page", 1, 1_000_000) or 1
        limit = _int_arg(self, "limit", 1, 1000)
        live = self.hub.config
        names = visible_servers(live, self.caller)
        extra: dict[str, Any] = {}
        if limit is not None:
            extra["pagination"] = pagination(len(names), page, limit)
            names = names[(page - 1) * limit : page * limit]
        data = [summary(self.hub, n, live.servers[n]) for n in names]
        self.reply(data, **extra)

    async def post(self) -> None:
        body = self.body_as(ServerBody)
        await create_server(self, body.name, body.config)
        self.reply(message="Server added successfully")


class BatchHandler(APIHandler):
    """Several servers at once; each is validated and written on its own."""

    policy = Policy.OWNER
    docs = {
        "POST": Op(
            "Add several servers; 200 all added, 207 some failed, 400 none added",
            body=BatchBody,
            response=BatchReply,
            more={207: BatchReply, 400: BatchReply},
        )
    }

    async def post(self) -> None:
        data = self.json_body()
        items = data.get("servers") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise BadRequest("servers must be a non-empty array")
        if len(items) > MAX_BATCH:
            raise BadRequest(f"At most {MAX_BATCH} servers per batch")
        results: list[dict[str, Any]] = []
        for item in items:
            raw_name = item.get("name") if isinstance(item, dict) else None
            name = raw_name if isinstance(raw_name, str) else ""
            try:
                if not isinstance(item, dict):
                    raise BadRequest("Each item must be an object with name and config")
                try:
                    body = ServerBody.model_validate(item)
                except ValidationError as exc:
                    raise BadRequest(validation_message(exc)[0]) from exc
                name = body.name
                await create_server(self, body.name, body.config)
                results.append({"name": name, "success": True})
            except (BadRequest, Conflict) as exc:
                results.append({"name": name, "success": False, "message": exc.message})
            except Exception as exc:
                if getattr(exc, "status", 500) >= 500:
                    raise
                results.append({"name": name, "success": False, "message": str(exc)})
        ok = sum(1 for r in results if r["success"])
        failed = len(results) - ok
        status = 200 if not failed else 207 if ok else 400
        body_data = {
            "success": ok > 0,
            "successCount": ok,
            "failureCount": failed,
            "results": results,
        }
        message = f"{ok} of {len(results)} servers added"
        self.send_json({"success": ok > 0, "message": message, "data": body_data}, status)


class ServerHandler(APIHandler):
    """One server: read, update (optionally rename), delete."""

    policy = Policy.OWNER
    docs = {
        "GET": Op("Read one server (config with secrets masked)", response=ServerReply),
        "PUT": Op(
            "Update a server; newName renames it and its references in groups and keys",
            body=UpdateBody,
            response=Message,
            errors=(403, 409),
        ),
        "DELETE": Op("Remove a server and disconnect it", response=Message),
    }

    async def get(self, name: str) -> None:
        config = server_for(self.hub.config, self.caller, name)
        self.reply(summary(self.hub, name, config))

    async def put(self, name: str) -> None:
        body = self.body_as(UpdateBody)
        hub, principal = self.hub, self.caller
        live = hub.config
        async with server_lock(hub):
            old = server_for(live, principal, name)
            raw = _merge_update(principal, old, body.config)
            config = normalise(hub, parse_config(raw))
            check_config_write(principal, config)
            new_name = body.newName if body.newName and body.newName != name else None
            if new_name is None:
                await live.put_server(name, config)
                self.reply(message="Server updated successfully")
                return
            check_free(live, new_name)
            sep = live.system.name_separator
            config = rename_overrides(config, name, new_name, sep)
            try:
                await live.put_server(new_name, config, create=True)
            except StoreConflict as exc:
                raise Conflict(f"Server name '{new_name}' already exists") from exc
            await retarget_references(live, name, new_name)
            await live.delete_server(name)
        log.info("Server %s renamed to %s by %s", name, new_name, principal.name)
        self.reply(message="Server renamed and updated successfully")

    async def delete(self, name: str) -> None:
        live = self.hub.config
        async with server_lock(self.hub):
            server_for(live, self.caller, name)
            await live.delete_server(name)
            await retarget_references(live, name, None)
        log.info("Server %s removed by %s", name, self.caller.name)
        self.reply(message="Server removed successfully")


class ToggleHandler(APIHandler):
    """Enable or disable a server (a disabled server is disconnected)."""

    policy = Policy.OWNER
    docs = {"POST": Op("Enable or disable a server", body=ToggleBody, response=Message)}

    async def post(self, name: str) -> None:
        body = self.body_as(ToggleBody)
        live = self.hub.config
        async with server_lock(self.hub):
            config = server_for(live, self.caller, name)
            await live.put_server(name, config.model_copy(update={"enabled": body.enabled}))
        state = "enabled" if body.enabled else "disabled"
        self.reply(message=f"Server {name} {state} successfully")


class ReloadHandler(APIHandler):
    """Close and reconnect one upstream (e.g. after it was updated out of band)."""

    policy = Policy.OWNER
    docs = {"POST": Op("Reconnect a server", response=Message)}

    async def post(self, name: str) -> None:
        config = server_for(self.hub.config, self.caller, name)
        if not config.enabled:
            raise BadRequest(f"Server {name} is disabled; enable it first")
        await maybe_await(self.hub.upstreams.reload(name))
        self.reply(message=f"Server {name} reloaded successfully")


NAME = r"(?P<name>[^/]+)"

default_handlers = [
    (r"/api/servers", ServersHandler),
    (r"/api/servers/batch", BatchHandler),
    (rf"/api/servers/{NAME}", ServerHandler),
    (rf"/api/servers/{NAME}/toggle", ToggleHandler),
    (rf"/api/servers/{NAME}/reload", ReloadHandler),
]
