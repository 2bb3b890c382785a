"""Core defaults, registered as an essential plugin: JWT and bearer-key authenticators."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tornado.httputil

from hub.auth.principal import Principal
from hub.auth.tokens import decode_token, hash_key
from hub.hookspecs import hookimpl

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.registry import Registry


def bearer_from(request: tornado.httputil.HTTPServerRequest, header: str) -> str | None:
    value = request.headers.get(header)
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if header.lower() == "authorization" or scheme.lower() == "bearer":
        return token.strip() if scheme.lower() == "bearer" else None
    return value.strip()


class JWTAuthenticator:
    """Dashboard logins: ``x-auth-token``, ``?token=`` or ``Authorization: Bearer <jwt>``."""

    async def authenticate(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        token = request.headers.get("x-auth-token")
        if not token:
            values = request.query_arguments.get("token")
            token = values[-1].decode(errors="replace") if values else None
        if not token:
            token = bearer_from(request, "Authorization")
        if not token or token.count(".") != 2:
            return None
        claims = decode_token(hub.jwt_secret, token)
        if claims is None:
            return None
        user = hub.config.users.get(str(claims["user"].get("username")))
        # A deleted user, or a password change (which bumps the version), ends old tokens.
        if user is None or claims.get("ver", 0) != user.token_version:
            return None
        return Principal(name=user.username, is_admin=user.is_admin, kind="user", claims=claims)


class BearerKeyAuthenticator:
    """Static keys from the configured header (``Authorization: Bearer <key>`` by default)."""

    async def authenticate(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        routing = hub.config.system.routing
        if not routing.enable_bearer_auth:
            return None
        token = bearer_from(request, routing.bearer_auth_header_name)
        if not token:
            return None
        key = hub.config.keys_by_hash.get(hash_key(token))
        if key is None or not key.enabled:
            return None
        return Principal(
            name=f"key:{key.name}",
            is_admin=key.access_type == "all",
            kind="key",
            key_id=key.id,
            access_type=key.access_type,
            allowed_groups=tuple(key.allowed_groups),
            allowed_servers=tuple(key.allowed_servers),
        )


@hookimpl
def register_authenticators(register: Registry[object]) -> None:
    register("jwt", JWTAuthenticator())
    register("bearer-key", BearerKeyAuthenticator())
