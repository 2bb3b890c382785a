"""The echo transport, built as a distribution and loaded through its entry point into a hub
started by the ``hub.testing`` fixtures; the tool is called over real HTTP on ``/mcp``.

Nothing is installed globally: the distribution goes into a private directory that is put
on ``sys.path`` for each test.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from hub.testing import HubClient, McpSession, plugin_distribution, wait_for

DIST = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # builds the distribution with pip once per module


site, installed = plugin_distribution(DIST, "echo")
"""The distribution built once per module; on ``sys.path`` and allowed to load per test."""


def status_is(client: HubClient, name: str, status: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        r = await client.get(f"/api/servers/{name}")
        return r.status_code == 200 and r.json()["data"]["status"] == status

    return check


def test_the_entry_point_names_the_module(site: Path) -> None:
    (dist,) = importlib.metadata.distributions(path=[str(site)])
    assert dist.metadata["Name"] == "mcphub-echo-transport"
    assert [(ep.group, ep.name, ep.value) for ep in dist.entry_points] == [
        ("mcphub", "echo", "mcphub_echo")
    ]


def test_mcphub_plugins_lists_it(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site), "MCPHUB_LOAD_PLUGINS": "echo"}
    listed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "plugins"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "echo\t0.1.0\tregister_transports" in listed.splitlines(), listed


async def test_the_hub_loads_it_through_its_entry_point(admin_client: HubClient) -> None:
    plugins = {p["name"]: p for p in (await admin_client.get("/api/plugins")).json()["data"]}
    assert plugins["echo"]["distribution"] == "mcphub-echo-transport"
    assert plugins["echo"]["hooks"] == ["register_transports"]


async def test_an_echo_server_serves_its_tool_over_mcp(
    admin_client: HubClient, mcp_session: McpSession
) -> None:
    config = {"type": "echo", "prefix": "you said: "}
    r = await admin_client.post("/api/servers", json={"name": "parrot", "config": config})
    assert r.status_code == 200, r.text
    await wait_for(status_is(admin_client, "parrot", "connected"))

    tools = {tool["name"]: tool for tool in await mcp_session.list_tools()}
    assert tools["parrot-echo"]["inputSchema"]["required"] == ["text"]
    result = await mcp_session.call_tool("parrot-echo", {"text": "hi"})
    assert result["content"] == [{"type": "text", "text": "you said: hi"}]
    assert not result.get("isError")

    # Disabling the server closes its connection (the in-process server stops with it).
    r = await admin_client.post("/api/servers/parrot/toggle", json={"enabled": False})
    assert r.status_code == 200, r.text
    await wait_for(status_is(admin_client, "parrot", "disconnected"))
    assert "parrot-echo" not in {tool["name"] for tool in await mcp_session.list_tools()}


async def test_the_transport_validates_its_own_fields(admin_client: HubClient) -> None:
    for bad, field in (({"prefix": 5}, "prefix"), ({"prefx": "typo"}, "prefx")):
        config = {"type": "echo", **bad}
        r = await admin_client.post("/api/servers", json={"name": "bad", "config": config})
        assert r.status_code == 400, r.text
        assert f"echo server: {field}" in r.json()["message"]


@pytest.fixture
def echo_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPHUB_DISABLE_PLUGINS", "echo")


async def test_without_the_plugin_the_type_is_unknown(
    echo_blocked: None, admin_client: HubClient
) -> None:
    config = {"type": "echo"}
    r = await admin_client.post("/api/servers", json={"name": "parrot", "config": config})
    assert r.status_code == 400
    assert "Invalid server type 'echo'" in r.json()["message"]


class TestRegisteredInline:
    """The example of docs/plugins.md ("Testing plugins"): the plugin module registered with
    ``register_plugin`` and the server named in ``hub_settings``."""

    @pytest.fixture
    def hub_settings(self) -> dict[str, Any]:
        return {"mcpServers": {"echo": {"type": "echo", "prefix": "you said: "}}}

    @pytest.fixture(autouse=True)
    def echo_plugin(
        self, installed: None, register_plugin: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MCPHUB_LOAD_PLUGINS", "")  # not through the entry point this time
        import mcphub_echo

        register_plugin(mcphub_echo, name="echo")

    async def test_the_echo_tool(self, admin_client: HubClient, mcp_session: McpSession) -> None:
        async def connected() -> bool:
            summary = (await admin_client.get("/api/servers/echo")).json()["data"]
            return bool(summary["status"] == "connected")

        await wait_for(connected)
        result = await mcp_session.call_tool("echo-echo", {"text": "hi"})
        assert result["content"][0]["text"] == "you said: hi"
        plugins = {p["name"]: p for p in (await admin_client.get("/api/plugins")).json()["data"]}
        assert plugins["echo"]["distribution"] is None  # registered inline, not loaded
