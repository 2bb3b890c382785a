"""The one authorization decision point: ``authorize(hub, principal, action, resource)``.

Who is calling is settled first (``hub.auth.identity``); what they may do is asked here,
and only here, of the ``permission_allowed`` hook, for ``/api``, the REST tool routes and
every MCP route alike. The core's own rules answer last (``hub.defaults``), so a plugin can
both forbid what they allow and allow what they forbid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.auth import rules
from hub.auth.permissions import Action, Resource
from hub.errors import Forbidden, HubError, NotFound, Unauthorized

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal


async def authorize(hub: Hub, principal: Principal | None, action: str, resource: Resource) -> None:
    """Return if ``principal`` may do ``action`` on ``resource``; raise the refusal if not.

    The refusal is the core rules' own when they deny too (the answers the hub always
    gave); when only a plugin denies, it is the action's standard refusal (see
    ``standard_refusal``). No answer at all (an action nobody knows) is a denial.
    """
    if await hub.plugins.permission_allowed(hub, principal, action, resource):
        return
    raise rules.refusal(hub, principal, action, resource) or standard_refusal(principal, action)


async def authorize_host_execution(
    hub: Hub, principal: Principal | None, what: str = "A server with a command"
) -> None:
    """Raise unless ``principal`` may create or change something that runs on the host.

    The one check for every such write path (stdio servers, imported configs, MCPB
    bundles): ``authorize`` with ``Action.RUN_ON_HOST``, so a plugin can widen or narrow it.
    """
    await authorize(hub, principal, Action.RUN_ON_HOST, Resource("host", what))


def standard_refusal(principal: Principal | None, action: str) -> HubError:
    """How a denial reads when the core rules would have allowed it.

    Groups and servers are reported missing (404), so their existence does not leak; a
    caller without a principal gets 401, one with a principal 403.
    """
    if action in (Action.REACH_GROUP, Action.REACH_SERVER):
        return NotFound(rules.MISSING)
    if principal is None:
        if action == Action.USE_MCP:
            return Unauthorized(rules.NO_AUTH)
        if action in (Action.USE_API, Action.USE_TOOLS):
            return Unauthorized(rules.NO_TOKEN)
        return Unauthorized("Authentication required")
    return Forbidden("Permission denied")
