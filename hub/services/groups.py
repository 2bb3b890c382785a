"""Groups: named sets of servers with per-server selections of tools, prompts and resources.

A group is found by id or name. A normal user sees and changes only the groups they own
and puts only servers they may see in them; anything else is "not found" (groups) or an
unknown server (400), never a hint that it exists. Every write goes through
``LiveConfig.put_group``, which publishes on the bus so MCP sessions of that group re-list.
"""

from __future__ import annotations

import collections
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from hub.auth.access import (
    check_group_name,
    check_servers_visible,
    group_for,
    owner_for,
    visible_groups,
)
from hub.auth.principal import Principal
from hub.config.models import Group, GroupServer, Selection
from hub.errors import BadRequest, HubError, NotFound, validation_message
from hub.services import Body

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.live import LiveConfig

log = logging.getLogger(__name__)

GROUP_NAME = r"^[^/\s$][^/]{0,127}$"
"""Names appear in ``/mcp/{name}``: no slashes, no leading blank, no ``$`` (``$smart``)."""
MAX_BATCH = 1000
SELECTION_KINDS = ("tools", "prompts", "resources")
SELECTION: TypeAdapter[Any] = TypeAdapter(Selection)


def normalise_members(value: Any) -> Any:
    """MCPHub accepts plain server names as well as selection objects."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class GroupFields(Body):
    """What a group's description and member list may be."""

    description: str | None = Field(None, max_length=2000)
    servers: list[GroupServer] | None = None

    _servers = field_validator("servers", mode="before")(normalise_members)


class NewGroup(GroupFields):
    """A group to create."""

    name: str = Field(pattern=GROUP_NAME)


class GroupUpdate(GroupFields):
    """The fields of a group to change; those left out stay as they are."""

    name: str | None = Field(None, pattern=GROUP_NAME)


# --------------------------------------------------------------------- rules


def check_members(hub: Hub, principal: Principal, servers: Sequence[GroupServer]) -> None:
    """400 for a server listed twice, or one the principal may not see (or that is missing)."""
    names = [s.name for s in servers]
    dupes = sorted(n for n, count in collections.Counter(names).items() if count > 1)
    if dupes:
        raise BadRequest(f"Server listed more than once: {', '.join(dupes)}")
    check_servers_visible(hub.config, principal, names)


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


def _member_index(group: Group, server: str) -> int:
    index = next((i for i, s in enumerate(group.servers) if s.name == server), None)
    if index is None:
        raise NotFound("Server not found in group")
    return index


# --------------------------------------------------------------------- reads


def list_groups(hub: Hub, principal: Principal) -> list[Group]:
    """The groups ``principal`` may see (all of them for admins)."""
    return visible_groups(hub.config, principal)


def get_group(hub: Hub, principal: Principal, ref: str) -> Group:
    """A group by id or name; 404 when the principal may not see it."""
    return group_for(hub.config, principal, ref)


def get_member(hub: Hub, principal: Principal, ref: str, server: str) -> GroupServer:
    """One server of a group with its selections."""
    group = get_group(hub, principal, ref)
    return group.servers[_member_index(group, server)]


# --------------------------------------------------------------------- writes


async def create_group(hub: Hub, principal: Principal, body: NewGroup) -> Group:
    """A new group owned by the caller; its name must not be a group's or a server's."""
    check_group_name(hub.config, body.name)
    servers = body.servers or []
    check_members(hub, principal, servers)
    group = Group(
        id=str(uuid.uuid4()),
        name=body.name,
        description=body.description,
        servers=servers,
        owner=owner_for(principal),
    )
    await hub.config.put_group(group, create=True)
    log.info("Group %s (%s) created by %s", group.name, group.id, principal.name)
    return group


async def create_groups(
    hub: Hub, principal: Principal, items: Sequence[Any]
) -> list[dict[str, Any]]:
    """Create each raw item on its own; one ``{name, success, id | message}`` per item."""
    if len(items) > MAX_BATCH:
        raise BadRequest(f"At most {MAX_BATCH} groups per batch")
    results: list[dict[str, Any]] = []
    for raw in items:
        name = str(raw.get("name", "")) if isinstance(raw, dict) else ""
        try:
            group = await create_group(hub, principal, NewGroup.model_validate(raw))
            results.append({"name": group.name, "success": True, "id": group.id})
        except ValidationError as exc:
            results.append({"name": name, "success": False, "message": validation_message(exc)[0]})
        except HubError as exc:
            results.append({"name": name, "success": False, "message": exc.message})
    return results


async def update_group(hub: Hub, principal: Principal, ref: str, body: GroupUpdate) -> Group:
    """Change the fields the body sets; a rename is followed by the bearer keys."""
    group = get_group(hub, principal, ref)
    update = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    if not update:
        raise BadRequest("Nothing to update: give name, description or servers")
    if "name" in update:
        check_group_name(hub.config, update["name"], group.id)
    if "servers" in update:
        check_members(hub, principal, update["servers"])
    if "name" in update and update["name"] != group.name:
        await retarget_keys(hub.config, group, update["name"])
    group = group.model_copy(update=update)
    await hub.config.put_group(group)
    return group


async def delete_group(hub: Hub, principal: Principal, ref: str) -> None:
    """Delete a group and drop it from the bearer keys that named it."""
    group = get_group(hub, principal, ref)
    await hub.config.delete_group(group.id)
    await retarget_keys(hub.config, group, None)
    log.info("Group %s (%s) deleted by %s", group.name, group.id, principal.name)


async def add_server(hub: Hub, principal: Principal, ref: str, server: str) -> tuple[Group, bool]:
    """Add ``server`` with everything selected; returns the group and whether it was added."""
    group = get_group(hub, principal, ref)
    check_servers_visible(hub.config, principal, [server])
    if any(s.name == server for s in group.servers):
        return group, False
    group = group.model_copy(update={"servers": [*group.servers, GroupServer(name=server)]})
    await hub.config.put_group(group)
    return group, True


async def remove_server(hub: Hub, principal: Principal, ref: str, server: str) -> Group:
    """Take ``server`` out of the group; 404 when it is not in it."""
    group = get_group(hub, principal, ref)
    _member_index(group, server)
    group = group.model_copy(update={"servers": [s for s in group.servers if s.name != server]})
    await hub.config.put_group(group)
    return group


async def set_servers(
    hub: Hub, principal: Principal, ref: str, servers: Sequence[GroupServer]
) -> Group:
    """Replace the whole member list, selections included."""
    group = get_group(hub, principal, ref)
    check_members(hub, principal, servers)
    group = group.model_copy(update={"servers": list(servers)})
    await hub.config.put_group(group)
    return group


async def set_selection(
    hub: Hub, principal: Principal, ref: str, server: str, kind: str, selection: Any
) -> GroupServer:
    """Set which tools, prompts or resources of a member the group offers: ``'all'`` or a
    list of upstream names (blanks and repeats dropped)."""
    if kind not in SELECTION_KINDS:
        raise BadRequest(f"Unknown selection kind {kind!r}")
    group = get_group(hub, principal, ref)
    index = _member_index(group, server)
    try:
        value = SELECTION.validate_python(selection)
    except ValidationError as exc:
        raise BadRequest(f"{kind} must be 'all' or a list of names") from exc
    if isinstance(value, list):
        value = list(dict.fromkeys(s for s in value if s))
    servers = list(group.servers)
    servers[index] = servers[index].model_copy(update={kind: value})
    await hub.config.put_group(group.model_copy(update={"servers": servers}))
    return servers[index]
