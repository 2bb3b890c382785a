"""OAuth clients of the hub's authorization server: list, create, change, delete, new secret.

Records keep MCPHub's ``oauthClients`` shape (``clientId``, ``name``, ``redirectUris``,
``grants``, ``scopes``, ``owner``, ``metadata``) with the secret replaced by its hash
(``clientSecretHash``): a secret is shown once, by the call that made it. Admins manage every
client; other users only those they own. Dynamically registered clients (RFC 7591) are
owned by ``dynamic-registration``. The authorization server (plugin ``mcphub_oauth``) reads
and writes the same records through these functions.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from hub.auth.principal import Principal
from hub.auth.tokens import hash_key, same_secret
from hub.errors import BadRequest, Forbidden, NotFound
from hub.services import Body

if TYPE_CHECKING:
    from hub.app import Hub

DEFAULT_GRANTS = ("authorization_code", "refresh_token")
DYNAMIC_OWNER = "dynamic-registration"
"""The owner of clients registered through RFC 7591 (MCPHub's name)."""


def check_redirect_uri(uri: str) -> str:
    """A redirect URI a client may register: absolute, ``https`` or a loopback ``http``, no
    fragment (OAuth 2.1 §2.3.1). Custom schemes of native apps (``myapp:/cb``) are allowed."""
    parts = urlsplit(uri)
    if (
        not parts.scheme
        or parts.fragment
        or (parts.scheme in ("http", "https") and not parts.netloc)
    ):
        raise ValueError(f"invalid redirect URI: {uri!r}")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise ValueError(f"redirect URI must use https (or a loopback host): {uri!r}")
    if parts.scheme in ("javascript", "data", "file"):
        raise ValueError(f"redirect URI scheme not allowed: {uri!r}")
    return uri


class NewClient(Body):
    """``POST /api/oauth/clients``."""

    name: str = Field(min_length=1, max_length=256)
    redirect_uris: list[str] = Field(min_length=1, max_length=32)
    grants: list[str] | None = None
    scopes: list[str] | None = None
    require_secret: bool = True

    @field_validator("redirect_uris")
    @classmethod
    def _uris(cls, value: list[str]) -> list[str]:
        return [check_redirect_uri(u) for u in value]


class ClientUpdate(Body):
    """``PUT /api/oauth/clients/{clientId}``: the fields to change."""

    name: str | None = Field(None, min_length=1, max_length=256)
    redirect_uris: list[str] | None = Field(None, min_length=1, max_length=32)
    grants: list[str] | None = None
    scopes: list[str] | None = None

    @field_validator("redirect_uris")
    @classmethod
    def _uris(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [check_redirect_uri(u) for u in value]


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A client as the API shows it: never its secret or registration token."""
    return {
        "clientId": doc["clientId"],
        "name": doc.get("name", ""),
        "redirectUris": list(doc.get("redirectUris", [])),
        "grants": list(doc.get("grants", DEFAULT_GRANTS)),
        "scopes": list(doc.get("scopes", [])),
        "owner": doc.get("owner", "admin"),
    }


def find(hub: Hub, client_id: str) -> dict[str, Any] | None:
    """A client record by id, or None (no rights checked: for the authorization server)."""
    return hub.config.oauth_clients.get(client_id)


def secret_matches(doc: dict[str, Any], secret: str) -> bool:
    """Whether ``secret`` is the client's current secret (compared by hash)."""
    stored = doc.get("clientSecretHash")
    return bool(stored) and same_secret(str(stored), hash_key(secret))


def _check_scopes(hub: Hub, scopes: list[str]) -> list[str]:
    allowed = hub.config.system.oauth_server.allowed_scopes
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        raise BadRequest(f"Scopes not allowed: {', '.join(unknown)}")
    return scopes


def _check_grants(grants: list[str]) -> list[str]:
    unknown = [g for g in grants if g not in DEFAULT_GRANTS]
    if unknown:
        raise BadRequest(f"Unsupported grant types: {', '.join(unknown)}")
    return grants


def _mine(principal: Principal, doc: dict[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        raise NotFound("OAuth client not found")
    if not principal.is_admin and doc.get("owner") != principal.name:
        raise Forbidden("Forbidden")
    return doc


def list_clients(hub: Hub, principal: Principal) -> list[dict[str, Any]]:
    docs = hub.config.oauth_clients.values()
    return [public(d) for d in docs if principal.is_admin or d.get("owner") == principal.name]


def get_client(hub: Hub, principal: Principal, client_id: str) -> dict[str, Any]:
    return public(_mine(principal, find(hub, client_id)))


def new_record(
    name: str,
    redirect_uris: list[str],
    grants: list[str],
    scopes: list[str],
    owner: str,
    *,
    with_secret: bool,
) -> tuple[dict[str, Any], str | None]:
    """A fresh client record and its plaintext secret (None for a public client)."""
    secret = secrets.token_hex(32) if with_secret else None
    doc: dict[str, Any] = {
        "clientId": secrets.token_hex(16),
        "name": name,
        "redirectUris": redirect_uris,
        "grants": grants,
        "scopes": scopes,
        "owner": owner,
        "createdAt": int(time.time()),
    }
    if secret:
        doc["clientSecretHash"] = hash_key(secret)
    return doc, secret


async def create_client(
    hub: Hub, principal: Principal, body: NewClient
) -> tuple[dict[str, Any], str | None]:
    """Create a client owned by the caller; returns its public form and its secret (once)."""
    scopes = _check_scopes(hub, body.scopes or list(hub.config.system.oauth_server.allowed_scopes))
    grants = _check_grants(body.grants or list(DEFAULT_GRANTS))
    doc, secret = new_record(
        body.name,
        body.redirect_uris,
        grants,
        scopes,
        principal.name,
        with_secret=body.require_secret,
    )
    await hub.config.put_oauth_client(doc["clientId"], doc)
    return public(doc), secret


async def save(hub: Hub, doc: dict[str, Any]) -> None:
    """Store a client record as it is (the authorization server's registrations)."""
    await hub.config.put_oauth_client(str(doc["clientId"]), doc)


async def update_client(
    hub: Hub, principal: Principal, client_id: str, body: ClientUpdate
) -> dict[str, Any]:
    doc = dict(_mine(principal, find(hub, client_id)))
    if body.name is not None:
        doc["name"] = body.name
    if body.redirect_uris is not None:
        doc["redirectUris"] = body.redirect_uris
    if body.grants is not None:
        doc["grants"] = _check_grants(body.grants)
    if body.scopes is not None:
        doc["scopes"] = _check_scopes(hub, body.scopes)
    await hub.config.put_oauth_client(client_id, doc)
    return public(doc)


async def delete_client(hub: Hub, principal: Principal, client_id: str) -> None:
    """Delete a client and every token issued to it."""
    _mine(principal, find(hub, client_id))
    await remove(hub, client_id)


async def remove(hub: Hub, client_id: str) -> None:
    """Delete a client and its tokens (no rights checked: RFC 7592 checked its own)."""
    await hub.config.delete_oauth_client(client_id)
    for key, token in list(hub.config.oauth_tokens.items()):
        if token.get("clientId") == client_id:
            await hub.config.delete_oauth_token(key)


async def regenerate_secret(hub: Hub, principal: Principal, client_id: str) -> str:
    """A new secret for the client; the old one stops authenticating at once."""
    doc = dict(_mine(principal, find(hub, client_id)))
    secret = secrets.token_hex(32)
    doc["clientSecretHash"] = hash_key(secret)
    await hub.config.put_oauth_client(client_id, doc)
    return secret
