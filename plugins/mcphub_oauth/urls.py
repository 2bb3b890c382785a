"""Issuer and resource URLs: what the hub calls itself to OAuth clients.

The issuer is ``install.baseUrl`` when set, else the origin the request came to (with
``X-Forwarded-Proto``/``X-Forwarded-Host`` from a proxy) plus ``BASE_PATH``. An MCP route's
resource is the issuer followed by the route's path (``<issuer>/mcp/{group}``).
"""

from __future__ import annotations

import re
from typing import Any

import tornado.httputil

from hub.plugin_api import Hub

MCP_PATH = re.compile(r"^(/[^/]+)?/(mcp|sse|messages)(/.*)?$")
"""Paths (after ``BASE_PATH``) of MCP routes: ``/mcp[/x]``, ``/sse``, ``/{user}/mcp[/x]``."""


def origin(request: tornado.httputil.HTTPServerRequest) -> str:
    proto = request.headers.get("X-Forwarded-Proto") or request.protocol
    host = request.headers.get("X-Forwarded-Host") or request.host
    return f"{proto.split(',')[0].strip()}://{host.split(',')[0].strip()}"


def issuer(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> str:
    configured = hub.config.system.install.base_url.strip().rstrip("/")
    return configured or origin(request) + hub.base_path


def route_path(hub: Hub, path: str) -> str:
    """A request path without ``BASE_PATH``."""
    base = hub.base_path
    return path[len(base) :] if base and path.startswith(base + "/") else path


def request_resource(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> str:
    """The resource URL of the MCP route a request asked for."""
    return issuer(hub, request) + route_path(hub, request.path)


def is_mcp_path(path: str) -> bool:
    return bool(MCP_PATH.match(path))


def valid_resource(hub: Hub, request: tornado.httputil.HTTPServerRequest, resource: str) -> bool:
    """Whether ``resource`` (RFC 8707) names this hub or one of its MCP routes."""
    base = issuer(hub, request)
    if resource.rstrip("/") == base:
        return True
    return resource.startswith(base + "/") and is_mcp_path(resource[len(base) :])


def audience_covers(audience: str, resource: str) -> bool:
    """A token for ``audience`` may be used at ``resource``: the same URL or one under it;
    an empty audience (no ``resource`` asked for) means the whole hub."""
    if not audience:
        return True
    audience = audience.rstrip("/")
    return resource == audience or resource.startswith(audience + "/")


def metadata_url(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> str:
    """The path-suffixed protected-resource metadata URL for the MCP route requested."""
    base = hub.config.system.install.base_url.strip().rstrip("/")
    start = base.split("/", 3)[:3] if base else None
    root = "/".join(start) if start else origin(request)
    return f"{root}/.well-known/oauth-protected-resource{request.path}"


def as_metadata(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
    """The authorization server metadata document (RFC 8414)."""
    cfg = hub.config.system.oauth_server
    base = issuer(hub, request)
    auth_methods = (
        ["client_secret_basic", "client_secret_post"]
        if cfg.require_client_secret
        else ["none", "client_secret_basic", "client_secret_post"]
    )
    doc: dict[str, Any] = {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": list(cfg.allowed_scopes),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }
    if cfg.dynamic_registration.enabled:
        doc["registration_endpoint"] = f"{base}/oauth/register"
    return doc


def resource_metadata(
    hub: Hub, request: tornado.httputil.HTTPServerRequest, path: str
) -> dict[str, Any]:
    """The protected-resource metadata document (RFC 9728) for the route at ``path``."""
    base = issuer(hub, request)
    return {
        "resource": base + path,
        "authorization_servers": [base],
        "scopes_supported": list(hub.config.system.oauth_server.allowed_scopes),
        "bearer_methods_supported": ["header"],
        "resource_name": "MCPHub",
    }
