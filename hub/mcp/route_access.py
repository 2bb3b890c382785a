"""Who may use an MCP route, and what it reaches: DNS-rebinding guard, bearer auth, scope.

Identity comes from ``hub.auth.identity``; every decision (may this caller use the route,
reach this group or server) is asked of the one decision point, ``hub.auth.authorize``.
This module only words the answer the way MCP clients expect: a 401 carries the OAuth
``WWW-Authenticate`` challenge, a group or server out of reach is a JSON-RPC 404.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import tornado.httputil

from hub.auth import rules
from hub.auth.access import find_group, mcp_servers_in_scope
from hub.auth.authorize import authorize
from hub.auth.identity import identify, sent_credentials
from hub.auth.permissions import Action, Resource
from hub.auth.principal import Principal
from hub.errors import HubError, NotFound, Unauthorized
from hub.mcp.catalog import Scope

if TYPE_CHECKING:
    from hub.app import Hub

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "127.0.0.1", "::1"})
"""Loopback hosts answered without parsing an address (the common Host headers first)."""


@dataclass(frozen=True)
class Route:
    """What a URL names: the whole hub, a group, one server, or smart routing."""

    segment: str | None = None
    user: str | None = None
    group: str | None = None
    server: str | None = None
    smart: bool = False


class GateError(Exception):
    """A refusal at the HTTP layer, with its status, body and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        text: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers or {}
        self.text = text


def principal_key(principal: Principal | None) -> str:
    if principal is None:
        return "anonymous"
    return f"{principal.kind}:{principal.name}:{principal.key_id or ''}"


# ---------------------------------------------------------------------- DNS rebinding


def _hostname(value: str) -> str:
    """The host part of a Host header (``[::1]:3000`` → ``::1``), lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_origin(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> None:
    """403 for a Host or Origin a DNS-rebinding page would send.

    A hub bound to loopback answers only loopback host names (plus ``allowedHosts``); an
    Origin header must name the host itself, a loopback host, or an ``allowedOrigins`` entry.
    """
    routing = hub.config.system.routing
    host = _hostname(request.headers.get("Host", ""))
    allowed_hosts = {h.lower() for h in routing.allowed_hosts}
    if not is_loopback(host) and host not in allowed_hosts:
        bound = _hostname(hub.options.host)
        if allowed_hosts or is_loopback(bound):
            raise GateError(403, "Forbidden: invalid Host header", text=True)
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin in routing.allowed_origins:
        return
    origin_host = _hostname(urlsplit(origin).netloc) if "://" in origin else ""
    if origin_host and (origin_host == host or (is_loopback(origin_host) and is_loopback(host))):
        return
    raise GateError(403, "Forbidden: invalid Origin header", text=True)


# ---------------------------------------------------------------------- auth


async def challenge(
    hub: Hub, request: tornado.httputil.HTTPServerRequest, description: str
) -> GateError:
    """The 401 MCP clients read: ``resource_metadata`` names the OAuth metadata only when a
    plugin serves it (``resource_metadata_url``), so a wrong key reads as a wrong key."""
    metadata = await hub.plugins.resource_metadata_url(hub, request)
    header = f'Bearer error="invalid_token", error_description="{description}"'
    body = {"error": "invalid_token", "error_description": description}
    if metadata:
        header += f', resource_metadata="{metadata}"'
        body["resource_metadata"] = metadata
    return GateError(401, description, body=body, headers={"WWW-Authenticate": header})


async def authenticate(
    hub: Hub, request: tornado.httputil.HTTPServerRequest, user: str | None
) -> Principal | None:
    """The caller (None without valid credentials), once allowed to use this MCP route;
    raises the 401 challenge or the 403 otherwise. ``user`` names the owner of a
    user-scoped route (``/{user}/mcp…``)."""
    principal = await identify(hub, request)
    resource = Resource("mcp", request.path, method=request.method, user=user)
    try:
        await authorize(hub, principal, Action.USE_MCP, resource)
    except HubError as exc:
        raise await _refused(hub, request, exc) from None
    return principal


async def _refused(
    hub: Hub, request: tornado.httputil.HTTPServerRequest, exc: HubError
) -> GateError:
    """An authorization refusal in MCP's words."""
    if isinstance(exc, Unauthorized):
        description = exc.message
        if description == rules.NO_AUTH and sent_credentials(hub, request):
            # Identity's half of the answer: credentials came, but they named nobody.
            description = "Invalid bearer token"
        return await challenge(hub, request, description)
    if isinstance(exc, NotFound):
        return _missing()
    if "www_authenticate" in exc.extra:
        # A plugin's own challenge (OAuth ``insufficient_scope``), sent as it worded it.
        header = str(exc.extra["www_authenticate"])
        body = {"error": "insufficient_scope", "error_description": exc.message}
        return GateError(exc.status, exc.message, body=body, headers={"WWW-Authenticate": header})
    return GateError(exc.status, exc.message)


