"""Who is calling: authenticators turn a request's credentials into a ``Principal``.

Identity only. What the principal may do is decided elsewhere, in one place
(``hub.auth.authorize``). The JWT and bearer-key authenticators are the core's own and are
registered by ``hub.defaults``; plugins add more through ``register_authenticators`` or
answer ``principal_from_request`` for anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import tornado.httputil

from hub.auth.principal import Principal
from hub.auth.tokens import decode_token, request_token_hash

if TYPE_CHECKING:
    from hub.app import Hub


class Authenticator(Protocol):
    """What ``register_authenticators`` registers: one kind of credential, checked."""

    async def authenticate(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        """The principal the request's credentials name, or None when they are not of this
        authenticator's kind or do not check out (the next authenticator is asked then)."""
        ...


async def identify(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> Principal | None:
    """Ask each registered authenticator in turn, then the ``principal_from_request`` hook."""
    if hub.admin_pending:
        await hub.admin_ready()  # the first admin may be a token's subject
    for authenticator in hub.authenticators.values():
        principal = await authenticator.authenticate(hub, request)
        if principal is not None:
            return principal
    return await hub.plugins.principal_from_request(hub, request)


def sent_credentials(hub: Hub, request: tornado.httputil.HTTPServerRequest) -> bool:
    """Whether the request carried anything meant as a credential (a login token in any of
    its places, or a value in the bearer header), valid or not: a refusal then says the
    credential is bad rather than missing."""
    header = hub.config.system.routing.bearer_auth_header_name
    return any(
        (
            request.headers.get(header),
            request.headers.get("Authorization"),
            request.headers.get("x-auth-token"),
            request.query_arguments.get("token"),
        )
    )


def bearer_from(request: tornado.httputil.HTTPServerRequest, header: str) -> str | None:
    """The credential in ``header``: the token of ``Bearer <token>``, or a custom header's
    whole value (``Authorization`` only ever carries the bearer scheme here)."""
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
        key = hub.config.keys_by_hash.get(request_token_hash(request, token))
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
            host_execution=key.allow_host_execution,
        )
