"""OAuth to upstream servers (sse, streamable-http), with the SDK's client provider.

Every HTTP upstream's client carries an ``OAuthClientProvider`` (``mcp.client.auth``): on a
401 it discovers the protected-resource metadata (``WWW-Authenticate`` ``resource_metadata``
or the well-known paths, RFC 9728), then the authorization server's (RFC 8414), registers a
client (RFC 7591) unless ``oauth.clientId`` names a pre-registered one, and builds the
authorization URL with PKCE S256. The flow then waits for a person: ``Target.authorize``
shows the URL (status ``oauth_required``) and the wait ends when ``/oauth/callback`` delivers
the code with the flow's ``state``. Tokens, their expiry and a registered client go to the
server's stored ``oauth`` section (``Target.save_oauth``: masked by the API, kept across
restarts); the provider refreshes an expiring token before using it and asks again for
consent, with the union of scopes, on a 403 ``insufficient_scope``.

``config.oauth`` keys read here (MCPHub's): ``clientId``, ``clientSecret``, ``scopes`` (list
or space-separated), ``redirectUri``, ``accessToken``, ``refreshToken``; and
``tokenEndpointAuthMethod`` (a pre-registered client's; default: as the server offers),
``clientMetadataUrl`` (an https URL where the hub's client metadata document is published:
its client id where the server supports Client ID Metadata Documents, instead of DCR);
written:
``accessToken``, ``refreshToken``, ``expiresAt`` (epoch seconds), ``registeredClient``.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.exceptions import OAuthFlowError
from mcp.client.auth.oauth2 import OAuthContext
from mcp.client.auth.utils import is_valid_client_metadata_url
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import Field

from hub.plugin_api import APIHandler, Hub, Policy, Target, hookimpl

DEFAULT_REDIRECT = "http://localhost:3000/oauth/callback"
"""MCPHub's last fallback when neither ``oauth.redirectUri`` nor ``install.baseUrl`` is set."""

REFRESH_MARGIN = 60.0
"""Seconds before its expiry at most that an access token is refreshed."""

waiting: dict[str, asyncio.Future[AuthorizationCodeResult]] = {}
"""Flows waiting for consent, by the ``state`` of their authorization URL."""


def redirect_uri(target: Target) -> str:
    """``oauth.redirectUri``, else ``<install.baseUrl>/oauth/callback``, else MCPHub's default."""
    oauth = target.config.oauth or {}
    if isinstance(oauth.get("redirectUri"), str) and oauth["redirectUri"]:
        return str(oauth["redirectUri"])
    base = target.system.install.base_url.rstrip("/")
    return f"{base}/oauth/callback" if base else DEFAULT_REDIRECT


def scopes_of(oauth: dict[str, Any]) -> str | None:
    scopes = oauth.get("scopes")
    if isinstance(scopes, list):
        return " ".join(str(s) for s in scopes) or None
    return str(scopes) if isinstance(scopes, str) and scopes else None


