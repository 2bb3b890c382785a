"""``/api/market``: the shipped catalog, a catalog at ``systemConfig.market.url`` (fetched
on request, cached, renewed in the background, served stale when down), search, labels, a
third party's catalog, and installs that end with a connected upstream."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.plugin_api import Hub, Registry, ServerCatalog, hookimpl
from hub.server import HubServer
from hub.testing import HubClient, McpSession, wait_for
from tests.api_fixtures import wait_server
from tests.catalogs.fakes import FakeService, Seen, data, failure, set_system

ROOT = Path(__file__).resolve().parents[2]
TINY = str(ROOT / "bench" / "tiny_stdio.py")
MARKET_KEYS = {
    "name",
    "display_name",
    "description",
    "repository",
    "homepage",
    "author",
    "license",
    "categories",
    "tags",
    "examples",
    "installations",
    "arguments",
    "tools",
}


def tiny_entry(description: str = "A tiny stdio server") -> dict[str, Any]:
    return {
        "display_name": "Tiny",
        "description": description,
        "categories": ["Testing"],
        "tags": ["tiny", "stdio"],
        "installations": {
            "python": {"type": "python", "command": sys.executable, "args": [TINY, "${LABEL}"]}
        },
        "arguments": {"LABEL": {"description": "Its name", "required": True, "example": "x"}},
    }


def market_doc(everything_url: str = "", version: int = 1) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "tiny": tiny_entry(f"A tiny stdio server, version {version}"),
        "zeta-db": {
            "display_name": "Zeta DB",
            "description": "Queries the zeta database",
            "categories": ["Databases"],
            "tags": ["sql"],
            "is_official": True,
            "installations": {"npm": {"type": "npm", "command": "npx", "args": ["-y", "zeta"]}},
        },
    }
    if everything_url:
        doc["remote-everything"] = {
            "display_name": "Everything over HTTP",
            "description": "The test upstream, remote",
            "categories": ["Testing"],
            "tags": ["http"],
            "installations": {"custom": {"type": "streamable-http", "url": everything_url}},
        }
    if version > 1:
        doc[f"added-in-v{version}"] = {"description": "new", "installations": {}}
    return doc


@pytest.fixture
async def api(admin_client: HubClient) -> HubClient:
    return admin_client


async def serve_market(api: HubClient, fake: FakeService, doc: dict[str, Any]) -> None:
    fake.routes["/servers.json"] = lambda seen: (200, doc)
    await set_system(api, {"market": {"url": f"{fake.url}/servers.json"}})


# ------------------------------------------------------------------ the shipped catalog


async def test_shipped_catalog_routes(api: HubClient) -> None:
    entries = data(await api.get("/api/market/servers"))
    names = [e["name"] for e in entries]
    assert {"time", "fetch", "filesystem", "git", "memory"} <= set(names)
    assert all(MARKET_KEYS <= set(e) for e in entries)
    official = [e.get("is_official", False) for e in entries]
    assert official == sorted(official, reverse=True)  # official ones first

    time_entry = data(await api.get("/api/market/servers/time"))
    assert time_entry["name"] == "time" and "uvx" in time_entry["installations"]
    message = failure(await api.get("/api/market/servers/no-such-server"), 404)
    assert message == "Market server not found"

    categories = data(await api.get("/api/market/categories"))
    assert categories == sorted(set(categories)) and "Files" in categories
    in_files = data(await api.get("/api/market/categories/Files"))
    assert [e["name"] for e in in_files] == ["filesystem"]
    assert data(await api.get("/api/market/categories/files")) == []  # exact match

    tags = data(await api.get("/api/market/tags"))
    assert tags == sorted(set(tags)) and "git" in tags
    assert [e["name"] for e in data(await api.get("/api/market/tags/git"))] == ["git"]

    found = data(await api.get("/api/market/servers/search", params={"query": "SQLITE vcs"}))
    assert {e["name"] for e in found} == {"sqlite", "git"}
    everything = data(await api.get("/api/market/servers/search", params={"query": " "}))
    assert len(everything) == len(entries)


async def test_market_needs_a_login(hub_client: HubClient) -> None:
    failure(await hub_client.get("/api/market/servers", token=None), 401)


async def test_install_from_the_shipped_catalog_connects(
    api: HubClient, mcp_session: McpSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped "time" entry's python installation runs `python -m mcp_server_time`
    # (a test dependency); put this environment's python first on PATH.
    bin_dir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    r = await api.post("/api/market/servers/time/install", json={"installation": "python"})
    installed = data(r)
    assert installed["name"] == "time"
    assert installed["config"]["command"] == "python"
    assert installed["config"]["args"] == ["-m", "mcp_server_time"]
    await wait_server(api, "time", "connected", within=30)
    names = [t["name"] for t in await mcp_session.list_tools()]
    assert "time-get_current_time" in names
    result = await mcp_session.call_tool("time-get_current_time", {"timezone": "UTC"})
    assert "UTC" in result["content"][0]["text"]


async def test_install_refusals(api: HubClient, alice: HubClient) -> None:
    r = await api.post("/api/market/servers/filesystem/install", json={})
    assert failure(r, 400) == "Missing required argument(s): ALLOWED_DIRECTORY"
    r = await api.post(
        "/api/market/servers/time/install", json={"installation": "snap", "arguments": {}}
    )
    assert "Unknown installation 'snap'" in failure(r, 400)
    r = await api.post("/api/market/servers/nope/install", json={})
    assert failure(r, 404) == "Market server not found"
    r = await api.post("/api/market/servers/time/install", json={"name": "a/b"})
    failure(r, 400)
    # A normal user may not install a server that runs a command on the hub.
    r = await alice.post("/api/market/servers/time/install", json={})
    assert failure(r, 403) == "Only admins can create or modify stdio-based servers"
    # Same name twice: 409, as POST /api/servers.
    body = {"installation": "uvx", "name": "clock"}
    data(await api.post("/api/market/servers/time/install", json=body))
    r = await api.post("/api/market/servers/time/install", json=body)
    assert failure(r, 409) == "Server 'clock' already exists"
    stored = data(await api.get("/api/servers/clock"))["config"]
    assert stored["command"] == "uvx" and stored["args"] == ["mcp-server-time"]


# ------------------------------------------------------------------ systemConfig.market.url


async def test_market_url_replaces_the_shipped_catalog_and_installs(
    api: HubClient,
    alice: HubClient,
    fake_service: FakeService,
    mcp_session: McpSession,
    everything_http: str,
) -> None:
    await serve_market(api, fake_service, market_doc(everything_http))
    entries = data(await api.get("/api/market/servers"))
    assert [e["name"] for e in entries] == ["zeta-db", "remote-everything", "tiny"]
    assert all(e["catalog"] == "market" for e in entries)

    # stdio from the URL's catalog, with an argument, ends connected and callable.
    r = await api.post(
        "/api/market/servers/tiny/install",
        json={"arguments": {"LABEL": "zed"}, "name": "tiny"},
    )
    assert data(r)["config"]["args"] == [TINY, "zed"]
    await wait_server(api, "tiny", "connected")
    result = await mcp_session.call_tool("tiny-hello", {})
    assert result["content"][0]["text"] == "hello from zed"

    # A remote entry: a normal user may install it and owns it, and the egress rules of
    # normal users' configs apply to it (no loopback); an admin's copy connects.
    r = await alice.post("/api/market/servers/remote-everything/install", json={})
    installed = data(r)
    assert installed["config"]["type"] == "streamable-http"
    assert installed["config"]["owner"] == "alice"

    async def refused() -> bool:
        summary = data(await alice.get("/api/servers/remote-everything"))
        return "internal address" in (summary["error"] or "")

    await wait_for(refused)
    body = {"name": "remote-admin"}
    data(await api.post("/api/market/servers/remote-everything/install", json=body))
    summary = await wait_server(api, "remote-admin", "connected")
    assert any(t["name"] == "remote-admin-echo" for t in summary["tools"])


async def test_market_url_is_not_fetched_at_start(
    api: HubClient, fake_service: FakeService, hub_server: HubServer
) -> None:
    await serve_market(api, fake_service, market_doc())
    assert fake_service.seen == []  # setting the URL fetches nothing
    data(await api.get("/api/market/tags"))
    data(await api.get("/api/market/categories"))
    assert len(fake_service.requests_to("/servers.json")) == 1  # cached afterwards


async def test_market_url_refresh_and_stale_copy(api: HubClient, fake_service: FakeService) -> None:
    await serve_market(api, fake_service, market_doc())
    await set_system(api, {"market": {"refreshSeconds": 0}})
    assert "added-in-v2" not in {e["name"] for e in data(await api.get("/api/market/servers"))}

    fake_service.routes["/servers.json"] = lambda seen: (200, market_doc(version=2))

    async def renewed() -> bool:
        names = {e["name"] for e in data(await api.get("/api/market/servers"))}
        return "added-in-v2" in names

    await wait_for(renewed)

    # The source goes down: the last copy is served, and the hub did try again.
    def down(seen: Seen) -> tuple[int, Any]:
        return 503, {"error": "down"}

    fake_service.routes["/servers.json"] = down
    before = len(fake_service.seen)
    await wait_for(lambda: len(fake_service.seen) > before)
    entries = data(await api.get("/api/market/servers"))
    assert "added-in-v2" in {e["name"] for e in entries}


async def test_market_url_failures(api: HubClient, fake_service: FakeService) -> None:
    # Down before any copy was fetched: 502 naming the source, no stack trace.
    fake_service.routes["/servers.json"] = lambda seen: (500, "boom")
    await set_system(api, {"market": {"url": f"{fake_service.url}/servers.json"}})
    assert failure(await api.get("/api/market/servers"), 502) == (
        "The market catalog answered HTTP 500"
    )
    # Over the size cap.
    big = {f"server-{i}": {"description": "x" * 100} for i in range(100)}
    fake_service.routes["/servers.json"] = lambda seen: (200, big)
    await set_system(api, {"market": {"maxBytes": 2048}})
    message = failure(await api.get("/api/market/servers"), 502)
    assert message == f"Answer from {fake_service.url} exceeds 2048 bytes"
    # Not JSON.
    fake_service.routes["/servers.json"] = lambda seen: (200, "<html>")
    await set_system(api, {"market": {"maxBytes": 1 << 20}})
    assert failure(await api.get("/api/market/servers"), 502).endswith("is not JSON")
    # Nobody listening.
    await set_system(api, {"market": {"url": "http://127.0.0.1:9/servers.json"}})
    assert failure(await api.get("/api/market/servers"), 502).startswith("Cannot reach")
    # Not http(s).
    await set_system(api, {"market": {"url": "file:///etc/passwd"}})
    message = failure(await api.get("/api/market/servers"), 400)
    assert message == "systemConfig.market.url must be an http or https URL"


# ------------------------------------------------------------------ a third party's catalog


class BoardGames(ServerCatalog):
    family = "market"

    async def entries(self, hub: Hub) -> list[dict[str, Any]]:
        return [
            {
                "name": "chess",
                "description": "Plays chess",
                "categories": ["Games"],
                "tags": ["chess"],
                "installations": {"default": {"command": sys.executable, "args": [TINY, "chess"]}},
            }
        ]


class BoardGamesPlugin:
    @hookimpl
    def register_catalogs(self, register: Registry[ServerCatalog]) -> None:
        register("board-games", BoardGames())


@pytest.fixture
def board_games(register_plugin: Any) -> None:
    register_plugin(BoardGamesPlugin(), name="board-games")


@pytest.mark.usefixtures("board_games")
async def test_a_third_party_catalog_appears_in_the_market(
    api: HubClient, mcp_session: McpSession
) -> None:
    entries = data(await api.get("/api/market/servers"))
    chess = next(e for e in entries if e["name"] == "chess")
    assert chess["catalog"] == "board-games"
    assert "Games" in data(await api.get("/api/market/categories"))
    data(await api.post("/api/market/servers/chess/install", json={}))
    await wait_server(api, "chess", "connected")
    result = await mcp_session.call_tool("chess-hello", {})
    assert result["content"][0]["text"] == "hello from chess"
