"""Today's access rules, as the refusal each would give (None: the rules allow it).

The core default ``permission_allowed`` hookimpl (``hub.defaults``) allows exactly what these
rules allow; ``hub.auth.authorize`` also uses them to word a refusal when the defaults deny
too, so with no other plugin every status, body and challenge is what it always was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.auth.access import can_see_group, can_see_server, host_refusal, may_run_on_host
from hub.auth.permissions import Action, Resource
from hub.auth.principal import Policy, Principal
from hub.config.models import Group, ServerConfig
from hub.errors import Forbidden, HubError, NotFound, Unauthorized

if TYPE_CHECKING:
    from hub.app import Hub

NO_TOKEN = "No token, authorization denied"
"""The API's 401 message (MCPHub's wording)."""
BAD_TOKEN = "Invalid or expired token"
"""The API's 401 message when credentials came but named nobody (tampered, expired, revoked)."""
NO_AUTH = "No authorization provided"
"""The MCP routes' 401 description when no credentials identified anyone."""
USER_ROUTE_AUTH = "Authentication is required for user-scoped routes"
MISSING = "Group or server not found"


def refusal(
    hub: Hub, principal: Principal | None, action: str, resource: Resource
) -> HubError | None:
    """The error today's rules answer ``action`` on ``resource`` with, or None to allow."""
    if action == Action.USE_API:
        return _api(principal, resource.policy or Policy.ADMIN)
    if action == Action.USE_TOOLS:
        return Unauthorized(NO_TOKEN) if principal is None else None
    if action == Action.USE_MCP:
        return _mcp(hub, principal, resource.user)
    if action == Action.REACH_GROUP:
        group = resource.record
        if not isinstance(group, Group):
            return NotFound(MISSING)
        if principal is None or can_see_group(principal, group) or _key_reaches(principal, group):
            return None  # None: open mode (bearer auth off), where the route decides
        return NotFound(MISSING)
    if action == Action.RUN_ON_HOST:
        return None if may_run_on_host(principal) else host_refusal(resource.name)
    if action == Action.REACH_SERVER:
        config = resource.record
        if not isinstance(config, ServerConfig):
            return NotFound(MISSING)
        if principal is None or can_see_server(principal, resource.name, config):
            return None
        return NotFound(MISSING)
    return None


def _api(principal: Principal | None, policy: Policy) -> HubError | None:
    if policy is Policy.PUBLIC:
        return None
    if principal is None or (principal.kind == "key" and principal.access_type != "all"):
        # Only all-access keys may drive the management API; scoped keys are for MCP.
        return Unauthorized(NO_TOKEN)
    if policy is Policy.ADMIN and not principal.is_admin:
        return Forbidden("Admin privileges required")
    return None


def _mcp(hub: Hub, principal: Principal | None, user: str | None) -> HubError | None:
    if user is not None:
        # User-scoped routes belong to one user login; static keys are not accepted there.
        if principal is None or principal.kind == "key":
            return Unauthorized(USER_ROUTE_AUTH)
        if principal.name != user:
            return Forbidden("Forbidden: this route belongs to another user")
        return None
    if principal is None and hub.config.system.routing.enable_bearer_auth:
        return Unauthorized(NO_AUTH)
    return None  # None in open mode (bearer auth off): the route's scope decides


def _key_reaches(principal: Principal, group: Group) -> bool:
    """A servers-scoped key may use a group route for the servers it holds (cut to those)."""
    if principal.kind != "key" or principal.access_type not in ("servers", "custom"):
        return False
    return any(s.name in principal.allowed_servers for s in group.servers)
