"""``/api/groups``: named sets of servers with per-server selections; ``:ref`` is a group id
or name. Thin handlers: the rules (ownership, visible members, unique names, keys following
renames) are in ``hub.services.groups``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.config.models import GroupServer
from hub.errors import BadRequest
from hub.services import Body, groups
from hub.services.groups import MAX_BATCH, GroupUpdate, NewGroup, normalise_members


class BatchBody(Body):
    groups: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class ServersBody(Body):
    servers: list[GroupServer]

    _servers = field_validator("servers", mode="before")(normalise_members)


class AddServerBody(Body):
    server_name: str = Field(min_length=1)


class GroupHandlerBase(APIHandler):
    """Owner policy: everyone authenticated, limited to their own groups (by the service)."""

    policy = Policy.OWNER


class GroupsHandler(GroupHandlerBase):
    docs = {
        "GET": Op("List your groups (all groups for admins)"),
        "POST": Op("Create a group", body=NewGroup, status=201, errors=(409,)),
    }

    async def get(self) -> None:
        self.reply([g.wire() for g in groups.list_groups(self.hub, self.caller)])

    async def post(self) -> None:
        group = await groups.create_group(self.hub, self.caller, self.body_as(NewGroup))
        self.reply(group.wire(), "Group created", status=201)


class BatchResult(BaseModel):
    name: str
    success: bool
    id: str | None = None
    message: str | None = None


class GroupBatchReply(BaseModel):
    """MCPHub's group batch answer (top level, not enveloped); a plain error envelope when
    the body itself is unusable."""

    success: bool
    successCount: int | None = None  # MCPHub's wire name
    failureCount: int | None = None  # MCPHub's wire name
    results: list[BatchResult] | None = None
    message: str | None = None
    errors: list[Any] | None = None


class GroupBatchHandler(GroupHandlerBase):
    """Per-item results; 207 when some fail, 400 when all do."""

    docs = {
        "POST": Op(
            "Create several groups; 200 all, 207 some, 400 none",
            body=BatchBody,
            response=GroupBatchReply,
            more={207: GroupBatchReply, 400: GroupBatchReply},
        )
    }

    async def post(self) -> None:
        body = self.body_as(BatchBody)
        results = await groups.create_groups(self.hub, self.caller, body.groups)
        ok = sum(1 for r in results if r["success"])
        failed = len(results) - ok
        status = 200 if not failed else 207 if ok else 400
        self.send_json(
            {"success": ok > 0, "successCount": ok, "failureCount": failed, "results": results},
            status,
        )


class GroupHandler(GroupHandlerBase):
    docs = {
        "GET": Op("Read a group by id or name"),
        "PUT": Op("Change a group's name, description or servers", body=GroupUpdate, errors=(409,)),
        "DELETE": Op("Delete a group"),
    }

    async def get(self, ref: str) -> None:
        self.reply(groups.get_group(self.hub, self.caller, ref).wire())

    async def put(self, ref: str) -> None:
        body = self.body_as(GroupUpdate)
        group = await groups.update_group(self.hub, self.caller, ref, body)
        self.reply(group.wire(), "Group updated")

    async def delete(self, ref: str) -> None:
        await groups.delete_group(self.hub, self.caller, ref)
        self.reply(message="Group deleted")


class GroupServersHandler(GroupHandlerBase):
    docs = {
        "GET": Op("Names of the group's servers"),
        "POST": Op("Add a server to the group", body=AddServerBody),
    }

    async def get(self, ref: str) -> None:
        self.reply([s.name for s in groups.get_group(self.hub, self.caller, ref).servers])

    async def post(self, ref: str) -> None:
        name = self.body_as(AddServerBody).server_name
        group, added = await groups.add_server(self.hub, self.caller, ref, name)
        self.reply(group.wire(), "Server added to group" if added else "Server already in group")


class GroupServerHandler(GroupHandlerBase):
    docs = {"DELETE": Op("Remove a server from the group")}

    async def delete(self, ref: str, name: str) -> None:
        group = await groups.remove_server(self.hub, self.caller, ref, name)
        self.reply(group.wire(), "Server removed from group")


class GroupServersBatchHandler(GroupHandlerBase):
    """Replace the whole server list (names or selection objects)."""

    docs = {"PUT": Op("Replace the group's servers and selections", body=ServersBody)}

    async def put(self, ref: str) -> None:
        servers = self.body_as(ServersBody).servers
        group = await groups.set_servers(self.hub, self.caller, ref, servers)
        self.reply(group.wire(), "Group servers updated")


class GroupServerConfigsHandler(GroupHandlerBase):
    docs = {"GET": Op("The group's servers with their selections")}

    async def get(self, ref: str) -> None:
        self.reply([s.wire() for s in groups.get_group(self.hub, self.caller, ref).servers])


class GroupServerConfigHandler(GroupHandlerBase):
    docs = {"GET": Op("One server of the group with its selections")}

    async def get(self, ref: str, name: str) -> None:
        self.reply(groups.get_member(self.hub, self.caller, ref, name).wire())


class GroupSelectionHandler(GroupHandlerBase):
    """``PUT …/server-configs/:server/{tools|prompts|resources}`` with ``'all'`` or a name list."""

    docs = {"PUT": Op("Set the selection: 'all' or a list of upstream names")}

    async def put(self, ref: str, name: str, kind: str) -> None:
        data = self.json_body()
        if not isinstance(data, dict) or kind not in data:
            raise BadRequest(f'Body must be {{"{kind}": "all" | [names]}}')
        member = await groups.set_selection(self.hub, self.caller, ref, name, kind, data[kind])
        self.reply(member.wire(), f"Group {kind} selection updated")


GROUP = r"/api/groups/(?P<ref>[^/]+)"
SERVER = r"(?P<name>[^/]+)"

default_handlers = [
    (r"/api/groups", GroupsHandler),
    (r"/api/groups/batch", GroupBatchHandler),
    (GROUP, GroupHandler),
    (rf"{GROUP}/servers", GroupServersHandler),
    (rf"{GROUP}/servers/batch", GroupServersBatchHandler),
    (rf"{GROUP}/servers/{SERVER}", GroupServerHandler),
    (rf"{GROUP}/server-configs", GroupServerConfigsHandler),
    (rf"{GROUP}/server-configs/{SERVER}", GroupServerConfigHandler),
    (rf"{GROUP}/server-configs/{SERVER}/(?P<kind>tools|prompts|resources)", GroupSelectionHandler),
]
