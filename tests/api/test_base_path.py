"""BASE_PATH prefixes /api (and MCP routes) but not /health, as MCPHub does."""

from __future__ import annotations

import dataclasses

import pytest

from hub.app import HubOptions
from hub.testing import HubClient


@pytest.fixture
def hub_options(hub_options: HubOptions) -> HubOptions:
    return dataclasses.replace(hub_options, base_path="/a%40b/")


async def test_routes_move_under_the_base_path(hub_client: HubClient, admin_password: str) -> None:
    assert (await hub_client.get("/health")).status_code == 200
    r = await hub_client.post(
        "/a%40b/api/auth/login", json={"username": "admin", "password": admin_password}
    )
    assert r.status_code == 200
    assert (await hub_client.post("/api/auth/login", json={})).status_code == 404
    cfg = await hub_client.get("/a%40b/config")
    assert cfg.json()["data"]["basePath"] == "/a%40b"
