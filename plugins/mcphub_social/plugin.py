"""Routes of social login: ``{basePath}/sign-in/{provider}`` (to the provider),
``{basePath}/callback/{provider}`` (back: a hub JWT in the fragment of ``callbackURL``),
``GET /api/better-auth/user`` and the admin's ``PUT /api/better-auth/users/{username}``
(link identities, disable social login for a user).

A provider identity (``github:<id>``, ``oidc:<sub>``) belongs to the user whose
``socialIdentities`` lists it. An unknown identity creates a non-admin user named by the
provider's login (email, preferred username); when that name is already taken by a user the
identity is not linked to, the login is refused, so nobody takes over an account by choosing
a matching name at the provider: an admin links it instead.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from hub.plugin_api import (
    APIHandler,
    BadRequest,
    Forbidden,
    Hub,
    NotFound,
    Policy,
    User,
    hookimpl,
    issue_token,
)
from mcphub_social import providers
from mcphub_social.providers import LoginFailed

log = logging.getLogger(__name__)
FLOW_LIFETIME = 600.0


@dataclass
class Flow:
    provider: str
    verifier: str
    nonce: str
    redirect_uri: str
    return_to: str
    expires: float


_flows: dict[str, Flow] = {}


def _origin(handler: APIHandler) -> str:
    base = handler.hub.config.system.install.base_url.strip().rstrip("/")
    return base or f"{handler.request.protocol}://{handler.request.host}{handler.hub.base_path}"


def _safe_return(value: str | None) -> str:
    """Only a path on this hub (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


class SignInHandler(APIHandler):
    policy = Policy.PUBLIC

    async def get(self, name: str) -> None:
        p = providers.provider(self.hub, name)
        if p is None:
            raise NotFound(f"Social login provider {name} is not configured")
        endpoint, _ = await providers.authorize_url(p, name)
        state, verifier, nonce = (secrets.token_urlsafe(32) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        cfg = providers.settings(self.hub)
        redirect_uri = f"{_origin(self)}{cfg.base_path}/callback/{name}"
        now = time.monotonic()
        for key in [k for k, f in _flows.items() if f.expires < now]:
            _flows.pop(key, None)
        _flows[state] = Flow(
            name,
            verifier,
            nonce,
            redirect_uri,
            _safe_return(self.get_query_argument("callbackURL", None)),
            now + FLOW_LIFETIME,
        )
        query = {
            "response_type": "code",
            "client_id": p.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "scope": p.scope
            or ("read:user user:email" if name == "github" else "openid email profile"),
        }
        if name == "oidc":
            query["nonce"] = nonce
        self.redirect(f"{endpoint}?{urlencode(query)}")


class CallbackHandler(APIHandler):
    policy = Policy.PUBLIC

    async def get(self, name: str) -> None:
        flow = _flows.pop(self.get_query_argument("state", ""), None)
        p = providers.provider(self.hub, name)
        if flow is None or flow.provider != name or flow.expires < time.monotonic() or p is None:
            raise BadRequest("Unknown or expired login attempt")
        code = self.get_query_argument("code", None)
        if not code:
            raise Forbidden(
                f"Login refused by the provider: {self.get_query_argument('error', '')}"
            )
        try:
            identity = await providers.exchange(
                p, name, code, flow.redirect_uri, flow.verifier, flow.nonce
            )
        except (LoginFailed, KeyError, ValueError) as exc:
            log.warning("Social login with %s failed: %s", name, exc)
            raise Forbidden("Login failed") from None
        user = await _user_for(self.hub, f"{name}:{identity.subject}", identity.username)
        token = issue_token(self.hub.jwt_secret, user.username, user.is_admin, user.token_version)
        self.redirect(f"{flow.return_to}#token={token}")


async def _user_for(hub: Hub, identity: str, wanted: str) -> User:
    users = hub.config.users
    for user in users.values():
        if identity in (user.model_extra or {}).get("socialIdentities", []):
            if (user.model_extra or {}).get("socialLoginDisabled"):
                raise Forbidden("Social login is disabled for this user")
            return user
    name = re.sub(r"[^\w.@-]", "_", wanted)[:64] or "user"
    if name in users:
        raise Forbidden("A user of that name exists; an admin must link this login to it")
    user = User.model_validate(
        {"username": name, "password": "!social", "isAdmin": False, "socialIdentities": [identity]}
    )
    await hub.config.put_user(user, create=True)
    log.info("User %s created by social login (%s)", name, identity.split(":")[0])
    return user


class CurrentUserHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        p = self.caller
        self.send_json(
            {
                "success": True,
                "user": {"username": p.name, "isAdmin": p.is_admin, "permissions": p.permissions},
            }
        )


class SocialLinks(BaseModel):
    links: list[str] | None = Field(None, description="Identities as provider:subject")
    disabled: bool | None = None


class UserLinksHandler(APIHandler):
    policy = Policy.ADMIN

    async def put(self, username: str) -> None:
        user = self.hub.config.users.get(username)
        if user is None:
            raise NotFound("User not found")
        body = self.body_as(SocialLinks)
        doc: dict[str, Any] = user.wire()
        if body.links is not None:
            bad = [x for x in body.links if not re.fullmatch(r"(github|oidc):\S+", x)]
            if bad:
                raise BadRequest(f"Invalid identities: {', '.join(bad)}")
            doc["socialIdentities"] = body.links
        if body.disabled is not None:
            doc["socialLoginDisabled"] = body.disabled
        await self.hub.config.put_user(User.model_validate(doc))
        self.reply(
            {
                "socialIdentities": doc.get("socialIdentities", []),
                "socialLoginDisabled": doc.get("socialLoginDisabled", False),
            }
        )


@hookimpl
def register_routes(hub: Hub) -> list[tuple[str, Any, dict[str, Any]]]:
    base = providers.BetterAuthSettings().base_path
    return [
        (rf"{base}/sign-in/(?P<name>github|oidc)", SignInHandler, {}),
        (rf"{base}/callback/(?P<name>github|oidc)", CallbackHandler, {}),
        (r"/api/better-auth/user", CurrentUserHandler, {}),
        (r"/api/better-auth/users/(?P<username>[^/]+)", UserLinksHandler, {}),
    ]
