"""Behind ``BASE_PATH`` the issuer includes it, and so do the endpoints it advertises."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx2
import pytest

from hub.app import HubOptions
from hub.server import HubServer
from hub.testing import RawMcp
from tests.plugins.oauth_helpers import REDIRECT


@pytest.fixture
def hub_options(hub_options: HubOptions) -> HubOptions:
    return dataclasses.replace(hub_options, base_path="/hub")


@pytest.fixture
async def http(hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=f"http://{hub_server.address}", timeout=20) as client:
        yield client


async def test_base_path_issuer_and_routes(http: httpx2.AsyncClient) -> None:
    base = str(http.base_url).rstrip("/")
    r = await http.get("/.well-known/oauth-authorization-server/hub")
    assert r.status_code == 200, (r.status_code, r.text)
    doc = r.json()
    assert doc["issuer"] == f"{base}/hub"
    assert doc["token_endpoint"] == f"{base}/hub/oauth/token"
    r = await http.get("/.well-known/oauth-protected-resource/hub/mcp")
    assert r.json()["resource"] == f"{base}/hub/mcp"
    r = await http.post("/hub/oauth/register", json={"redirect_uris": [REDIRECT]})
    assert r.status_code == 201
    r = await RawMcp(http, "/hub/mcp").initialize()
    assert "/.well-known/oauth-protected-resource/hub/mcp" in r.headers["WWW-Authenticate"]
