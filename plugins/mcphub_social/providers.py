"""Provider settings and the two kinds of provider: GitHub and OpenID Connect.

Settings (MCPHub's ``betterAuth`` keys, plus what an OIDC provider needs)::

    "auth": {"betterAuth": {"enabled": true, "basePath": "/api/auth/better", "providers": {
        "github": {"enabled": true, "clientId": "…", "clientSecret": "…"},
        "oidc": {"enabled": true, "issuer": "https://idp.example", "clientId": "…",
                 "clientSecret": "…", "scope": "openid email profile"}}}}

Client ids and secrets may also come from ``GITHUB_CLIENT_ID``/``GITHUB_CLIENT_SECRET`` and
``OIDC_CLIENT_ID``/``OIDC_CLIENT_SECRET``. GitHub's URLs can be moved (``authorizeUrl``,
``tokenUrl``, ``apiUrl``) for GitHub Enterprise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx2
import jwt
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.plugin_api import Hub

TIMEOUT = 15.0


class ProviderSettings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    enabled: bool = True
    client_id: str = ""
    client_secret: str = ""
    issuer: str = ""
    scope: str = ""
    authorize_url: str = "https://github.com/login/oauth/authorize"
    token_url: str = "https://github.com/login/oauth/access_token"
    api_url: str = "https://api.github.com"


class BetterAuthSettings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    enabled: bool = True
    base_path: str = "/api/auth/better"
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)


def settings(hub: Hub) -> BetterAuthSettings:
    auth = (hub.config.system.model_extra or {}).get("auth") or {}
    raw = auth.get("betterAuth") if isinstance(auth, dict) else None
    return BetterAuthSettings.model_validate(raw if isinstance(raw, dict) else {})


def provider(hub: Hub, name: str) -> ProviderSettings | None:
    """An enabled, configured provider by name (``github`` or ``oidc``), or None."""
    cfg = settings(hub)
    found = cfg.providers.get(name)
    if not cfg.enabled or found is None or not found.enabled or name not in ("github", "oidc"):
        return None
    env = name.upper()
    found = found.model_copy(
        update={
            "client_id": found.client_id or os.environ.get(f"{env}_CLIENT_ID", ""),
            "client_secret": found.client_secret or os.environ.get(f"{env}_CLIENT_SECRET", ""),
        }
    )
    if not found.client_id or (name == "oidc" and not found.issuer):
        return None
    return found


@dataclass
class Identity:
    """Who the provider says logged in."""

    subject: str
    username: str


class LoginFailed(Exception):
    """The provider's answer did not check out."""


async def discover(http: httpx2.AsyncClient, issuer: str) -> dict[str, Any]:
    r = await http.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
    r.raise_for_status()
    doc: dict[str, Any] = r.json()
    if doc.get("issuer") != issuer.rstrip("/") and doc.get("issuer") != issuer:
        raise LoginFailed("discovery document names another issuer")
    return doc


async def authorize_url(p: ProviderSettings, name: str) -> tuple[str, dict[str, Any]]:
    """The provider's authorization endpoint (and its discovery document for OIDC)."""
    if name == "github":
        return p.authorize_url, {}
    async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
        doc = await discover(http, p.issuer)
    return str(doc["authorization_endpoint"]), doc


async def exchange(
    p: ProviderSettings, name: str, code: str, redirect_uri: str, verifier: str, nonce: str
) -> Identity:
    """Exchange the code and find out who logged in."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": p.client_id,
        "client_secret": p.client_secret,
        "code_verifier": verifier,
    }
    async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
        if name == "github":
            r = await http.post(p.token_url, data=form, headers={"Accept": "application/json"})
            token = r.json().get("access_token") if r.status_code == 200 else None
            if not token:
                raise LoginFailed("the provider refused the code")
            user = await http.get(
                p.api_url.rstrip("/") + "/user",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if user.status_code != 200:
                raise LoginFailed("the provider's user API failed")
            data = user.json()
            return Identity(str(data["id"]), str(data.get("login") or data["id"]))
        doc = await discover(http, p.issuer)
        r = await http.post(str(doc["token_endpoint"]), data=form)
        id_token = r.json().get("id_token") if r.status_code == 200 else None
        if not id_token:
            raise LoginFailed("the provider refused the code")
        jwks = (await http.get(str(doc["jwks_uri"]))).json()
    claims = check_id_token(id_token, jwks, doc["issuer"], p.client_id, nonce)
    name_claim = claims.get("preferred_username") or claims.get("email") or claims["sub"]
    return Identity(str(claims["sub"]), str(name_claim))


def check_id_token(
    token: str, jwks: dict[str, Any], issuer: str, audience: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims: signed by a key of the provider's JWKS, for us, unexpired."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(jwks).keys
        key = next((k for k in keys if kid is None or k.key_id == kid), None)
        if key is None:
            raise LoginFailed("ID token signed by an unknown key")
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=["RS256", "ES256", "PS256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise LoginFailed(f"invalid ID token: {exc}") from None
    if claims.get("nonce") != nonce:
        raise LoginFailed("ID token nonce does not match")
    return claims
