"""Hook implementations of the authorization server: routes, the access-token
authenticator, the scope check on MCP routes, and the 401's ``resource_metadata``."""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.httputil

from hub.plugin_api import (
    Action,
    Change,
    ChangeEvent,
    Forbidden,
    Hub,
    Kind,
    Principal,
    Registry,
    Resource,
    hookimpl,
    request_token_hash,
)
from mcphub_oauth import grants, urls
from mcphub_oauth.authorize import AuthorizeHandler
from mcphub_oauth.meta import ResourceMetadataHandler, ServerMetadataHandler
from mcphub_oauth.register import ClientRegistrationHandler, RegisterHandler
from mcphub_oauth.token import RevokeHandler, TokenHandler, UserInfoHandler

ENDPOINTS: list[tuple[str, Any]] = [
    (r"/authorize", AuthorizeHandler),
    (r"/token", TokenHandler),
    (r"/register", RegisterHandler),
    (r"/register/(?P<client_id>[\w-]+)", ClientRegistrationHandler),
    (r"/userinfo", UserInfoHandler),
    (r"/revoke", RevokeHandler),
]


@hookimpl
def register_routes(hub: Hub) -> list[tuple[str, Any, dict[str, Any]]]:
    # Unescaped dots: the hub serves patterns starting with "/.well-known/" at the root.
    routes: list[tuple[str, Any, dict[str, Any]]] = [
        ("/.well-known/oauth-authorization-server(?P<suffix>/.*)?", ServerMetadataHandler, {}),
        ("/.well-known/oauth-protected-resource(?P<suffix>/.*)?", ResourceMetadataHandler, {}),
    ]
    routes += [(f"/oauth{path}", handler, {}) for path, handler in ENDPOINTS]
    if hub.base_path:
        # The issuer includes BASE_PATH, so the endpoints it advertises are under it too. A
        # pattern starting with "/oauth/" is served at the root; this spelling is not.
        routes += [(f"/(?:oauth){path}", handler, {}) for path, handler in ENDPOINTS]
    return routes


class AccessTokenAuthenticator:
    """Access tokens this hub issued, on MCP routes (they are audience-bound to them)."""

    async def authenticate(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        cfg = hub.config.system.oauth_server
        if not cfg.enabled or not urls.is_mcp_path(urls.route_path(hub, request.path)):
            return None
        header = hub.config.system.routing.bearer_auth_header_name
        scheme, _, token = (request.headers.get(header) or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        doc = grants.access_record(hub, token, request_token_hash(request, token))
        if doc is None:
            return None
        if not urls.audience_covers(
            str(doc.get("resource", "")), urls.request_resource(hub, request)
        ):
            return None  # a token for another resource: as unknown as a wrong one
        user = hub.config.users[str(doc["username"])]
        scopes = str(doc.get("scope", "")).split()
        claims: dict[str, Any] = {"scope": " ".join(scopes), "client_id": doc.get("clientId")}
        if not set(scopes) & set(cfg.allowed_scopes):
            needed = " ".join(cfg.allowed_scopes)
            claims["challenge"] = (
                f'Bearer error="insufficient_scope", scope="{needed}", '
                f'resource_metadata="{urls.metadata_url(hub, request)}", '
                'error_description="The token holds none of the scopes this hub requires"'
            )
        return Principal(name=user.username, is_admin=user.is_admin, kind="oauth", claims=claims)


@hookimpl
def register_authenticators(register: Registry[Any]) -> None:
    register("oauth-access-token", AccessTokenAuthenticator())


@hookimpl
def permission_allowed(
    hub: Hub, principal: Principal | None, action: str, resource: Resource
) -> bool | None:
    """A token whose scopes the settings no longer grant is refused with 403
    ``insufficient_scope`` (raised here, so the challenge keeps its wording)."""
    if principal is None or principal.kind != "oauth" or action != Action.USE_MCP:
        return None
    challenge = principal.claims.get("challenge")
    if challenge:
        raise Forbidden("Insufficient scope", www_authenticate=challenge)
    return None


@hookimpl
def resource_metadata_url(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> str | None:
    if not hub.config.system.oauth_server.enabled:
        return None
    return urls.metadata_url(hub, request)


_tasks: set[asyncio.Task[None]] = set()


@hookimpl
def startup(hub: Hub) -> None:
    """A deleted user's tokens are deleted too (a user re-created later gets none of them)."""

    def on_change(event: ChangeEvent) -> None:
        if event.kind == Kind.USERS and event.action == Change.DELETE and event.record:
            task = asyncio.get_running_loop().create_task(grants.forget_user(hub, event.record))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

    hub.bus.subscribe(on_change)
