"""Who may use an MCP route, and what it reaches: DNS-rebinding guard, bearer auth, scope.

MCP auth differs from the API's: ``routing.enableBearerAuth`` decides whether credentials
are required, scoped keys are welcome (cut to their scope), and a refusal is a 401 with the
OAuth ``WWW-Authenticate`` challenge that MCP clients understand.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import tornado.httputil

from hub.auth.access import can_see_group, can_see_server, mcp_servers_in_scope
from hub.auth.principal import Principal
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


def challenge(hub: Hub, request: tornado.httputil.HTTPServerRequest, description: str) -> GateError:
    """The 401 MCP clients read to find the hub's OAuth metadata."""
    proto = request.headers.get("X-Forwarded-Proto") or request.protocol
    host = request.headers.get("X-Forwarded-Host") or request.host
    metadata = f"{proto}://{host}/.well-known/oauth-protected-resource{hub.base_path}"
    header = (
        f'Bearer error="invalid_token", error_description="{description}", '
        f'resource_metadata="{metadata}"'
    )
    body = {
        "error": "invalid_token",
        "error_description": description,
        "resource_metadata": metadata,
    }
    return GateError(401, description, body=body, headers={"WWW-Authenticate": header})


async def authenticate(
    hub: Hub, request: tornado.httputil.HTTPServerRequest, user: str | None
) -> Principal | None:
    """The caller, or None in open mode (bearer auth off); raises the 401/403 refusals."""
    routing = hub.config.system.routing
    principal = await hub.authenticate(request)
    if user is not None:
        # User-scoped routes belong to one user login; static keys are not accepted there.
        if principal is None or principal.kind == "key":
            raise challenge(hub, request, "Authentication is required for user-scoped routes")
        if principal.name != user:
            raise GateError(403, "Forbidden: this route belongs to another user")
        return principal
    if principal is None and routing.enable_bearer_auth:
        header = routing.bearer_auth_header_name
        sent = bool(request.headers.get(header)) or bool(request.headers.get("x-auth-token"))
        raise challenge(
            hub, request, "Invalid bearer token" if sent else "No authorization provided"
        )
    return principal


# ---------------------------------------------------------------------- scope


def resolve(hub: Hub, principal: Principal | None, segment: str | None, user: str | None) -> Route:
    """A URL segment as MCPHub reads it: $smart, group id, group name, then server name."""
    config = hub.config
    if segment is None or segment == "":
        if not config.system.routing.enable_global_route:
            raise GateError(
                403, "Global routes are disabled. Please specify a group ID.", text=True
            )
        return Route(user=user)
    if segment == "$smart" or segment.startswith("$smart/"):
        return Route(segment=segment, user=user, smart=True)
    group = config.group(segment)
    if group is not None and group.servers:
        if principal is None or can_see_group(principal, group) or _key_reaches(principal, group):
            return Route(segment=segment, user=user, group=group.id)
        raise _missing()
    server = config.servers.get(segment)
    if server is not None and (principal is None or can_see_server(principal, segment, server)):
        return Route(segment=segment, user=user, server=segment)
    raise _missing()


def _key_reaches(principal: Principal, group: Any) -> bool:
    """A servers-scoped key may use a group route for the servers it holds (cut to those)."""
    if principal.kind != "key" or principal.access_type not in ("servers", "custom"):
        return False
    return any(s.name in principal.allowed_servers for s in group.servers)


def _missing() -> GateError:
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "Group or server not found"},
    }
    return GateError(404, "Group or server not found", body=body)


def scope_for(hub: Hub, route: Route, principal: Principal | None) -> Scope:
    config = hub.config
    group = config.groups.get(route.group) if route.group else None
    if route.group and group is None:
        return Scope((), route.group)
    if route.server is not None and route.server not in config.servers:
        return Scope(())
    names = mcp_servers_in_scope(config, principal, group, route.server)
    prefixed = not (route.server is not None and config.system.routing.unprefixed_server_route)
    return Scope(tuple(names), route.group, prefixed)
