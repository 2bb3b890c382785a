"""Approving tool definitions (the rug-pull defence, ``hub.upstream.pins``).

Only an admin's own login approves: a bearer key, even an all-access one, cannot, so a
leaked key cannot wave a changed tool through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.auth.access import server_for
from hub.auth.principal import Principal
from hub.errors import Forbidden, NotFound
from hub.services.server_items import resolve

if TYPE_CHECKING:
    from hub.app import Hub


def _require_admin_login(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Admin privileges required")
    if principal.kind != "user":
        raise Forbidden("Tool definitions are approved by an admin's login, not by a key")


def _answer(hub: Hub, server: str, approved: list[str]) -> dict[str, Any]:
    sep = hub.config.system.name_separator
    check = hub.tool_pins.check(server)
    return {
        "server": server,
        "approved": [f"{server}{sep}{name}" for name in approved],
        "toolChanges": [f"{server}{sep}{name}" for name in sorted(check.changed)],
    }


async def approve_tool(hub: Hub, principal: Principal, server: str, ref: str) -> dict[str, Any]:
    """Pin the current definition of one tool (namespaced or upstream name) of ``server``."""
    _require_admin_login(principal)
    config = server_for(hub.config, principal, server)
    _, item = resolve(hub, server, config, "tools", ref)
    if item is None:
        raise NotFound(f"Tool '{ref}' is not listed by server '{server}' now")
    approved = await hub.tool_pins.approve(server, [str(item.get("name"))], principal.name)
    return _answer(hub, server, approved)


async def approve_all(hub: Hub, principal: Principal, server: str) -> dict[str, Any]:
    """Pin the current definitions of every tool ``server`` lists."""
    _require_admin_login(principal)
    server_for(hub.config, principal, server)
    approved = await hub.tool_pins.approve(server, None, principal.name)
    return _answer(hub, server, approved)
