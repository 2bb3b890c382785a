"""Configuration templates: export the caller's servers and groups with every secret made a
``${VAR}`` (``hub.config.placeholders``), and import a template by creating what is missing.

Everyone logged in may use them, limited to what they own: an export holds only servers
and groups the caller may see, and an import creates things owned by the importer, through
the same stdio rule as every other write path, plus a ban on loader variables
(``LD_PRELOAD`` …) because the file is someone else's.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.auth.access import (
    can_see_server,
    check_group_name,
    check_imported_config,
    find_group,
    group_for,
    is_privileged,
    owner_for,
    visible_groups,
    visible_servers,
)
from hub.auth.authorize import authorize_host_execution
from hub.auth.principal import Principal
from hub.config.models import Group, GroupServer, ServerConfig
from hub.config.names import ambiguity_message, ambiguous_with, check_server_name, shown
from hub.config.placeholders import Scrubber, references, scrub_server
from hub.config.store import Conflict as StoreConflict
from hub.errors import BadRequest, HubError
from hub.services import Body

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.live import LiveConfig

log = logging.getLogger(__name__)

VERSION = "1.0"
NAME = r"^[^/\s$][^/]{0,127}$"
"""Server and group names a template may bring: no slash, no leading blank or ``$``."""


class ExportBody(Body):
    """What to export: all visible groups (``group_ids`` None) or the named ones."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    group_ids: list[str] | None = None
    include_disabled_servers: bool = False


