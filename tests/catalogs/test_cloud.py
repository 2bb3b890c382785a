"""``/api/cloud``: MCPHub's cloud market over a fake MCPRouter API on 127.0.0.1: MCPHub's
headers and envelope, search, labels, tools, tool calls, and the missing-key error."""

from __future__ import annotations

from typing import Any

import pytest

from hub.testing import HubClient
from tests.api_fixtures import wait_server
from tests.catalogs.fakes import FakeService, Seen, data, failure, set_system

CLOUD_SERVERS = [
    {
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-02-01T00:00:00Z",
        "name": "weather",
        "author_name": "Sky Corp",
        "title": "Weather",
        "description": "Forecasts for any city",
        "content": "A weather server.\ncategory: Utilities\ntags: weather, forecast\n",
        "server_key": "weather-key",
        "config_name": "weather-cfg",
    },
    {
        "created_at": "2026-01-02T00:00:00Z",
        "updated_at": "2026-02-02T00:00:00Z",
        "name": "maps",
        "author_name": "Atlas",
        "title": "Maps",
        "description": "Routes and places",
        "content": "Maps for agents.\ncategory: Travel\ntags: maps\n",
        "server_key": "maps-key",
        "config_name": "maps-cfg",
    },
]
TOOLS = [{"name": "forecast", "description": "Forecast", "inputSchema": {"type": "object"}}]


def router_routes(fake: FakeService) -> None:
    def envelope(payload: Any, code: int = 0, message: str = "ok") -> tuple[int, Any]:
        return 200, {"code": code, "message": message, "data": payload}

    fake.routes["/v1/list-servers"] = lambda seen: envelope({"servers": CLOUD_SERVERS})

    def list_tools(seen: Seen) -> tuple[int, Any]:
        if seen.body.get("server") != "weather-key":
            return envelope(None, 404, "server not found")
        return envelope({"tools": TOOLS})

    def call_tool(seen: Seen) -> tuple[int, Any]:
        city = seen.body["arguments"].get("city", "?")
        if seen.body["name"] != "forecast":
            return envelope(None, 1, f"unknown tool {seen.body['name']}")
        return envelope(
            {"content": [{"type": "text", "text": f"sunny in {city}"}], "isError": False}
        )

    fake.routes["/v1/list-tools"] = list_tools
    fake.routes["/v1/call-tool"] = call_tool


@pytest.fixture
async def api(admin_client: HubClient, fake_service: FakeService) -> HubClient:
    router_routes(fake_service)
    await set_system(admin_client, {"mcpRouter": {"baseUrl": f"{fake_service.url}/v1"}})
    return admin_client


@pytest.fixture
def fake(fake_service: FakeService) -> FakeService:
    return fake_service


async def with_key(api: HubClient) -> None:
    await set_system(
        api,
        {"mcpRouter": {"apiKey": "router-key-1", "referer": "https://hub.test", "title": "T"}},
    )


async def test_listing_search_and_labels(api: HubClient, fake: FakeService) -> None:
    servers = data(await api.get("/api/cloud/servers"))  # without a key: still attempted
    assert [s["name"] for s in servers] == ["weather", "maps"]
    sent = fake.requests_to("/v1/list-servers")[-1]
    assert sent.method == "POST" and sent.body == {}
    assert "Authorization" not in sent.headers
    assert sent.headers["Http-Referer"] == "https://www.mcphub.app"
    assert sent.headers["X-Title"] == "MCPHub"

    r = await api.get("/api/cloud/servers/search")
    assert failure(r, 400) == "Search query is required"
    found = data(await api.get("/api/cloud/servers/search", params={"query": "atlas nothing"}))
    assert [s["name"] for s in found] == ["maps"]

    assert data(await api.get("/api/cloud/categories")) == ["Travel", "Utilities"]
    assert data(await api.get("/api/cloud/tags")) == ["forecast", "maps", "weather"]
    in_travel = data(await api.get("/api/cloud/categories/travel"))
    assert [s["name"] for s in in_travel] == ["maps"]
    tagged = data(await api.get("/api/cloud/tags/FORECAST"))
    assert [s["name"] for s in tagged] == ["weather"]