class ConfigStorage:
    """The SDK's ``TokenStorage`` over the server's ``oauth`` section."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.oauth: dict[str, Any] = dict(target.expand(target.config.oauth or {}))

    async def get_tokens(self) -> OAuthToken | None:
        access = self.oauth.get("accessToken")
        if not isinstance(access, str) or not access:
            return None
        expires_at = self.oauth.get("expiresAt")
        expires_in = None
        if isinstance(expires_at, int | float):
            expires_in = max(0, int(expires_at - time.time()))
        return OAuthToken(
            access_token=access,
            refresh_token=self.oauth.get("refreshToken") or None,
            expires_in=expires_in,
            scope=self.oauth.get("grantedScope") or None,
        )

    async def set_tokens(self, tokens: OAuthToken) -> None:
        values: dict[str, Any] = {
            "accessToken": tokens.access_token,
            "refreshToken": tokens.refresh_token or self.oauth.get("refreshToken"),
            "expiresAt": time.time() + tokens.expires_in if tokens.expires_in else None,
        }
        await self._save(values)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        registered = self.oauth.get("registeredClient")
        if isinstance(registered, dict):
            return OAuthClientInformationFull.model_validate(registered)
        client_id = self.oauth.get("clientId")
        if isinstance(client_id, str) and client_id:
            secret = self.oauth.get("clientSecret") or None
            method = self.oauth.get("tokenEndpointAuthMethod")
            return OAuthClientInformationFull(
                client_id=client_id,
                client_secret=secret,
                redirect_uris=[redirect_uri(self.target)],
                token_endpoint_auth_method=method or ("client_secret_basic" if secret else "none"),
            )
        return None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        if client_info.client_id == self.oauth.get("clientId"):
            return  # the pre-registered client: nothing new to keep
        await self._save(
            {"registeredClient": client_info.model_dump(mode="json", exclude_none=True)}
        )

    async def _save(self, values: dict[str, Any]) -> None:
        self.oauth.update(values)
        if self.target.save_oauth is not None:
            await self.target.save_oauth(values)


class Scopes(OAuthClientMetadata):
    """Client metadata keeping ``oauth.scopes`` when configured (MCPHub): a 401 asks for
    them rather than the scopes the upstream advertises; a step-up (403) adds its scopes."""

    configured: str | None = Field(default=None, exclude=True)
    step_up: bool = Field(default=False, exclude=True)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "scope" and self.configured and not self.step_up:
            value = self.configured
        super().__setattr__(name, value)


class RefreshEarly(OAuthContext):
    """Treats a token as expired a little before it is (a fifth of its life, at most
    ``REFRESH_MARGIN``), so it is refreshed before a request could meet its expiry."""

    choose_auth_method = False
    """A pre-registered client without ``oauth.tokenEndpointAuthMethod``: authenticate the
    way the server's metadata offers (``client_secret_basic``, RFC 8414's default, first)."""

    def prepare_token_auth(
        self, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[dict[str, str], dict[str, str]]:
        info = self.client_info
        if self.choose_auth_method and info is not None and info.client_secret:
            offered = ["client_secret_basic"]
            if self.oauth_metadata and self.oauth_metadata.token_endpoint_auth_methods_supported:
                offered = self.oauth_metadata.token_endpoint_auth_methods_supported
            usable = [m for m in ("client_secret_basic", "client_secret_post") if m in offered]
            info.token_endpoint_auth_method = usable[0] if usable else "client_secret_basic"
        return super().prepare_token_auth(data, headers)

    def update_token_expiry(self, token: OAuthToken) -> None:
        super().update_token_expiry(token)
        if self.token_expiry_time is not None and token.expires_in:
            self.token_expiry_time -= min(REFRESH_MARGIN, token.expires_in / 5)


class HubOAuthProvider(OAuthClientProvider):
    """The SDK's provider: refreshes early, and restores the stored expiry on a restart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        c = self.context
        self.context = RefreshEarly(
            c.server_url,
            c.client_metadata,
            c.storage,
            c.redirect_handler,
            c.callback_handler,
            c.client_metadata_url,
        )

    def _auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        return self._watch_flow(request, super()._auth_flow(request))

    async def _watch_flow(
        self, request: httpx2.Request, flow: AsyncGenerator[httpx2.Request, httpx2.Response]
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        """The SDK's flow, noting whether the request met a 403 (a scope step-up)."""
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                if outgoing is request and isinstance(self.context.client_metadata, Scopes):
                    self.context.client_metadata.step_up = response.status_code == 403
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()

    async def _initialize(self) -> None:
        await super()._initialize()
        tokens = self.context.current_tokens
        if tokens is not None and tokens.expires_in is not None:
            self.context.update_token_expiry(tokens)


def provider_for(target: Target, url: str) -> HubOAuthProvider:
    """The OAuth provider of one upstream connection."""
    storage = ConfigStorage(target)
    secret = storage.oauth.get("clientSecret")
    metadata = Scopes(
        configured=scopes_of(storage.oauth),
        client_name=f"MCPHub - {target.name}",
        redirect_uris=[redirect_uri(target)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        scope=scopes_of(storage.oauth),
    )

    flow = ConsentWait(target)
    document = storage.oauth.get("clientMetadataUrl")
    if not (isinstance(document, str) and is_valid_client_metadata_url(document)):
        document = None
    provider = HubOAuthProvider(url, metadata, storage, flow.show, flow.wait, document)
    if isinstance(provider.context, RefreshEarly):
        pre_registered = bool(storage.oauth.get("clientId") and secret)
        provider.context.choose_auth_method = pre_registered and not storage.oauth.get(
            "tokenEndpointAuthMethod"
        )
    return provider


class ConsentWait:
    """The SDK's redirect and callback handlers: show the URL, wait for its ``state``."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.state = ""

    async def show(self, authorization_url: str) -> None:
        self.state = parse_qs(urlsplit(authorization_url).query).get("state", [""])[0]
        self.target.authorize(authorization_url)

    async def wait(self) -> AuthorizationCodeResult:
        if not self.state:
            raise OAuthFlowError("the authorization URL carried no state")
        future: asyncio.Future[AuthorizationCodeResult] = asyncio.get_running_loop().create_future()
        waiting[self.state] = future
        try:
            return await future
        finally:
            waiting.pop(self.state, None)


PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


class OAuthCallbackHandler(APIHandler):
    """``GET /oauth/callback``: the authorization server sends the person back here with the
    ``code`` (or an ``error``) and the ``state`` of a waiting flow. Answers an HTML page."""

    policy = Policy.PUBLIC

    def page(self, status: int, title: str, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(PAGE.format(title=html.escape(title), text=html.escape(text)))

    async def get(self) -> None:
        state = self.get_argument("state", "")
        future = waiting.get(state) if state else None
        if future is None or future.done():
            self.page(400, "Authorization failed", "Unknown or expired authorization request.")
            return
        error = self.get_argument("error", "")
        if error:
            described = self.get_argument("error_description", "")
            future.set_exception(OAuthFlowError(f"authorization refused: {error} {described}"))
            self.page(400, "Authorization failed", f"The server answered: {error}.")
            return
        code = self.get_argument("code", "")
        if not code:
            self.page(400, "Authorization failed", "The callback carried no code.")
            return
        iss = self.get_argument("iss", None)
        future.set_result(AuthorizationCodeResult(code=code, state=state, iss=iss))
        self.page(200, "Authorization complete", "The hub is connecting; you may close this page.")


@hookimpl
def register_routes(hub: Hub) -> list[tuple[str, Any, dict[str, Any]]]:
    return [("/oauth/callback", OAuthCallbackHandler, {})]