class TemplateDoc(BaseModel):
    """What import accepts; each server and group is validated on its own, per item."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    version: str = VERSION
    name: str = ""
    servers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    groups: list[dict[str, Any]] = Field(default_factory=list)
    required_env_vars: list[str] = Field(default_factory=list, alias="requiredEnvVars")


# --------------------------------------------------------------------- export


def build_template(
    live: LiveConfig,
    name: str,
    description: str | None,
    servers: list[str],
    groups: list[Group],
) -> dict[str, Any]:
    """The template document for the named servers and groups (already access-checked)."""
    scrub = Scrubber()
    exported = {s: scrub_server(scrub, s, live.servers[s]) for s in servers}
    group_docs = [
        {
            "name": g.name,
            "description": g.description,
            "servers": [m.wire() for m in g.servers if m.name in exported],
        }
        for g in groups
    ]
    return {
        "version": VERSION,
        "name": name,
        "description": description,
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "servers": exported,
        "groups": group_docs,
        "requiredEnvVars": sorted(scrub.names | references(exported)),
    }


def _servers_of(
    hub: Hub, principal: Principal, members: Iterable[str] | None, include_disabled: bool
) -> list[str]:
    """Visible servers (among ``members`` when given), enabled ones unless asked otherwise."""
    live = hub.config
    names = visible_servers(live, principal)
    if members is not None:
        wanted = set(members)
        names = [n for n in names if n in wanted]
    return [n for n in names if include_disabled or live.servers[n].enabled]


def export_template(hub: Hub, principal: Principal, body: ExportBody) -> dict[str, Any]:
    """The caller's servers and groups (or the named groups and their servers) as a
    template; a group the caller may not see is a 404."""
    live = hub.config
    if body.group_ids is None:
        groups = visible_groups(live, principal)
        servers = _servers_of(hub, principal, None, body.include_disabled_servers)
    else:
        groups = [group_for(live, principal, ref) for ref in body.group_ids]
        members = [m.name for g in groups for m in g.servers]
        servers = _servers_of(hub, principal, members, body.include_disabled_servers)
    log.info("Template %r exported: %d servers, %d groups", body.name, len(servers), len(groups))
    return build_template(live, body.name, body.description, servers, groups)


def export_group(
    hub: Hub, principal: Principal, ref: str, name: str | None = None
) -> dict[str, Any]:
    """One group and all its servers the caller may see, disabled ones included."""
    live = hub.config
    group = group_for(live, principal, ref)
    servers = _servers_of(hub, principal, [m.name for m in group.servers], True)
    return build_template(live, name or group.name, group.description, servers, [group])


# --------------------------------------------------------------------- import


def _detail(kind: str, name: str, action: str, message: str) -> dict[str, str]:
    return {"type": kind, "name": name, "action": action, "message": message}


async def import_template(hub: Hub, principal: Principal, template: TemplateDoc) -> dict[str, Any]:
    """Create the missing servers and groups of ``template``, owned by the importer; one
    ``details`` entry per item. 400 (with the details) when nothing could be created."""
    if not template.version.startswith(VERSION.split(".")[0] + "."):
        raise BadRequest(f"Unsupported template version {template.version!r}")
    live = hub.config
    details: list[dict[str, str]] = []
    for name, raw in template.servers.items():
        details.append(await _import_server(hub, principal, name, raw))
    for raw in template.groups:
        details.append(await _import_group(live, principal, raw))
    counts = {
        f"{kind}s{action.capitalize()}": sum(
            1 for d in details if d["type"] == kind and d["action"] == action
        )
        for kind in ("server", "group")
        for action in ("created", "skipped", "failed")
    }
    created = [d["name"] for d in details if d["type"] == "server" and d["action"] == "created"]
    needed = set(template.required_env_vars) | references(
        [live.servers[n].wire() for n in created if n in live.servers]
    )
    result = {
        "success": counts["serversCreated"] + counts["groupsCreated"] > 0,
        **counts,
        "requiredEnvVars": sorted(needed),
        "details": details,
    }
    log.info(
        "Template %r imported by %s: %d servers and %d groups created",
        template.name,
        principal.name,
        counts["serversCreated"],
        counts["groupsCreated"],
    )
    if not result["success"]:
        raise BadRequest("Nothing was imported", data=result)
    return result


async def _import_server(
    hub: Hub, principal: Principal, name: str, raw: dict[str, Any]
) -> dict[str, str]:
    live, transports = hub.config, hub.transports
    try:
        check_server_name(name)
    except ValueError as exc:
        return _detail("server", shown(name), "failed", str(exc))
    if name in live.servers:
        return _detail("server", name, "skipped", "A server with this name already exists")
    sep = live.system.name_separator
    other = ambiguous_with(name, live.servers, sep)
    if other is not None:
        return _detail("server", name, "failed", ambiguity_message(name, other, sep))
    try:
        config = ServerConfig.model_validate(raw)
        check_imported_config(principal, config, transports)
        if is_privileged(config, transports):
            await authorize_host_execution(hub, principal, "A template server with a command")
    except ValidationError as exc:
        return _detail("server", name, "failed", f"Invalid config: {exc.errors()[0]['msg']}")
    except HubError as exc:
        return _detail("server", name, "failed", exc.message)
    update: dict[str, Any] = {"owner": owner_for(principal)}
    message = "Server created"
    if is_privileged(config, transports) and config.enabled:
        # Someone else's command line: an admin reads it before it runs.
        update["enabled"] = False
        message = "Server created disabled: review its command, then enable it"
    try:
        await live.put_server(name, config.model_copy(update=update), create=True)
    except StoreConflict:
        return _detail("server", name, "skipped", "A server with this name already exists")
    return _detail("server", name, "created", message)


async def _import_group(live: LiveConfig, principal: Principal, raw: Any) -> dict[str, str]:
    name = str(raw.get("name", "")) if isinstance(raw, dict) else ""
    if not re.match(NAME, name):
        return _detail("group", name, "failed", "Invalid group name")
    if find_group(live, name) is not None:
        return _detail("group", name, "skipped", "A group with this name already exists")
    try:
        check_group_name(live, name)
    except HubError as exc:
        return _detail("group", name, "failed", exc.message)
    try:
        group = Group.model_validate(
            {
                "id": str(uuid.uuid4()),
                "name": name,
                "description": raw.get("description"),
                "servers": raw.get("servers") or [],
                "owner": owner_for(principal),
            }
        )
    except ValidationError as exc:
        return _detail("group", name, "failed", f"Invalid group: {exc.errors()[0]['msg']}")
    members: list[GroupServer] = []
    missing: list[str] = []
    for member in group.servers:
        config = live.servers.get(member.name)
        if config is not None and can_see_server(principal, member.name, config):
            members.append(member)
        else:
            missing.append(member.name)
    await live.put_group(group.model_copy(update={"servers": members}), create=True)
    message = "Group created"
    if missing:
        message += f" without unavailable server(s): {', '.join(map(shown, missing))}"
    return _detail("group", name, "created", message)
