"""Groups: named sets of servers with per-server selections of tools, prompts and resources.

``:id`` is a group id or name. A normal user sees and changes only groups they own and
puts only servers they may see in them; anything else is "not found" (groups) or an unknown
server (400), never a hint that it exists. Every write goes through ``LiveConfig.put_group``,
which publishes on the bus so MCP sessions of that group re-list.
"""

from __future__ import annotations

import collections
import logging
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from hub.api.api_spec import Op
from hub.api.base import APIHandler, validation_message
from hub.auth.access import (
    check_group_name,
    check_servers_visible,
    group_for,
    owner_for,
    visible_groups,
)
from hub.auth.principal import Policy
from hub.config.models import Group, GroupServer, Selection
from hub.errors import BadRequest, HubError, NotFound

if TYPE_CHECKING:
    from hub.config.live import LiveConfig

log = logging.getLogger(__name__)

GROUP_NAME = r"^[^/\s$][^/]{0,127}$"
"""Names appear in ``/mcp/{name}``: no slashes, no leading blank, no ``$`` (``$smart``)."""

SELECTION: TypeAdapter[Any] = TypeAdapter(Selection)


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def _normalise(value: Any) -> Any:
    # MCPHub accepts plain server names as well as selection objects.
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class GroupFields(Body):
    description: str | None = Field(None, max_length=2000)
    servers: list[GroupServer] | None = None

    _servers = field_validator("servers", mode="before")(_normalise)


class NewGroup(GroupFields):
    name: str = Field(pattern=GROUP_NAME)


class GroupUpdate(GroupFields):
    name: str | None = Field(None, pattern=GROUP_NAME)


class BatchBody(Body):
    groups: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ServersBody(Body):
    servers: list[GroupServer]

    _servers = field_validator("servers", mode="before")(_normalise)


class AddServerBody(Body):
    server_name: str = Field(min_length=1)


async def retarget_keys(live: LiveConfig, group: Group, new_name: str | None) -> None:
    """Follow a renamed group in keys' allowedGroups, or drop a deleted one: a stale name
    would open whatever group is created later under it."""
    for key in list(live.keys.values()):
        if group.id not in key.allowed_groups and group.name not in key.allowed_groups:
            continue
        allowed = [
            new_name if ref == group.name else ref
            for ref in key.allowed_groups
            if new_name is not None or ref not in (group.id, group.name)
        ]
        await live.put_key(key.model_copy(update={"allowed_groups": allowed}))


class GroupHandlerBase(APIHandler):
    """Owner policy: everyone authenticated, limited to their own groups."""

    policy = Policy.OWNER

    def group(self, ref: str) -> Group:
        return group_for(self.hub.config, self.caller, ref)

    def check_members(self, servers: list[GroupServer]) -> None:
        names = [s.name for s in servers]
        dupes = sorted(n for n, count in collections.Counter(names).items() if count > 1)
        if dupes:
            raise BadRequest(f"Server listed more than once: {', '.join(dupes)}")
        check_servers_visible(self.hub.config, self.caller, names)

    def check_name_free(self, name: str, group_id: str | None = None) -> None:
        check_group_name(self.hub.config, name, group_id)

    async def save(self, group: Group, *, create: bool = False) -> dict[str, Any]:
        await self.hub.config.put_group(group, create=create)
        return group.wire()

    async def create(self, body: NewGroup) -> Group:
        self.check_name_free(body.name)
        servers = body.servers or []
        self.check_members(servers)
        group = Group(
            id=str(uuid.uuid4()),
            name=body.name,
            description=body.description,
            servers=servers,
            owner=owner_for(self.caller),
        )
        await self.save(group, create=True)
        log.info("Group %s (%s) created by %s", group.name, group.id, self.caller.name)
        return group


