"""Credentials for calls to an OpenAPI upstream: API keys, HTTP bearer/basic, OAuth 2.

Client-credentials tokens are fetched on first use and refreshed shortly before they expire
(or at once after the API answers 401). Missing details (the API key's name and location,
the token URL) are taken from the spec's ``securitySchemes``. Secrets are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx2

from mcphub_openapi.config import SecurityConfig
from mcphub_openapi.loader import SpecError

log = logging.getLogger(__name__)

REFRESH_MARGIN = 30.0
"""Seconds before expiry at which a cached token is replaced."""
DEFAULT_LIFETIME = 3600.0
TOKEN_TIMEOUT = 30.0


@dataclass
class Outgoing:
    """The parts of a request credentials may add to."""

    headers: dict[str, str]
    query: list[tuple[str, str]]
    cookies: dict[str, str] = field(default_factory=dict)


def _schemes(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return [s for s in schemes.values() if isinstance(s, dict) and s.get("type") == kind]


class Credentials:
    """Applies one configured security scheme to every outgoing request."""

    def __init__(
        self,
        security: SecurityConfig,
        document: dict[str, Any],
        spec_url: str | None,
        client: httpx2.AsyncClient,
    ) -> None:
        self.kind = security.type
        self.client = client
        self._static: tuple[str, str, str] | None = None  # (location, name, value)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self._token_url: str | None = None
        self._discovery: str | None = None
        self._client_id = ""
        self._client_secret = ""
        self._scopes: list[str] = []
        self.fetched = 0
        if self.kind == "apiKey" and security.api_key is not None:
            key = security.api_key
            spec_key = next(iter(_schemes(document, "apiKey")), {})
            name = key.name or spec_key.get("name")
            where = key.in_ or spec_key.get("in") or "header"
            if not name:
                raise SpecError("security.apiKey.name is unset and the spec has no apiKey scheme")
            self._static = (where, str(name), key.value)
        elif self.kind == "http" and security.http is not None:
            cred = security.http.credentials
            if security.http.scheme == "basic":
                if ":" in cred:
                    cred = base64.b64encode(cred.encode()).decode()
                self._static = ("header", "Authorization", f"Basic {cred}")
            else:
                self._static = ("header", "Authorization", f"Bearer {cred}")
        elif self.kind == "oauth2" and security.oauth2 is not None:
            oauth = security.oauth2
            if oauth.token:
                self._static = ("header", "Authorization", f"Bearer {oauth.token}")
            else:
                flows = [s.get("flows") or {} for s in _schemes(document, "oauth2")]
                spec_url_token = next(
                    (
                        f["clientCredentials"].get("tokenUrl")
                        for f in flows
                        if isinstance(f.get("clientCredentials"), dict)
                    ),
                    None,
                )
                token_url = oauth.token_url or spec_url_token
                if not token_url:
                    raise SpecError("oauth2 client credentials need a tokenUrl (config or spec)")
                self._token_url = urljoin(spec_url or "", str(token_url))
                self._client(oauth.client_id, oauth.client_secret, oauth.scopes)
        elif self.kind == "openIdConnect" and security.open_id_connect is not None:
            oidc = security.open_id_connect
            if oidc.token:
                self._static = ("header", "Authorization", f"Bearer {oidc.token}")
            else:
                spec_oidc = next(iter(_schemes(document, "openIdConnect")), {})
                url = oidc.url or spec_oidc.get("openIdConnectUrl")
                if not url:
                    raise SpecError("openIdConnect needs url (config or spec openIdConnectUrl)")
                self._discovery = urljoin(spec_url or "", str(url))
                self._client(oidc.client_id, oidc.client_secret, oidc.scopes)

    def _client(self, client_id: str | None, secret: str | None, scopes: list[str]) -> None:
        self._client_id, self._client_secret, self._scopes = client_id or "", secret or "", scopes

    @property
    def refreshable(self) -> bool:
        return self._token_url is not None or self._discovery is not None

    async def apply(self, out: Outgoing) -> None:
        if self._static is not None:
            where, name, value = self._static
        elif self.refreshable:
            where, name, value = "header", "Authorization", f"Bearer {await self.token()}"
        else:
            return
        if where == "header":
            out.headers[name] = value
        elif where == "query":
            out.query.append((name, value))
        else:
            out.cookies[name] = value

    def invalidate(self, token_used: str | None = None) -> None:
        """Forget the cached token (the API refused it)."""
        if token_used is None or token_used == f"Bearer {self._token}":
            self._token, self._refresh_at = None, 0.0

    async def token(self) -> str:
        if self._token and time.monotonic() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._refresh_at:
                return self._token
            self._token, lifetime = await self._fetch_token()
            # Refresh a little before expiry: 30 s early, or a tenth early for short tokens.
            self._refresh_at = time.monotonic() + lifetime - min(REFRESH_MARGIN, lifetime / 10)
            self.fetched += 1
            return self._token

    async def _fetch_token(self) -> tuple[str, float]:
        if self._token_url is None and self._discovery is not None:
            meta = await self.client.get(self._discovery, timeout=TOKEN_TIMEOUT)
            endpoint = meta.json().get("token_endpoint") if meta.status_code < 400 else None
            if not isinstance(endpoint, str):
                raise RuntimeError(f"no token_endpoint at {self._discovery}")
            self._token_url = endpoint
        assert self._token_url is not None
        form = {"grant_type": "client_credentials"}
        if self._scopes:
            form["scope"] = " ".join(self._scopes)
        basic = httpx2.BasicAuth(self._client_id, self._client_secret)
        response = await self.client.post(
            self._token_url, data=form, auth=basic, timeout=TOKEN_TIMEOUT
        )
        if response.status_code in (400, 401):
            # Some servers only read client_secret_post.
            posted = {**form, "client_id": self._client_id, "client_secret": self._client_secret}
            response = await self.client.post(self._token_url, data=posted, timeout=TOKEN_TIMEOUT)
        if response.status_code >= 400:
            raise RuntimeError(f"token request failed: HTTP {response.status_code}")
        data = response.json()
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RuntimeError("token response has no access_token")
        try:
            lifetime = float(data.get("expires_in") or DEFAULT_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        log.debug("Fetched a client-credentials token valid for %.0fs", lifetime)
        return token, lifetime