async def test_tools_need_a_key(api: HubClient, fake: FakeService) -> None:
    r = await api.get("/api/cloud/servers/weather-key/tools")
    assert failure(r, 400) == "MCPROUTER_API_KEY_NOT_CONFIGURED"
    assert r.json()["setting"] == "systemConfig.mcpRouter.apiKey"
    r = await api.post("/api/cloud/servers/weather-key/tools/forecast/call", json={"arguments": {}})
    assert failure(r, 400) == "MCPROUTER_API_KEY_NOT_CONFIGURED"
    assert fake.requests_to("/v1/list-tools") == []  # nothing sent without a key
    # One server without a key: the entry, without tools.
    weather = data(await api.get("/api/cloud/servers/weather"))
    assert weather["server_key"] == "weather-key" and "tools" not in weather


async def test_tools_and_calls_with_a_key(api: HubClient, fake: FakeService) -> None:
    await with_key(api)
    tools = data(await api.get("/api/cloud/servers/weather-key/tools"))
    assert tools == TOOLS
    sent = fake.requests_to("/v1/list-tools")[-1]
    assert sent.body == {"server": "weather-key"}
    assert sent.headers["Authorization"] == "Bearer router-key-1"
    assert sent.headers["Http-Referer"] == "https://hub.test"
    assert sent.headers["X-Title"] == "T"

    by_config_name = data(await api.get("/api/cloud/servers/weather-cfg"))
    assert by_config_name["name"] == "weather" and by_config_name["tools"] == TOOLS
    r = await api.get("/api/cloud/servers/nope")
    assert failure(r, 404) == "Cloud server not found"

    r = await api.post(
        "/api/cloud/servers/weather-key/tools/forecast/call", json={"arguments": {"city": "Oslo"}}
    )
    assert data(r) == {"content": [{"type": "text", "text": "sunny in Oslo"}], "isError": False}
    sent = fake.requests_to("/v1/call-tool")[-1]
    assert sent.body == {"server": "weather-key", "name": "forecast", "arguments": {"city": "Oslo"}}

    # code != 0: the router's message, as a 502.
    r = await api.post("/api/cloud/servers/weather-key/tools/rain/call", json={"arguments": {}})
    assert failure(r, 502) == "unknown tool rain"
    r = await api.get("/api/cloud/servers/maps-key/tools")
    assert failure(r, 502) == "server not found"
    r = await api.post(
        "/api/cloud/servers/weather-key/tools/forecast/call", json={"arguments": [1]}
    )
    assert failure(r, 400) == "arguments must be an object"


async def test_environment_fallbacks_and_router_down(
    api: HubClient, fake: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPROUTER_API_KEY", "from-env")
    monkeypatch.setenv("MCPROUTER_TITLE", "Env Title")
    data(await api.get("/api/cloud/servers/weather-key/tools"))
    sent = fake.requests_to("/v1/list-tools")[-1]
    assert sent.headers["Authorization"] == "Bearer from-env"
    assert sent.headers["X-Title"] == "Env Title"

    await set_system(api, {"mcpRouter": {"baseUrl": "http://127.0.0.1:9/v1"}})
    assert failure(await api.get("/api/cloud/servers"), 502).startswith("Cannot reach")


async def test_the_api_key_is_masked_in_settings(api: HubClient) -> None:
    await with_key(api)
    settings = data(await api.get("/api/settings"))
    assert settings["systemConfig"]["mcpRouter"]["apiKey"] == "******"
    assert "router-key-1" not in (await api.get("/api/settings")).text


async def test_install_a_cloud_server_connects(
    api: HubClient, fake: FakeService, everything_http: str
) -> None:
    def get_server(seen: Seen) -> tuple[int, Any]:
        if seen.body.get("server") != "weather-key":
            return 200, {"code": 404, "message": "no such server", "data": None}
        return 200, {"code": 0, "message": "ok", "data": {"server_url": everything_http}}

    fake.routes["/v1/get-server"] = get_server
    r = await api.post("/api/cloud/servers/weather/install", json={})
    assert failure(r, 400) == "MCPROUTER_API_KEY_NOT_CONFIGURED"
    await with_key(api)
    r = await api.post("/api/cloud/servers/nope/install", json={})
    assert failure(r, 404) == "Cloud server not found"

    installed = data(await api.post("/api/cloud/servers/weather/install", json={}))
    assert installed["name"] == "weather-cfg"
    config = installed["config"]
    assert config["type"] == "streamable-http" and config["url"] == everything_http
    assert config["headers"]["Authorization"] == "******"  # the router key stays hidden
    assert config["headers"]["X-Title"] == "T"
    assert fake.requests_to("/v1/get-server")[-1].body == {"server": "weather-key"}
    summary = await wait_server(api, "weather-cfg", "connected")
    assert any(t["name"] == "weather-cfg-echo" for t in summary["tools"])
