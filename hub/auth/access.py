"""The access model in one place: who may see, change and call which servers and groups.

Route-level decisions use these through the core rules (``hub.auth.rules``) behind the one
decision point, ``hub.auth.authorize``; the services and the MCP view use them directly for
ownership and scope. Things a principal may not see are reported as missing (404), never as
forbidden, so their existence does not leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.auth.principal import Principal
from hub.config.models import Group, ServerConfig
from hub.config.names import shown
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.upstream.transport import Transports, transport_for

if TYPE_CHECKING:
    from hub.config.live import LiveConfig


def is_privileged(config: ServerConfig, transports: Transports) -> bool:
    """A config that may run code on the hub's machine: its transport says so (stdio), it
    holds a command or args, or no registered transport takes it (unknown means unsafe)."""
    transport = transport_for(transports, config)
    return transport is None or transport.privileged or bool(config.command or config.args)


def check_config_write(principal: Principal, config: ServerConfig, transports: Transports) -> None:
    """Only admins may create or change configs that spawn processes."""
    if not principal.is_admin and is_privileged(config, transports):
        raise Forbidden("Only admins can create or modify stdio-based servers")


HOST_EXECUTION = (
    "runs a program on the hub's machine: it needs an admin's login session, or a bearer "
    "key marked allowHostExecution"
)


def may_run_on_host(principal: Principal | None) -> bool:
    """Admins logged in as users, and all-access keys explicitly marked for it: a key ends up
    in many clients' config files, and a leaked one must not be a shell on the host."""
    if principal is None:
        return False
    if principal.kind == "user":
        return principal.is_admin
    if principal.kind == "key":
        return principal.access_type == "all" and principal.host_execution
    return False


def host_refusal(what: str) -> Forbidden:
    """The refusal of ``run-on-host``: ``what`` (e.g. "A stdio server") and the way in."""
    return Forbidden(f"{what or 'This change'} {HOST_EXECUTION}")


LOADER_ENV = ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "NODE_OPTIONS", "PYTHONPATH")
"""Variables that make any interpreter load foreign code; ``DYLD_*`` and ``PYTHONSTARTUP``
are matched by prefix in ``loader_env``."""


def loader_env(config: ServerConfig) -> list[str]:
    """Names in ``config.env`` that would inject code into the child process."""
    return sorted(
        k
        for k in config.env or {}
        if k.upper() in LOADER_ENV or k.upper().startswith(("DYLD_", "PYTHONSTARTUP"))
    )


def check_imported_config(
    principal: Principal, config: ServerConfig, transports: Transports
) -> None:
    """Configs from a template (someone else's file): the stdio rule, and no loader hooks."""
    check_config_write(principal, config, transports)
    bad = loader_env(config)
    if bad:
        raise Forbidden(f"Environment variables not allowed in imported configs: {', '.join(bad)}")


def owner_for(principal: Principal) -> str:
    """The owner recorded on what a principal creates (keys act for the admin)."""
    return principal.name if principal.kind != "key" else "admin"


def owns_anything(live: LiveConfig, username: str) -> bool:
    """Whether servers or groups still name ``username`` as owner (e.g. after a deletion)."""
    return any(c.owner == username for c in live.servers.values()) or any(
        g.owner == username for g in live.groups.values()
    )


def require_user_admin(principal: Principal) -> None:
    """Users and keys are managed by admin *users*: a leaked key cannot mint more keys."""
    if principal.kind == "key":
        raise Forbidden("Bearer keys cannot manage users or keys")
    if not principal.is_admin:
        raise Forbidden("Admin privileges required")


def require_user(principal: Principal) -> None:
    """Routes about one's own account (passwords, registering users) need a user login."""
    if principal.kind == "key":
        raise Forbidden("This action needs a user login, not a bearer key")


def can_see_server(principal: Principal, name: str, config: ServerConfig) -> bool:
    """Ownership for users; the key's scope for scoped bearer keys."""
    if principal.kind == "key" and principal.access_type != "all":
        return name in principal.allowed_servers and principal.access_type in (
            "servers",
            "custom",
        )
    return principal.owns(config.owner)