# ---------------------------------------------------------------------- scope


async def resolve(
    hub: Hub, principal: Principal | None, segment: str | None, user: str | None
) -> Route:
    """A URL segment as MCPHub reads it: $smart, group id, group name, then server name.

    Reaching the group or server it names is asked of ``authorize``; a refusal is the same
    404 as a name that does not exist, so existence does not leak.
    """
    config = hub.config
    if segment is None or segment == "":
        if not config.system.routing.enable_global_route:
            raise GateError(
                403, "Global routes are disabled. Please specify a group ID.", text=True
            )
        return Route(user=user)
    if segment == "$smart" or segment.startswith("$smart/"):
        return await _smart(hub, principal, segment, user)
    group = config.group(segment)
    if group is not None and group.servers:
        await _reach(hub, principal, Action.REACH_GROUP, Resource("group", group.id, record=group))
        return Route(segment=segment, user=user, group=group.id)
    server = config.servers.get(segment)
    if server is not None:
        resource = Resource("server", segment, record=server)
        await _reach(hub, principal, Action.REACH_SERVER, resource)
        return Route(segment=segment, user=user, server=segment)
    raise _missing()


async def _smart(hub: Hub, principal: Principal | None, segment: str, user: str | None) -> Route:
    """``$smart`` searches everything the caller reaches; ``$smart/{group}`` that group only
    (by id, or by name as for ``/mcp/{group}``), reached under the same rules."""
    ref = segment.removeprefix("$smart").strip("/")
    if not ref:
        return Route(segment=segment, user=user, smart=True)
    group = hub.config.group(ref)
    if group is None:
        raise _missing()
    await _reach(hub, principal, Action.REACH_GROUP, Resource("group", group.id, record=group))
    return Route(segment=segment, user=user, group=group.id, smart=True)


async def _reach(hub: Hub, principal: Principal | None, action: str, resource: Resource) -> None:
    try:
        await authorize(hub, principal, action, resource)
    except HubError as exc:
        raise (
            _missing() if isinstance(exc, NotFound) else GateError(exc.status, exc.message)
        ) from None


def _missing() -> GateError:
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": rules.MISSING},
    }
    return GateError(404, rules.MISSING, body=body)


def check_reach(hub: Hub, principal: Principal | None, route: Route, kind: str = "mcp") -> None:
    """403 ``insufficient_scope`` for a scoped key on the global route when the key reaches
    nothing there (a groups-scoped key reaches its servers only through its groups' routes):
    an empty session would leave its client guessing. The message names the routes the key
    may use, ``kind`` (``mcp`` or ``sse``) saying which transport's."""
    if principal is None or principal.kind != "key" or principal.access_type == "all":
        return
    if route.segment is not None or route.user is not None:
        return
    if principal.access_type in ("servers", "custom") and principal.allowed_servers:
        return
    base = f"{hub.base_path}/{kind}"
    routes = [f"{base}/{name}" for name in key_group_routes(hub, principal)]
    if principal.access_type == "servers":
        routes = [f"{base}/{name}" for name in principal.allowed_servers]
    where = ", ".join(routes) if routes else "none (the key names no group or server)"
    description = f"This key reaches no server on {base}; routes it may use: {where}"
    header = f'Bearer error="insufficient_scope", error_description="{description}"'
    raise GateError(403, description, headers={"WWW-Authenticate": header})


def key_group_routes(hub: Hub, principal: Principal) -> list[str]:
    """The route segments of the groups a key names (by name when the group has one)."""
    by_name = hub.config.system.routing.enable_group_name_route
    names = []
    for ref in principal.allowed_groups:
        group = find_group(hub.config, ref)
        if group is not None:
            names.append(group.name if by_name and group.name else group.id)
    return names


def scope_for(hub: Hub, route: Route, principal: Principal | None) -> Scope:
    config = hub.config
    group = config.groups.get(route.group) if route.group else None
    if route.group and group is None:
        return Scope((), route.group, smart=route.smart)
    if route.server is not None and route.server not in config.servers:
        return Scope(())
    names = mcp_servers_in_scope(config, principal, group, route.server)
    prefixed = not (route.server is not None and config.system.routing.unprefixed_server_route)
    return Scope(tuple(names), route.group, prefixed, route.smart)


async def pass_gate(
    hub: Hub,
    request: tornado.httputil.HTTPServerRequest,
    user: str | None,
    segment: str | None,
    kind: str = "mcp",
) -> tuple[Principal | None, Route]:
    """The whole gate of an MCP request, in order: origin, credentials, the route its URL
    names, reach. (principal, route) when it may pass; the ``GateError`` to answer if not."""
    check_origin(hub, request)
    principal = await authenticate(hub, request, user)
    route = await resolve(hub, principal, segment, user)
    check_reach(hub, principal, route, kind)
    return principal, route
