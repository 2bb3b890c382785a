"""Dynamic client registration (RFC 7591) at ``/oauth/register`` and its management (RFC 7592)
at ``/oauth/register/{clientId}`` with the registration access token.

The registration access token is stored hashed in the client record, so it survives a
restart (MCPHub keeps it in memory only)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from hub.plugin_api import Limit, hash_key, limiter_for, oauth_clients, same_secret, too_many
from mcphub_oauth import urls
from mcphub_oauth.base import OAuthHandler
from mcphub_oauth.grants import OAuthError

OPTIONAL = (
    "application_type",
    "contacts",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "jwks_uri",
    "jwks",
    "software_id",
    "software_version",
)
UPDATABLE = (
    "client_name",
    "redirect_uris",
    "grant_types",
    "scope",
    "contacts",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
)
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
REGISTRATIONS = Limit(30, 60.0)
"""Dynamic registrations allowed per client IP per minute (the endpoint is unauthenticated)."""


class RegistrationBase(OAuthHandler):
    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OAuthError("invalid_client_metadata", "Body must be JSON") from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_client_metadata", "Body must be a JSON object")
        return data

    def checked(self, data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Validated metadata fields of ``data`` (``current`` supplies what is left out)."""
        cfg = self.hub.config.system.oauth_server
        out: dict[str, Any] = {}
        if "redirect_uris" in data or current is None:
            uris = data.get("redirect_uris")
            if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
                raise OAuthError("invalid_redirect_uri", "redirect_uris must be a non-empty array")
            try:
                out["redirectUris"] = [oauth_clients.check_redirect_uri(u) for u in uris]
            except ValueError as exc:
                raise OAuthError("invalid_redirect_uri", str(exc)) from None
        if "grant_types" in data or current is None:
            grant_types = data.get("grant_types") or list(
                cfg.dynamic_registration.allowed_grant_types
            )
            if not isinstance(grant_types, list) or not set(grant_types) <= set(
                cfg.dynamic_registration.allowed_grant_types
            ):
                raise OAuthError("invalid_client_metadata", "grant_types not allowed")
            out["grants"] = grant_types
        if "scope" in data or current is None:
            scope = data.get("scope") or " ".join(cfg.allowed_scopes)
            if not isinstance(scope, str) or not set(scope.split()) <= set(cfg.allowed_scopes):
                raise OAuthError("invalid_client_metadata", "scope not allowed")
            out["scopes"] = scope.split()
        if "client_name" in data or current is None:
            name = data.get("client_name") or "Dynamically Registered Client"
            if not isinstance(name, str) or len(name) > 256:
                raise OAuthError("invalid_client_metadata", "client_name must be a short string")
            out["name"] = name
        response_types = data.get("response_types", ["code"])
        if response_types != ["code"]:
            raise OAuthError("invalid_client_metadata", 'response_types must be ["code"]')
        return out

    def described(self, doc: dict[str, Any]) -> dict[str, Any]:
        """RFC 7591's view of a client record (no secret, no registration token)."""
        meta = doc.get("metadata", {})
        out: dict[str, Any] = {
            "client_id": doc["clientId"],
            "client_name": doc.get("name"),
            "redirect_uris": doc.get("redirectUris", []),
            "grant_types": doc.get("grants", []),
            "response_types": meta.get("response_types", ["code"]),
            "scope": " ".join(doc.get("scopes", [])),
            "token_endpoint_auth_method": meta.get("token_endpoint_auth_method", "none"),
            "client_id_issued_at": doc.get("createdAt"),
            "registration_client_uri": f"{urls.issuer(self.hub, self.request)}/oauth/register/{doc['clientId']}",
        }
        out.update({k: meta[k] for k in OPTIONAL if k in meta})
        return out


class RegisterHandler(RegistrationBase):
    async def post(self) -> None:
        self.set_header("Cache-Control", "no-store")
        if not self.hub.config.system.oauth_server.dynamic_registration.enabled:
            raise OAuthError("invalid_request", "Dynamic client registration is disabled", 403)
        wait = limiter_for(self.hub, "oauth-registrations", REGISTRATIONS).hit(
            self.request.remote_ip or "?"
        )
        if wait is not None:
            raise too_many(wait)
        data = self.body()
        fields = self.checked(data, None)
        method = data.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in AUTH_METHODS:
            raise OAuthError("invalid_client_metadata", "token_endpoint_auth_method not supported")
        doc, secret = oauth_clients.new_record(
            fields["name"],
            fields["redirectUris"],
            fields["grants"],
            fields["scopes"],
            oauth_clients.DYNAMIC_OWNER,
            with_secret=method != "none",
        )
        registration_token = secrets.token_hex(32)
        doc["registrationTokenHash"] = hash_key(registration_token)
        doc["metadata"] = {
            "token_endpoint_auth_method": method,
            "response_types": ["code"],
            **{k: data[k] for k in OPTIONAL if k in data},
        }
        await oauth_clients.save(self.hub, doc)
        reply = self.described(doc)
        reply["registration_access_token"] = registration_token
        if secret:
            reply["client_secret"] = secret
            reply["client_secret_expires_at"] = 0
        self.oauth_json(reply, 201)


class ClientRegistrationHandler(RegistrationBase):
    def _client(self, client_id: str) -> dict[str, Any]:
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        doc = oauth_clients.find(self.hub, client_id)
        stored = str((doc or {}).get("registrationTokenHash", ""))
        if scheme.lower() != "bearer" or not token or not stored:
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            raise OAuthError("invalid_token", "Invalid registration access token", 401)
        if not same_secret(stored, hash_key(token.strip())):
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            raise OAuthError("invalid_token", "Invalid registration access token", 401)
        assert doc is not None
        return doc

    async def get(self, client_id: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.oauth_json(self.described(self._client(client_id)))

    async def put(self, client_id: str) -> None:
        self.set_header("Cache-Control", "no-store")
        doc = dict(self._client(client_id))
        data = {k: v for k, v in self.body().items() if k in UPDATABLE}
        doc.update(self.checked(data, doc))
        meta = dict(doc.get("metadata", {}))
        meta.update({k: data[k] for k in OPTIONAL if k in data})
        doc["metadata"] = meta
        await oauth_clients.save(self.hub, doc)
        self.oauth_json(self.described(doc))

    async def delete(self, client_id: str) -> None:
        self._client(client_id)
        await oauth_clients.remove(self.hub, client_id)
        self.set_status(204)
        self.finish()