def server_for(live: LiveConfig, principal: Principal, name: str) -> ServerConfig:
    """The named server if the principal may see it; 404 otherwise."""
    config = live.servers.get(name)
    if config is None or not can_see_server(principal, name, config):
        raise NotFound("Server not found")
    return config


def visible_servers(live: LiveConfig, principal: Principal) -> list[str]:
    return [n for n, c in live.servers.items() if can_see_server(principal, n, c)]


def check_servers_visible(live: LiveConfig, principal: Principal, names: list[str]) -> None:
    """400 naming every server that does not exist or that the principal may not see."""
    unknown = [
        n
        for n in names
        if n not in live.servers or not can_see_server(principal, n, live.servers[n])
    ]
    if unknown:
        raise BadRequest(f"Unknown server(s): {', '.join(map(shown, unknown))}", unknown=unknown)


def can_see_group(principal: Principal, group: Group) -> bool:
    if principal.kind == "key" and principal.access_type != "all":
        return principal.access_type in ("groups", "custom") and (
            group.id in principal.allowed_groups or group.name in principal.allowed_groups
        )
    return principal.owns(group.owner)


def find_group(live: LiveConfig, ref: str) -> Group | None:
    """A group by id, else by name, whoever owns it (for uniqueness checks, not for replies)."""
    return live.groups.get(ref) or next((g for g in live.groups.values() if g.name == ref), None)


def check_group_name(live: LiveConfig, name: str, group_id: str | None = None) -> None:
    """``/mcp/{segment}`` tries group ids, group names, then server names: a group may not
    take a name already used by either, or a user could capture an admin's server route."""
    other = find_group(live, name)
    if other is not None and other.id != group_id:
        raise Conflict(f"Group '{shown(name)}' already exists")
    if name in live.servers:
        raise Conflict(f"'{shown(name)}' is already the name of a server")


def visible_groups(live: LiveConfig, principal: Principal) -> list[Group]:
    return [g for g in live.groups.values() if can_see_group(principal, g)]


def group_for(live: LiveConfig, principal: Principal, ref: str) -> Group:
    """A group by id or name if the principal may see it; 404 otherwise."""
    group = find_group(live, ref)
    if group is None or not can_see_group(principal, group):
        raise NotFound("Group not found")
    return group


def mcp_servers_in_scope(
    live: LiveConfig, principal: Principal | None, group: Group | None, server: str | None
) -> list[str]:
    """Servers an MCP session may list and call: the route's scope cut by the caller's rights.

    ``principal`` is None when bearer auth is off (MCPHub's open mode): the route decides.
    A servers-scoped key never reaches another server through a group route, and a
    groups-scoped key reaches its servers only through that group's route, where the
    group's selections apply (not through ``/mcp/{server}`` or the global route).
    """
    if server is not None:
        names = [server] if server in live.servers else []
    elif group is not None:
        names = [s.name for s in group.servers if s.name in live.servers]
    else:
        names = list(live.servers)
    names = [n for n in names if live.servers[n].enabled]
    if principal is None or (principal.kind == "key" and principal.access_type == "all"):
        return names
    if principal.kind == "key":
        allowed: set[str] = set()
        if principal.access_type in ("servers", "custom"):
            allowed.update(principal.allowed_servers)
        if principal.access_type in ("groups", "custom"):
            for ref in principal.allowed_groups:
                g = live.groups.get(ref) or next(
                    (x for x in live.groups.values() if x.name == ref), None
                )
                if g is not None and group is not None and g.id == group.id:
                    allowed.update(s.name for s in g.servers)
        return [n for n in names if n in allowed]
    return [n for n in names if principal.owns(live.servers[n].owner)]


def require_admin(principal: Principal) -> None:
    """Admin-only operations, checked again by services that other callers than the API use."""
    if not principal.is_admin:
        raise Forbidden("Admin privileges required")
