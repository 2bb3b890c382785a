"""The base of the authorization server's handlers: public routes (they check clients and
users themselves), OAuth's error body, and the run-time off switch."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from hub.plugin_api import APIHandler, HubError, Policy, oauth_clients
from mcphub_oauth.grants import OAuthError


class OAuthHandler(APIHandler):
    """Answers 404 while ``oauthServer.enabled`` is false; errors as ``{error, error_description}``."""

    policy = Policy.PUBLIC

    async def prepare(self) -> None:
        await super().prepare()
        if not self.hub.config.system.oauth_server.enabled:
            raise OAuthError("not_found", "OAuth server not configured", 404)

    def arg(self, name: str) -> str | None:
        """A query or form field (form fields only from urlencoded bodies)."""
        value = self.get_argument(name, None)
        return value.strip() if isinstance(value, str) else None

    def oauth_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body, separators=(",", ":")))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, HubError) and exc.status in (413, 429):
            if "retryAfter" in exc.extra:
                self.set_header("Retry-After", str(exc.extra["retryAfter"]))
            exc = OAuthError(
                "invalid_request" if exc.status == 413 else "slow_down", exc.message, exc.status
            )
        if not isinstance(exc, OAuthError):
            super().write_error(status_code, **kwargs)
            return
        self.clear_header("Content-Length")
        if exc.error == "not_found":
            self.oauth_json({"error": exc.description}, 404)
            return
        if exc.status == 401 and exc.error == "invalid_client":
            self.set_header("WWW-Authenticate", 'Basic realm="mcphub"')
        self.set_header("Cache-Control", "no-store")
        self.oauth_json({"error": exc.error, "error_description": exc.description}, exc.status)

    def client_credentials(self) -> tuple[str | None, str | None, str]:
        """``(client_id, secret, method)`` from HTTP Basic or the form (``none`` without a secret)."""
        header = self.request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                raw = base64.b64decode(header[6:].strip(), validate=True).decode()
                user, _, password = raw.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", "Malformed Basic credentials", 401) from None
            return unquote(user), unquote(password), "client_secret_basic"
        secret = self.arg("client_secret")
        return self.arg("client_id"), secret, "client_secret_post" if secret else "none"

    def authenticate_client(self) -> dict[str, Any]:
        """The calling client, authenticated as the settings and its registration require."""
        client_id, secret, method = self.client_credentials()
        doc = oauth_clients.find(self.hub, client_id or "")
        status = 401 if method == "client_secret_basic" else 400
        if doc is None:
            raise OAuthError("invalid_client", "Client not found", status)
        if secret is not None:
            if not oauth_clients.secret_matches(doc, secret):
                raise OAuthError("invalid_client", "Invalid client credentials", status)
        elif (
            doc.get("clientSecretHash") or self.hub.config.system.oauth_server.require_client_secret
        ):
            # A confidential client always proves itself (MCPHub lets it skip the secret).
            raise OAuthError("invalid_client", "Client authentication required", 401)
        return doc
