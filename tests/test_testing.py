"""The plugin-author test kit (``hub.testing``): ``hub_settings`` and ``mcp_session``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.app import HubOptions
from hub.mcp import catalog
from hub.server import HubServer
from hub.testing import McpError, McpSession, RawMcp
from tests.mcp_fixtures import UpstreamProc, http_server, wait_connected

KEY = "kit-key-0123456789abcdef"


def test_default_settings_are_empty_and_no_file_is_named(
    hub_settings: dict[str, Any], hub_options: HubOptions
) -> None:
    assert hub_settings == {}
    assert hub_options.settings_path is None


async def test_default_hub_starts_empty(hub_server: HubServer) -> None:
    assert hub_server.hub.config.servers == {}
    assert list(hub_server.hub.config.users) == ["admin"]


class TestSettingsOverride:
    """A module, class or test overrides ``hub_settings``; the hub imports it at first start."""

    @pytest.fixture
    def hub_settings(self) -> dict[str, Any]:
        return {
            "mcpServers": {
                "parked": {"type": "sse", "url": "http://127.0.0.1:9/sse", "enabled": False}
            },
            "bearerKeys": [{"id": "k1", "name": "kit", "token": KEY, "accessType": "all"}],
            "systemConfig": {"routing": {"enableGlobalRoute": False}},
        }

    def test_the_settings_file_is_written_and_named(
        self, hub_options: HubOptions, hub_settings: dict[str, Any], tmp_path: Path
    ) -> None:
        assert hub_options.settings_path == tmp_path / "mcp_settings.json"
        assert json.loads(hub_options.settings_path.read_text()) == hub_settings

    async def test_the_hub_imports_it_on_first_start(self, hub_server: HubServer) -> None:
        config = hub_server.hub.config
        assert config.servers["parked"].url == "http://127.0.0.1:9/sse"
        assert config.servers["parked"].enabled is False
        assert [key.name for key in config.keys.values()] == ["kit"]
        assert config.system.routing.enable_global_route is False
        # The admin is still created next to the imported settings.
        assert "admin" in config.users


class TestMcpSession:
    @pytest.fixture
    def hub_settings(self, everything: UpstreamProc) -> dict[str, Any]:
        # Bearer auth stays on (the default): the session must bring its own credential.
        return {"mcpServers": {"ev": http_server(everything.url)}}

    @pytest.fixture
    async def hub(self, hub_server: HubServer) -> HubServer:
        await wait_connected(hub_server.hub, "ev")
        return hub_server

    async def test_session_is_initialized_and_calls_tools(
        self, hub: HubServer, mcp_session: McpSession
    ) -> None:
        assert mcp_session.initialized["serverInfo"]["name"] == "mcphub"
        assert mcp_session.initialized["capabilities"]["tools"]["listChanged"] is True
        assert mcp_session.session in {s.id for s in hub.hub.mcp.sessions}
        names = {tool["name"] for tool in await mcp_session.list_tools()}
        assert {"ev-echo", "ev-add"} <= names
        echoed = await mcp_session.call_tool("ev-echo", {"text": "kit"})
        assert echoed["structuredContent"] == {"text": "kit"} and not echoed.get("isError")
        failed = await mcp_session.call_tool("ev-fail", {"message": "boom"})
        assert failed["isError"] is True and failed["content"][0]["text"] == "boom"
        assert await mcp_session.request("ping") == {}

    async def test_errors_raise_and_notifications_are_accepted(
        self, hub: HubServer, mcp_session: McpSession
    ) -> None:
        with pytest.raises(McpError) as unknown:
            await mcp_session.call_tool("ev-nope")
        assert unknown.value.code == -32602
        with pytest.raises(McpError) as no_method:
            await mcp_session.request("no/such/method")
        assert no_method.value.code == -32601
        await mcp_session.notify("notifications/roots/list_changed")
        mcp_session.session = "no-such-session"
        with pytest.raises(AssertionError, match="HTTP 404"):
            await mcp_session.notify("notifications/roots/list_changed")

    @pytest.fixture
    def small_pages(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Four items per ``*/list`` page, set before the hub starts and caches pages."""
        monkeypatch.setattr(catalog, "PAGE_SIZE", 4)

    async def test_list_tools_follows_every_page(
        self, small_pages: None, hub: HubServer, mcp_session: McpSession
    ) -> None:
        first = await mcp_session.request("tools/list")
        assert len(first["tools"]) == 4 and first["nextCursor"]
        upstream = [f"ev-{tool['name']}" for tool in hub.hub.upstreams.state("ev").tools]
        assert len(upstream) > 8
        assert sorted(tool["name"] for tool in await mcp_session.list_tools()) == sorted(upstream)

    async def test_close_ends_the_session_on_the_hub(
        self, hub: HubServer, mcp_session: McpSession
    ) -> None:
        sid, headers = mcp_session.session, mcp_session.headers
        assert sid is not None
        await mcp_session.close()
        assert mcp_session.session is None and mcp_session.http.is_closed
        assert sid not in {s.id for s in hub.hub.mcp.sessions}
        async with httpx2.AsyncClient(base_url=f"http://{hub.address}") as http:
            stale = RawMcp(http, "/mcp", headers)
            stale.session = sid
            assert (await stale.call("tools/list")).status_code == 404

    async def test_a_session_without_credentials_is_refused(self, hub: HubServer) -> None:
        with pytest.raises(AssertionError, match="HTTP 401"):
            await McpSession.open(f"http://{hub.address}")
