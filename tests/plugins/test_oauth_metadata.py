"""Metadata documents, the run-time off switch, RFC 7592 management, the OAuth clients API
and imported MCPHub clients and tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from hub.server import HubServer
from hub.testing import HubClient, RawMcp
from tests.plugins.oauth_helpers import REDIRECT, Client, register

IMPORTED_ACCESS = "a" * 64
IMPORTED_SECRET = "c" * 64


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    # As MCPHub writes them: plaintext secret and tokens, ISO dates.
    return {
        "mcpServers": {},
        "oauthClients": [
            {
                "clientId": "imported-client",
                "clientSecret": IMPORTED_SECRET,
                "name": "Old client",
                "redirectUris": [REDIRECT],
                "grants": ["authorization_code", "refresh_token"],
                "scopes": ["read", "write"],
                "owner": "admin",
            }
        ],
        "oauthTokens": [
            {
                "accessToken": IMPORTED_ACCESS,
                "accessTokenExpiresAt": "2999-01-01T00:00:00.000Z",
                "refreshToken": "b" * 64,
                "refreshTokenExpiresAt": "2999-01-01T00:00:00.000Z",
                "scope": "read write",
                "clientId": "imported-client",
                "username": "admin",
            }
        ],
    }


@pytest.fixture
async def http(hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=f"http://{hub_server.address}", timeout=20) as client:
        yield client


async def test_metadata_documents(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    base = str(http.base_url).rstrip("/")
    r = await http.get("/.well-known/oauth-authorization-server")
    doc = r.json()
    assert doc["issuer"] == base
    assert doc["token_endpoint"] == f"{base}/oauth/token"
    assert doc["registration_endpoint"] == f"{base}/oauth/register"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    for path in ("/mcp", "/mcp/some-group", "/alice/mcp"):
        r = await http.get(f"/.well-known/oauth-protected-resource{path}")
        assert r.status_code == 200
        assert r.json()["resource"] == base + path
        assert r.json()["authorization_servers"] == [base]
    assert (await http.get("/.well-known/oauth-protected-resource/api/x")).status_code == 404
    assert (await http.get("/.well-known/oauth-authorization-server/other")).status_code == 404
    # the 401 on an MCP route points at the path-suffixed document
    r = await RawMcp(http, "/mcp").initialize()
    assert (
        f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
        in (r.headers["WWW-Authenticate"])
    )

    # install.baseUrl, when set, is the issuer (and is not filled in by other writes)
    r = await admin_client.put("/api/system-config", json={"routing": {"skipAuth": False}})
    assert r.status_code == 200
    assert (await http.get("/.well-known/oauth-authorization-server")).json()["issuer"] == base
    r = await admin_client.put(
        "/api/system-config", json={"install": {"baseUrl": "https://hub.example/"}}
    )
    assert r.status_code == 200
    doc = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert doc["issuer"] == "https://hub.example"
    assert doc["authorization_endpoint"] == "https://hub.example/oauth/authorize"

    # dynamic registration off: no endpoint advertised, 403
    r = await admin_client.put(
        "/api/system-config", json={"oauthServer": {"dynamicRegistration": {"enabled": False}}}
    )
    assert r.status_code == 200
    assert (
        "registration_endpoint"
        not in (await http.get("/.well-known/oauth-authorization-server")).json()
    )
    r = await http.post("/oauth/register", json={"redirect_uris": [REDIRECT]})
    assert r.status_code == 403


async def test_off_switch_at_run_time(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    client, _ = await register(http, token_endpoint_auth_method="none")
    r = await admin_client.put("/api/system-config", json={"oauthServer": {"enabled": False}})
    assert r.status_code == 200
    for path in (
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
        "/oauth/authorize",
    ):
        assert (await http.get(path)).status_code == 404, path
    assert (await http.post("/oauth/token", data={"grant_type": "x"})).status_code == 404
    assert (await http.post("/oauth/register", json={})).status_code == 404
    r = await RawMcp(http, "/mcp", {"Authorization": "Bearer wrong"}).initialize()
    assert r.status_code == 401
    assert "resource_metadata" not in r.headers["WWW-Authenticate"]
    assert "resource_metadata" not in r.json()
    # imported tokens stop with the server off
    r = await RawMcp(http, "/mcp", {"Authorization": f"Bearer {IMPORTED_ACCESS}"}).initialize()
    assert r.status_code == 401
    assert client.client_id


async def test_registration_management(http: httpx2.AsyncClient) -> None:
    r = await http.post("/oauth/register", json={"redirect_uris": ["http://evil.example/cb"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"
    r = await http.post("/oauth/register", json={"redirect_uris": [REDIRECT], "scope": "admin"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    client, reg = await register(http)
    uri = reg["registration_client_uri"]
    assert uri.endswith(f"/oauth/register/{client.client_id}")
    auth = {"Authorization": f"Bearer {reg['registration_access_token']}"}
    assert (await http.get(uri)).status_code == 401
    assert (await http.get(uri, headers={"Authorization": "Bearer nope"})).status_code == 401
    r = await http.get(uri, headers=auth)
    assert r.status_code == 200 and "client_secret" not in r.json()
    r = await http.put(uri, headers=auth, json={"client_name": "Renamed"})
    assert r.status_code == 200 and r.json()["client_name"] == "Renamed"
    r = await http.put(uri, headers=auth, json={"redirect_uris": []})
    assert r.status_code == 400
    assert (await http.delete(uri, headers=auth)).status_code == 204
    assert (await http.get(uri, headers=auth)).status_code == 401


async def test_clients_api(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    r = await admin_client.post(
        "/api/oauth/clients", json={"name": "CLI", "redirectUris": [REDIRECT]}
    )
    assert r.status_code == 201, r.text
    created = r.json()
    client = created["client"]
    assert len(client["clientId"]) == 32 and len(client["clientSecret"]) == 64
    assert client["owner"] == "admin" and client["scopes"] == ["read", "write"]
    assert created["warning"]
    cid = client["clientId"]
    r = await admin_client.get("/api/oauth/clients")
    listed = {c["clientId"]: c for c in r.json()["clients"]}
    assert cid in listed and "imported-client" in listed
    assert "clientSecret" not in listed[cid] and "clientSecretHash" not in r.text
    r = await admin_client.put(f"/api/oauth/clients/{cid}", json={"name": "CLI 2"})
    assert r.json()["client"]["name"] == "CLI 2"
    r = await admin_client.post("/api/oauth/clients", json={"name": "x", "redirectUris": []})
    assert r.status_code == 400 and r.json()["success"] is False

    # the secret works at the token endpoint until it is regenerated
    jwt = admin_client.token
    assert jwt
    oauth = Client(http, cid, client["clientSecret"])
    assert (await oauth.exchange(jwt))["access_token"]
    r = await admin_client.post(f"/api/oauth/clients/{cid}/regenerate-secret")
    new_secret = r.json()["clientSecret"]
    assert new_secret != client["clientSecret"]
    code, verifier = await oauth.code(jwt)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    r = await oauth.token(**form, code_verifier=verifier)
    assert r.json()["error"] == "invalid_client"
    oauth.secret = new_secret
    code, verifier = await oauth.code(jwt)
    r = await oauth.token(**{**form, "code": code}, code_verifier=verifier)
    assert r.status_code == 200

    # users see and touch only their own
    r = await admin_client.post(
        "/api/users", json={"username": "bob", "password": "B0b!pass-word", "isAdmin": False}
    )
    bob = HubClient(admin_client.base_url)
    await bob.login("bob", "B0b!pass-word")
    assert (await bob.get("/api/oauth/clients")).json()["clients"] == []
    assert (await bob.get(f"/api/oauth/clients/{cid}")).status_code == 403
    assert (await bob.delete(f"/api/oauth/clients/{cid}")).status_code == 403
    r = await bob.post("/api/oauth/clients", json={"name": "Bob's", "redirectUris": [REDIRECT]})
    assert r.json()["client"]["owner"] == "bob"
    assert len((await bob.get("/api/oauth/clients")).json()["clients"]) == 1
    await bob.aclose()

    assert (await admin_client.delete(f"/api/oauth/clients/{cid}")).status_code == 200
    r = await admin_client.get(f"/api/oauth/clients/{cid}")
    assert r.status_code == 404 and r.json()["message"] == "OAuth client not found"


async def test_imported_mcphub_client_and_token_keep_working(
    hub_server: HubServer, http: httpx2.AsyncClient
) -> None:
    r = await RawMcp(http, "/mcp", {"Authorization": f"Bearer {IMPORTED_ACCESS}"}).initialize()
    assert r.status_code == 200, r.text
    stored = repr(await hub_server.hub.store.items("oauth_tokens"))
    stored += repr(await hub_server.hub.store.items("oauth_clients"))
    assert IMPORTED_ACCESS not in stored and IMPORTED_SECRET not in stored
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "b" * 64},
        auth=("imported-client", IMPORTED_SECRET),
    )
    assert r.status_code == 200, r.text


async def test_issuer_follows_the_proxy_headers(http: httpx2.AsyncClient) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hub.example"}
    doc = (await http.get("/.well-known/oauth-authorization-server", headers=headers)).json()
    assert doc["issuer"] == "https://hub.example"
    assert doc["token_endpoint"] == "https://hub.example/oauth/token"


async def test_failed_logins_at_authorize_are_rate_limited(http: httpx2.AsyncClient) -> None:
    client, _ = await register(http, token_endpoint_auth_method="none")
    form = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
        "allow": "true",
        "token": "forged.jwt.value",
    }
    statuses = [(await http.post("/oauth/authorize", data=form)).status_code for _ in range(12)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    r = await http.post("/api/auth/login", json={"username": "admin", "password": "wrong"})
    assert r.status_code == 429, "the same limiter as the login route"
