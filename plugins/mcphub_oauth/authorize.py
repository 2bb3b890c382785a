"""``/oauth/authorize``: the user's login, then an explicit consent, then a code.

As MCPHub: without a user, a redirect to the dashboard's ``/login?returnUrl=…``; the user is
the dashboard JWT in ``x-auth-token``, ``Authorization: Bearer``, or a ``token`` query or form
field. ``GET`` shows the consent page (two forms posting back here, ``allow=true`` or
``false``); ``POST`` with ``allow=true`` redirects to the client with ``code``, ``state`` and
``iss``. A script drives it with two requests and no browser. Unknown clients and redirect
URIs that are not exactly registered are answered here, never redirected to.
"""

from __future__ import annotations

import html
import time
from typing import Any
from urllib.parse import urlencode

from hub.plugin_api import LOGIN_FAILURES, Principal, identify, limiter_for, oauth_clients, too_many
from mcphub_oauth import urls
from mcphub_oauth.base import OAuthHandler
from mcphub_oauth.grants import Code, OAuthError, new_code

FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
)


class Redirect(Exception):
    """An error reported to the client at its (verified) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class AuthorizeHandler(OAuthHandler):
    async def get(self) -> None:
        client, redirect_uri = self._client()
        user = await self._user()
        if user is None:
            return_url = self.request.uri or "/oauth/authorize"
            self.redirect(f"{self.hub.base_path}/login?{urlencode({'returnUrl': return_url})}")
            return
        try:
            scope = self._checked(client)
        except Redirect as exc:
            self._back(redirect_uri, {"error": exc.error, "error_description": exc.description})
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' " + redirect_uri,
        )
        self.finish(self._consent(client, user, scope))

    async def post(self) -> None:
        client, redirect_uri = self._client()
        if self.arg("allow") != "true":
            self._back(
                redirect_uri,
                {"error": "access_denied", "error_description": "The user denied access"},
            )
            return
        user = await self._user()
        if user is None:
            raise OAuthError("unauthorized", "User not authenticated", 401)
        try:
            scope = self._checked(client)
        except Redirect as exc:
            self._back(redirect_uri, {"error": exc.error, "error_description": exc.description})
            return
        record = self.hub.config.users.get(user.name)
        if record is None:
            raise OAuthError("unauthorized", "User not authenticated", 401)
        cfg = self.hub.config.system.oauth_server
        code = new_code(
            self.hub,
            Code(
                client_id=client["clientId"],
                username=record.username,
                redirect_uri=redirect_uri,
                scope=scope,
                challenge=self.arg("code_challenge") or "",
                resource=self.arg("resource") or "",
                expires=time.time() + cfg.authorization_code_lifetime,
                user_version=record.token_version,
                admin=record.is_admin,
            ),
        )
        self._back(redirect_uri, {"code": code})

    # ------------------------------------------------------------------ checks

    def _client(self) -> tuple[dict[str, Any], str]:
        client_id = self.arg("client_id")
        if not client_id:
            raise OAuthError("invalid_request", "client_id is required")
        client = oauth_clients.find(self.hub, client_id)
        if client is None:
            raise OAuthError("invalid_client", "Client not found")
        redirect_uri = self.arg("redirect_uri")
        uris = client.get("redirectUris", [])
        if redirect_uri is None and len(uris) == 1:
            redirect_uri = uris[0]
        if redirect_uri is None or redirect_uri not in uris:
            raise OAuthError("invalid_request", "Invalid redirect_uri")
        return client, redirect_uri

    def _checked(self, client: dict[str, Any]) -> str:
        """The scope granted, after the checks reported at the redirect URI."""
        cfg = self.hub.config.system.oauth_server
        if self.arg("response_type") != "code":
            raise Redirect("unsupported_response_type", "response_type must be code")
        if "authorization_code" not in client.get("grants", ["authorization_code"]):
            raise Redirect("unauthorized_client", "Client may not use the authorization code grant")
        if not self.arg("code_challenge"):
            raise Redirect("invalid_request", "code_challenge is required (PKCE S256)")
        if self.arg("code_challenge_method") != "S256":
            raise Redirect("invalid_request", "code_challenge_method must be S256")
        if cfg.require_state and not self.arg("state"):
            raise Redirect("invalid_request", "state is required")
        resource = self.arg("resource")
        if resource and not urls.valid_resource(self.hub, self.request, resource):
            raise Redirect("invalid_target", "resource is not served by this hub")
        allowed = [s for s in cfg.allowed_scopes if s in client.get("scopes", cfg.allowed_scopes)]
        asked = (self.arg("scope") or "").split()
        if not asked:
            return " ".join(allowed)
        granted = [s for s in asked if s in allowed]
        if not granted:
            raise Redirect("invalid_scope", "None of the requested scopes is allowed")
        return " ".join(granted)

    async def _user(self) -> Principal | None:
        """The logged-in user (a dashboard JWT); failed attempts count as failed logins."""
        failures = limiter_for(self.hub, "password-failures", LOGIN_FAILURES)
        ip = self.request.remote_ip or "?"
        wait = failures.retry_after(ip)
        if wait is not None:
            raise too_many(wait)
        form_token = self.get_body_argument("token", None)
        if form_token and not self.request.headers.get("x-auth-token"):
            # The consent form carries the JWT as a field (no cookies, so no CSRF surface).
            self.request.headers["x-auth-token"] = form_token
        principal = await identify(self.hub, self.request)
        if principal is not None and principal.kind == "user":
            return principal
        if self._sent_token():
            failures.add(ip)
        return None

    def _sent_token(self) -> bool:
        headers = self.request.headers
        return bool(
            headers.get("x-auth-token") or headers.get("Authorization") or self.arg("token")
        )

    # ------------------------------------------------------------------ replies

    def _back(self, redirect_uri: str, params: dict[str, str]) -> None:
        state = self.arg("state")
        if state:
            params["state"] = state
        params["iss"] = urls.issuer(self.hub, self.request)
        glue = "&" if "?" in redirect_uri else "?"
        self.redirect(redirect_uri + glue + urlencode(params))

    def _consent(self, client: dict[str, Any], user: Principal, scope: str) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name in FIELDS
            if (value := self.arg(name) or ("" if name in ("scope", "state") else None)) is not None
        )
        token = self.get_query_argument("token", None)
        if token:
            hidden += f'<input type="hidden" name="token" value="{html.escape(token)}">'
        action = html.escape(self.request.path)
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in scope.split())
        name = html.escape(str(client.get("name", client["clientId"])))
        return (
            "<!doctype html><html><head><meta charset=utf-8><title>Authorize "
            f"{name}</title></head><body><h1>Authorize {name}</h1>"
            f"<p>Signed in as <b>{html.escape(user.name)}</b>. {name} asks to use this hub's "
            f"MCP servers on your behalf with these scopes:</p><ul>{scopes}</ul>"
            f'<form method="POST" action="{action}">{hidden}'
            '<input type="hidden" name="allow" value="true"><button type="submit">Allow</button></form>'
            f'<form method="POST" action="{action}">{hidden}'
            '<input type="hidden" name="allow" value="false"><button type="submit">Deny</button></form>'
            "</body></html>"
        )
