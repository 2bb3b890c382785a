"""``/api/servers``: list, read, create (one or a batch), update or rename, delete, toggle, reload.

Thin handlers: the rules (normalisation, rights, owners, renames) are in
``hub.services.servers``; the views in ``hub.services.server_views``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from hub.api.api_spec import Message, Op, Param
from hub.api.base import APIHandler, pagination
from hub.auth.principal import Policy
from hub.config.models import ServerConfig
from hub.config.names import shown
from hub.errors import BadRequest
from hub.services import server_views, servers
from hub.services.servers import MAX_BATCH, ServerBody
from hub.upstream.config_check import ServerName

# --------------------------------------------------------------------- models


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
    approval: Literal["approved", "changed", "unapproved"] = Field(
        "approved",
        description="The definition against its pin: as approved, changed since, or never "
        "approved (hub.upstream.pins).",
    )
    held: bool = Field(False, description="Hidden and refused until an admin approves it.")


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


class OAuthPending(BaseModel):
    """While ``oauth_required``: where a person authorizes the hub (never the PKCE verifier)."""

    authorizationUrl: str
    state: str


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
    oauth: OAuthPending | None = None
    toolChanges: list[str] = Field(
        default_factory=list,
        description="Tools whose definition changed since it was approved (namespaced).",
    )


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
        names = server_views.visible_names(self.hub, self.caller)
        extra: dict[str, Any] = {}
        if limit is not None:
            extra["pagination"] = pagination(len(names), page, limit)
            names = names[(page - 1) * limit : page * limit]
        live = self.hub.config
        self.reply([server_views.summary(self.hub, n, live.servers[n]) for n in names], **extra)

    async def post(self) -> None:
        body = self.body_as(ServerBody)
        await servers.create_server(self.hub, self.caller, body.name, body.config)
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
        results = await servers.create_servers(self.hub, self.caller, items)
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
        self.reply(server_views.get_summary(self.hub, self.caller, name))

    async def put(self, name: str) -> None:
        body = self.body_as(UpdateBody)
        now = await servers.update_server(self.hub, self.caller, name, body.config, body.newName)
        if now == name:
            self.reply(message="Server updated successfully")
        else:
            self.reply(message="Server renamed and updated successfully")

    async def delete(self, name: str) -> None:
        await servers.delete_server(self.hub, self.caller, name)
        self.reply(message="Server removed successfully")


class ToggleHandler(APIHandler):
    """Enable or disable a server (a disabled server is disconnected)."""

    policy = Policy.OWNER
    docs = {
        "POST": Op(
            "Enable or disable a server (enabling one that runs a command needs an admin login "
            "or a key marked allowHostExecution)",
            body=ToggleBody,
            response=Message,
            errors=(403,),
        )
    }

    async def post(self, name: str) -> None:
        body = self.body_as(ToggleBody)
        await servers.toggle_server(self.hub, self.caller, name, body.enabled)
        state = "enabled" if body.enabled else "disabled"
        self.reply(message=f"Server {shown(name)} {state} successfully")


class ReloadHandler(APIHandler):
    """Close and reconnect one upstream (e.g. after it was updated out of band)."""

    policy = Policy.OWNER
    docs = {"POST": Op("Reconnect a server", response=Message)}

    async def post(self, name: str) -> None:
        await servers.reload_server(self.hub, self.caller, name)
        self.reply(message=f"Server {shown(name)} reloaded successfully")


NAME = r"(?P<name>[^/]+)"

default_handlers = [
    (r"/api/servers", ServersHandler),
    (r"/api/servers/batch", BatchHandler),
    (rf"/api/servers/{NAME}", ServerHandler),
    (rf"/api/servers/{NAME}/toggle", ToggleHandler),
    (rf"/api/servers/{NAME}/reload", ReloadHandler),
]
