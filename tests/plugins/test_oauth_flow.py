"""The hub as an OAuth authorization server, over real HTTP: dynamic registration, login and
consent, code with PKCE, the access token on /mcp with its user's rights, refresh rotation,
and the token's end when its user is deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from hub.server import HubServer
from hub.testing import HubClient, RawMcp, reply
from tests.mcp_fixtures import bearer, connected_http, http_server
from tests.plugins.oauth_helpers import REDIRECT, register


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return {
        "mcpServers": {
            "mine": {**http_server(everything.url), "owner": "alice"},
            "theirs": http_server(everything.url),
        },
        "systemConfig": {"egress": {"allowInternal": True}},
    }


@pytest.fixture
async def http(hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with connected_http(hub_server, "mine", "theirs", request_timeout=20) as client:
        yield client


async def alice_jwt(admin_client: HubClient, password: str = "Al1ce!pass-word") -> str:
    r = await admin_client.post(
        "/api/users", json={"username": "alice", "password": password, "isAdmin": False}
    )
    assert r.status_code in (200, 201), r.text
    alice = HubClient(admin_client.base_url)
    try:
        return await alice.login("alice", password)
    finally:
        await alice.aclose()


async def tool_names(http: httpx2.AsyncClient, token: str, path: str = "/mcp") -> set[str]:
    mcp = RawMcp(http, path, bearer(token))
    r = await mcp.initialize()
    assert r.status_code == 200, r.text
    return {t["name"] for t in reply(await mcp.call("tools/list"))["result"]["tools"]}


async def test_full_flow_dcr_consent_token_mcp_refresh_delete(
    http: httpx2.AsyncClient, admin_client: HubClient
) -> None:
    jwt = await alice_jwt(admin_client)
    client, reg = await register(http, token_endpoint_auth_method="none")
    assert "client_secret" not in reg and len(reg["client_id"]) == 32

    tokens = await client.exchange(jwt, resource=f"{http.base_url}/mcp")
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "read write"
    names = await tool_names(http, tokens["access_token"])
    assert any(n.startswith("mine-") for n in names)
    assert not any(n.startswith("theirs-") for n in names), "only alice's own servers"

    r = await client.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    fresh = r.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert await tool_names(http, fresh["access_token"])

    r = await client.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = await RawMcp(http, "/mcp", bearer(tokens["access_token"])).initialize()
    assert r.status_code == 401, "rotation ends the old access token too"

    info = await http.get("/oauth/userinfo", headers=bearer(fresh["access_token"]))
    assert info.json() == {"sub": "alice", "username": "alice"}

    assert (await admin_client.delete("/api/users/alice")).status_code == 200
    r = await RawMcp(http, "/mcp", bearer(fresh["access_token"])).initialize()
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    r = await client.token(grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_password_change_and_demotion_end_tokens(
    http: httpx2.AsyncClient, admin_client: HubClient
) -> None:
    jwt = await alice_jwt(admin_client)
    client, _ = await register(http, token_endpoint_auth_method="none")
    first = await client.exchange(jwt)
    assert await tool_names(http, first["access_token"])
    r = await admin_client.put("/api/users/alice", json={"newPassword": "N3w!pass-word-x"})
    assert r.status_code == 200, r.text
    assert (
        await RawMcp(http, "/mcp", bearer(first["access_token"])).initialize()
    ).status_code == 401

    r = await admin_client.post(
        "/api/users", json={"username": "root2", "password": "R00t!pass-word", "isAdmin": True}
    )
    assert r.status_code in (200, 201)
    root2 = HubClient(admin_client.base_url)
    root2_jwt = await root2.login("root2", "R00t!pass-word")
    await root2.aclose()
    admin_tokens = await client.exchange(root2_jwt)
    assert any(
        n.startswith("theirs-") for n in await tool_names(http, admin_tokens["access_token"])
    )
    assert (await admin_client.put("/api/users/root2", json={"isAdmin": False})).status_code == 200
    r = await RawMcp(http, "/mcp", bearer(admin_tokens["access_token"])).initialize()
    assert r.status_code == 401, "a demoted admin's tokens end"


async def test_token_endpoint_rules(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    jwt = admin_client.token
    assert jwt
    client, reg = await register(http)  # confidential: client_secret_basic by default
    assert len(reg["client_secret"]) == 64

    code, verifier = await client.code(jwt)
    wrong = await client.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="x" * 43
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"

    # a code is single use, and its reuse revokes what it issued
    code, verifier = await client.code(jwt)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    ok = await client.token(**form, code_verifier=verifier)
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    access = ok.json()["access_token"]
    assert await tool_names(http, access)
    again = await client.token(**form, code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await RawMcp(http, "/mcp", bearer(access)).initialize()).status_code == 401

    # redirect URI must be the authorization request's
    code, verifier = await client.code(jwt)
    r = await client.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT + "/",
        code_verifier=verifier,
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

    # a confidential client must authenticate; a wrong secret is invalid_client
    code, verifier = await client.code(jwt)
    data = {**form, "code": code, "code_verifier": verifier, "client_id": client.client_id}
    r = await http.post("/oauth/token", data=data)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = await http.post("/oauth/token", data={**data, "client_secret": "0" * 64})
    assert r.json()["error"] == "invalid_client"
    r = await http.post("/oauth/token", data=data, auth=(client.client_id, client.secret or ""))
    assert r.status_code == 200, r.text

    r = await http.post("/oauth/token", data={"grant_type": "password", "client_id": "x"})
    assert r.json()["error"] == "unsupported_grant_type"
    r = await http.post("/oauth/token", json={"grant_type": "authorization_code"})
    assert r.json()["error"] == "invalid_request"


async def test_authorize_rules(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    jwt = admin_client.token
    assert jwt
    client, _ = await register(http, token_endpoint_auth_method="none")
    base = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
        "state": "s",
        "token": jwt,
    }
    # exact redirect URI: a trailing slash or another port is refused without a redirect
    for uri in (REDIRECT + "/", "http://127.0.0.1:10/callback"):
        r = await http.get("/oauth/authorize", params={**base, "redirect_uri": uri})
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = await http.get("/oauth/authorize", params={**base, "client_id": "nope"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"

    def error_of(r: httpx2.Response) -> str:
        assert r.status_code == 302, r.text
        return str(httpx2.URL(r.headers["Location"]).params["error"])

    # PKCE S256 is required
    no_pkce = {k: v for k, v in base.items() if not k.startswith("code_challenge")}
    assert error_of(await http.get("/oauth/authorize", params=no_pkce)) == "invalid_request"
    plain = {**base, "code_challenge_method": "plain"}
    assert error_of(await http.get("/oauth/authorize", params=plain)) == "invalid_request"
    # a resource this hub does not serve
    other = {**base, "resource": "https://elsewhere.example/mcp"}
    assert error_of(await http.get("/oauth/authorize", params=other)) == "invalid_target"
    assert error_of(await http.get("/oauth/authorize", params={**base, "scope": "admin"})) == (
        "invalid_scope"
    )
    # deny
    denied = {**base, "allow": "false"}
    r = await http.post("/oauth/authorize", data=denied)
    assert error_of(r) == "access_denied"
    # no user: to the login page; a forged JWT on the approve form: 401
    r = await http.get("/oauth/authorize", params={k: v for k, v in base.items() if k != "token"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?returnUrl=")
    r = await http.post("/oauth/authorize", data={**base, "allow": "true", "token": "a.b.c"})
    assert r.status_code == 401


async def test_audience_binding(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    jwt = admin_client.token
    assert jwt
    client, _ = await register(http, token_endpoint_auth_method="none")
    tokens = await client.exchange(jwt, resource=f"{http.base_url}/mcp/mine")
    assert await tool_names(http, tokens["access_token"], "/mcp/mine")
    r = await RawMcp(http, "/mcp/theirs", bearer(tokens["access_token"])).initialize()
    assert r.status_code == 401, "a token for /mcp/mine is not good for /mcp/theirs"
    r = await http.get("/api/servers", headers=bearer(tokens["access_token"]))
    assert r.status_code == 401, "OAuth tokens are for MCP routes, not the management API"


async def test_scope_removed_from_settings_is_insufficient(
    http: httpx2.AsyncClient, admin_client: HubClient
) -> None:
    jwt = admin_client.token
    assert jwt
    client, _ = await register(http, token_endpoint_auth_method="none")
    tokens = await client.exchange(jwt, scope="read")
    r = await admin_client.put(
        "/api/system-config", json={"oauthServer": {"allowedScopes": ["mcp"]}}
    )
    assert r.status_code == 200, r.text
    r = await RawMcp(http, "/mcp", bearer(tokens["access_token"])).initialize()
    assert r.status_code == 403
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope", scope="mcp"')
    assert "resource_metadata=" in challenge


async def test_revocation(http: httpx2.AsyncClient, admin_client: HubClient) -> None:
    jwt = admin_client.token
    assert jwt
    client, _ = await register(http, token_endpoint_auth_method="none")
    tokens = await client.exchange(jwt)
    r = await http.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": client.client_id}
    )
    assert r.status_code == 200
    assert (
        await RawMcp(http, "/mcp", bearer(tokens["access_token"])).initialize()
    ).status_code == 401
    r = await client.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r.json()["error"] == "invalid_grant"


async def test_tokens_are_stored_hashed_and_survive_restart(
    hub_server: HubServer, http: httpx2.AsyncClient, admin_client: HubClient
) -> None:
    jwt = admin_client.token
    assert jwt
    client, reg = await register(http)
    tokens = await client.exchange(jwt)
    hub = hub_server.hub
    stored = repr(hub.config.oauth_tokens) + repr(await hub.store.items("oauth_tokens"))
    stored += repr(await hub.store.items("oauth_clients"))
    for secret in (tokens["access_token"], tokens["refresh_token"], reg["client_secret"]):
        assert secret not in stored
    await hub.config.load()  # what a restart reads back
    assert await tool_names(http, tokens["access_token"])
    exported = (await admin_client.get("/api/mcp-settings/export")).text
    assert tokens["access_token"] not in exported and reg["client_secret"] not in exported


async def test_user_scoped_routes_take_the_users_token(
    http: httpx2.AsyncClient, admin_client: HubClient
) -> None:
    jwt = await alice_jwt(admin_client)
    client, _ = await register(http, token_endpoint_auth_method="none")
    tokens = await client.exchange(jwt)
    assert any(
        n.startswith("mine-") for n in await tool_names(http, tokens["access_token"], "/alice/mcp")
    )
    r = await RawMcp(http, "/admin/mcp", bearer(tokens["access_token"])).initialize()
    assert r.status_code == 403
