"""The hello plugin, built as a distribution and loaded through its entry point into a hub
started by the ``hub.testing`` fixtures: its route answers, and its ``after_tool_call`` hook
counts a real tool call made over ``/mcp``.

Nothing is installed globally: the distribution goes into a private directory that is put
on ``sys.path`` for each test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hub.testing import HubClient, McpSession, plugin_distribution, wait_for

DIST = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # builds the distribution with pip once per module


site, installed = plugin_distribution(DIST, "hello")
"""The distribution built once per module; on ``sys.path`` and allowed to load per test."""


async def hello(client: HubClient) -> dict[str, object]:
    r = await client.get("/api/hello")
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()["data"]
    return data


async def test_the_hub_loads_it_through_its_entry_point(admin_client: HubClient) -> None:
    plugins = {p["name"]: p for p in (await admin_client.get("/api/plugins")).json()["data"]}
    assert plugins["hello"]["distribution"] == "mcphub-hello"
    assert plugins["hello"]["version"] == "0.1.0"
    assert plugins["hello"]["hooks"] == [
        "after_tool_call",
        "register_catalogs",
        "register_routes",
    ]


async def test_the_route_is_public_and_counts_tool_calls(
    hub_client: HubClient, admin_client: HubClient, mcp_session: McpSession
) -> None:
    first = await hello(hub_client)  # anonymous: the route's policy is PUBLIC
    assert first["hello"] == "world"
    before = first["toolCalls"]
    assert isinstance(before, int)

    # A real upstream (the reference time server over stdio) and one call through /mcp.
    clock = {"command": sys.executable, "args": ["-m", "mcp_server_time"]}
    r = await admin_client.post("/api/servers", json={"name": "clock", "config": clock})
    assert r.status_code == 200, r.text

    async def connected() -> bool:
        r = await admin_client.get("/api/servers/clock")
        return r.json()["data"]["status"] == "connected"

    await wait_for(connected, 30)
    result = await mcp_session.call_tool("clock-get_current_time", {"timezone": "UTC"})
    assert result["structuredContent"]["timezone"] == "UTC"

    async def counted() -> bool:
        return (await hello(hub_client))["toolCalls"] == before + 1

    await wait_for(counted)


@pytest.fixture
def hello_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPHUB_DISABLE_PLUGINS", "hello")


async def test_a_blocked_plugin_adds_no_route(hello_blocked: None, hub_client: HubClient) -> None:
    assert (await hub_client.get("/api/hello")).status_code == 404


async def test_its_catalog_appears_in_the_market_and_installs(
    admin_client: HubClient, mcp_session: McpSession
) -> None:
    entries = (await admin_client.get("/api/market/servers")).json()["data"]
    clock = next(e for e in entries if e["name"] == "hello-clock")
    assert clock["catalog"] == "hello"
    assert any(e["catalog"] == "market" for e in entries)  # next to the built-in market
    r = await admin_client.post(
        "/api/market/servers/hello-clock/install", json={"arguments": {"TIMEZONE": "UTC"}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["config"]["args"][-2:] == ["--local-timezone", "UTC"]

    async def connected() -> bool:
        r = await admin_client.get("/api/servers/hello-clock")
        return r.json()["data"]["status"] == "connected"

    await wait_for(connected, 30)
    result = await mcp_session.call_tool("hello-clock-get_current_time", {"timezone": "UTC"})
    assert result["structuredContent"]["timezone"] == "UTC"