class GroupsHandler(GroupHandlerBase):
    docs = {
        "GET": Op("List your groups (all groups for admins)"),
        "POST": Op("Create a group", body=NewGroup, status=201, errors=(409,)),
    }

    async def get(self) -> None:
        self.reply([g.wire() for g in visible_groups(self.hub.config, self.caller)])

    async def post(self) -> None:
        group = await self.create(self.body_as(NewGroup))
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
        results: list[dict[str, Any]] = []
        for raw in body.groups:
            name = str(raw.get("name", "")) if isinstance(raw, dict) else ""
            try:
                group = await self.create(NewGroup.model_validate(raw))
                results.append({"name": group.name, "success": True, "id": group.id})
            except ValidationError as exc:
                results.append(
                    {"name": name, "success": False, "message": validation_message(exc)[0]}
                )
            except HubError as exc:
                results.append({"name": name, "success": False, "message": exc.message})
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
        self.reply(self.group(ref).wire())

    async def put(self, ref: str) -> None:
        group = self.group(ref)
        body = self.body_as(GroupUpdate)
        update = {
            k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None
        }
        if not update:
            raise BadRequest("Nothing to update: give name, description or servers")
        if "name" in update:
            self.check_name_free(update["name"], group.id)
        if "servers" in update:
            self.check_members(update["servers"])
        if "name" in update and update["name"] != group.name:
            await retarget_keys(self.hub.config, group, update["name"])
        group = group.model_copy(update=update)
        self.reply(await self.save(group), "Group updated")

    async def delete(self, ref: str) -> None:
        group = self.group(ref)
        await self.hub.config.delete_group(group.id)
        await retarget_keys(self.hub.config, group, None)
        log.info("Group %s (%s) deleted by %s", group.name, group.id, self.caller.name)
        self.reply(message="Group deleted")


class GroupServersHandler(GroupHandlerBase):
    docs = {
        "GET": Op("Names of the group's servers"),
        "POST": Op("Add a server to the group", body=AddServerBody),
    }

    async def get(self, ref: str) -> None:
        self.reply([s.name for s in self.group(ref).servers])

    async def post(self, ref: str) -> None:
        group = self.group(ref)
        name = self.body_as(AddServerBody).server_name
        check_servers_visible(self.hub.config, self.caller, [name])
        if any(s.name == name for s in group.servers):
            self.reply(group.wire(), "Server already in group")
            return
        group = group.model_copy(update={"servers": [*group.servers, GroupServer(name=name)]})
        self.reply(await self.save(group), "Server added to group")


class GroupServerHandler(GroupHandlerBase):
    docs = {"DELETE": Op("Remove a server from the group")}

    async def delete(self, ref: str, name: str) -> None:
        group = self.group(ref)
        if not any(s.name == name for s in group.servers):
            raise NotFound("Server not found in group")
        group = group.model_copy(update={"servers": [s for s in group.servers if s.name != name]})
        self.reply(await self.save(group), "Server removed from group")


class GroupServersBatchHandler(GroupHandlerBase):
    """Replace the whole server list (names or selection objects)."""

    docs = {"PUT": Op("Replace the group's servers and selections", body=ServersBody)}

    async def put(self, ref: str) -> None:
        group = self.group(ref)
        servers = self.body_as(ServersBody).servers
        self.check_members(servers)
        group = group.model_copy(update={"servers": servers})
        self.reply(await self.save(group), "Group servers updated")


class GroupServerConfigsHandler(GroupHandlerBase):
    docs = {"GET": Op("The group's servers with their selections")}

    async def get(self, ref: str) -> None:
        self.reply([s.wire() for s in self.group(ref).servers])


class GroupServerConfigHandler(GroupHandlerBase):
    docs = {"GET": Op("One server of the group with its selections")}

    async def get(self, ref: str, name: str) -> None:
        member = next((s for s in self.group(ref).servers if s.name == name), None)
        if member is None:
            raise NotFound("Server not found in group")
        self.reply(member.wire())


class GroupSelectionHandler(GroupHandlerBase):
    """``PUT …/server-configs/:server/{tools|prompts|resources}`` with ``'all'`` or a name list."""

    docs = {"PUT": Op("Set the selection: 'all' or a list of upstream names")}

    async def put(self, ref: str, name: str, kind: str) -> None:
        group = self.group(ref)
        index = next((i for i, s in enumerate(group.servers) if s.name == name), None)
        if index is None:
            raise NotFound("Server not found in group")
        data = self.json_body()
        if not isinstance(data, dict) or kind not in data:
            raise BadRequest(f'Body must be {{"{kind}": "all" | [names]}}')
        try:
            selection = SELECTION.validate_python(data[kind])
        except ValidationError as exc:
            raise BadRequest(f"{kind} must be 'all' or a list of names") from exc
        if isinstance(selection, list):
            selection = list(dict.fromkeys(s for s in selection if s))
        servers = list(group.servers)
        servers[index] = servers[index].model_copy(update={kind: selection})
        group = group.model_copy(update={"servers": servers})
        await self.save(group)
        self.reply(servers[index].wire(), f"Group {kind} selection updated")


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
