"""Social login against a small OpenID Connect provider (and a GitHub-like API) on 127.0.0.1:
sign-in redirects with PKCE, the callback checks the ID token and creates a non-admin user
once, the hub's JWT works, a taken name is not captured, an admin can disable a login."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from hub.server import HubServer
from hub.testing import HubClient
from tests.plugins.fake_idp import FakeIdp


@pytest.fixture
async def idp() -> AsyncIterator[FakeIdp]:
    provider = FakeIdp()  # started in the test's event loop, where the hub runs too
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def hub_settings(idp: FakeIdp) -> dict[str, Any]:
    return {
        "mcpServers": {},
        "systemConfig": {
            "auth": {
                "betterAuth": {
                    "enabled": True,
                    "providers": {
                        "oidc": {"issuer": idp.url, "clientId": "hub-client", "clientSecret": "s"},
                        "github": {
                            "clientId": "gh-client",
                            "clientSecret": "gh-secret",
                            "authorizeUrl": f"{idp.url}/authorize",
                            "tokenUrl": f"{idp.url}/token",
                            "apiUrl": idp.url,
                        },
                    },
                }
            }
        },
    }


@pytest.fixture
async def http(hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=f"http://{hub_server.address}", timeout=20) as client:
        yield client


async def sign_in(http: httpx2.AsyncClient, provider: str) -> httpx2.Response:
    """Follow sign-in → provider → callback; returns the hub's last answer."""
    r = await http.get(f"/api/auth/better/sign-in/{provider}", params={"callbackURL": "/app"})
    assert r.status_code == 302, r.text
    to_idp = r.headers["Location"]
    assert "code_challenge=" in to_idp and "code_challenge_method=S256" in to_idp
    async with httpx2.AsyncClient(timeout=20) as outside:
        back = await outside.get(to_idp)
    assert back.status_code == 302
    parts = urlsplit(back.headers["Location"])
    return await http.get(f"{parts.path}?{parts.query}")


def token_of(r: httpx2.Response) -> str:
    assert r.status_code == 302, r.text
    location = r.headers["Location"]
    assert location.startswith("/app#token=")
    return location.split("#token=", 1)[1]


async def test_oidc_login_creates_a_non_admin_user_once(
    http: httpx2.AsyncClient, idp: FakeIdp
) -> None:
    token = token_of(await sign_in(http, "oidc"))
    r = await http.get("/api/better-auth/user", headers={"x-auth-token": token})
    assert r.json() == {
        "success": True,
        "user": {"username": "carol@example.test", "isAdmin": False, "permissions": [""]},
    }
    again = token_of(await sign_in(http, "oidc"))
    r = await http.get("/api/auth/user", headers={"x-auth-token": again})
    assert r.json()["user"]["username"] == "carol@example.test"
    assert (await http.get("/api/better-auth/user")).status_code == 401


async def test_id_token_for_another_audience_is_refused(
    http: httpx2.AsyncClient, idp: FakeIdp
) -> None:
    idp.audience = "someone-else"
    r = await sign_in(http, "oidc")
    assert r.status_code == 403


async def test_github_login(http: httpx2.AsyncClient) -> None:
    token = token_of(await sign_in(http, "github"))
    r = await http.get("/api/better-auth/user", headers={"x-auth-token": token})
    assert r.json()["user"]["username"] == "octo-dev"


async def test_a_taken_name_is_not_captured_and_admin_links_or_disables(
    http: httpx2.AsyncClient, idp: FakeIdp, admin_client: HubClient
) -> None:
    idp.login = "admin"
    assert (await sign_in(http, "oidc")).status_code == 403, "no takeover of 'admin'"
    r = await admin_client.post(
        "/api/users", json={"username": "dave", "password": "D4ve!pass-word", "isAdmin": False}
    )
    assert r.status_code in (200, 201)
    r = await admin_client.put(
        "/api/better-auth/users/dave", json={"links": [f"oidc:{idp.subject}"]}
    )
    assert r.status_code == 200, r.text
    token = token_of(await sign_in(http, "oidc"))
    r = await http.get("/api/auth/user", headers={"x-auth-token": token})
    assert r.json()["user"]["username"] == "dave"
    r = await admin_client.put("/api/better-auth/users/dave", json={"disabled": True})
    assert r.status_code == 200
    assert (await sign_in(http, "oidc")).status_code == 403


async def test_unconfigured_provider_and_forged_state(http: httpx2.AsyncClient) -> None:
    r = await http.get("/api/auth/better/callback/oidc", params={"state": "nope", "code": "x"})
    assert r.status_code == 400
