"""OpenAPI servers as hub upstreams: connect, list, call through /mcp, reload, bad specs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from hub.server import HubServer
from hub.testing import wait_for
from hub.upstream.state import Status
from tests.mcp_fixtures import wait_connected
from tests.openapi_fixtures import RestApi, petstore, start_rest_api

BAD = {
    "bad-ref": "unresolvable $ref '#/components/parameters/Nope'",
    "bad-doc": "unsupported OpenAPI version",
    "bad-url": "ConnectError",
}


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


@pytest.fixture
def hub_settings(rest_api: RestApi) -> dict[str, Any]:
    key = {"type": "apiKey", "apiKey": {"value": "test-key"}}
    return {
        "mcpServers": {
            "rest": {
                "type": "openapi",
                "openapi": {
                    "url": rest_api.spec_url,
                    "security": key,
                    "passthroughHeaders": ["X-Tenant"],
                },
            },
            # Inline spec, type inferred; the top-level url anchors its relative server.
            "pets": {
                "url": "https://petstore3.swagger.io/api/v3/openapi.json",
                "openapi": {"schema": petstore()},
            },
            "bad-ref": {"type": "openapi", "openapi": {"url": f"{rest_api.origin}/broken.json"}},
            "bad-doc": {"type": "openapi", "openapi": {"schema": {"openapi": "2.5", "paths": {}}}},
            "bad-url": {"type": "openapi", "openapi": {"url": "http://127.0.0.1:9/openapi.json"}},
        },
        "systemConfig": {"routing": {"enableBearerAuth": False}},
    }


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "rest", "pets")
    return hub_server


async def test_tools_listed_and_called_through_mcp(hub: HubServer) -> None:
    http = httpx2.AsyncClient(headers={"X-Tenant": "acme"}, timeout=30)
    async with (
        http,
        streamable_http_client(f"http://{hub.address}/mcp", http_client=http) as (r, w),
        ClientSession(r, w) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert {"rest-listItems", "rest-getItem", "pets-getPetById", "pets-addPet"} <= set(tools)
        assert not any(name.startswith("bad-") for name in tools)
        schema = tools["rest-getItem"].input_schema
        assert schema["properties"]["itemId"]["type"] == "integer"

        got = await session.call_tool("rest-getItem", {"itemId": 1, "X-Request-Id": "m-1"})
        assert not got.is_error
        assert got.structured_content == {
            "id": 1,
            "name": "widget",
            "price": 2.5,
            "tags": ["a"],
            "requestId": "m-1",
        }
        missing = await session.call_tool("rest-getItem", {"itemId": 404})
        assert missing.is_error and isinstance(missing.content[0], t.TextContent)
        assert missing.content[0].text.startswith("HTTP 404")

        echo = await session.call_tool("rest-echo", {"q": "x"})
        assert echo.structured_content is not None
        assert echo.structured_content["headers"].get("x-tenant") == "acme"


async def test_bad_specs_stay_disconnected_with_one_line(hub: HubServer) -> None:
    upstreams = hub.hub.upstreams

    def settled() -> bool:
        return all(
            upstreams.state(n).status is Status.DISCONNECTED and upstreams.state(n).error
            for n in BAD
        )

    await wait_for(settled, 20)
    for name, fragment in BAD.items():
        error = upstreams.state(name).error or ""
        assert fragment in error and "\n" not in error, (name, error)
    assert upstreams.state("rest").status is Status.CONNECTED


async def test_api_shows_status_and_reload_rereads_the_spec(
    hub: HubServer, admin_client: Any, rest_api: RestApi
) -> None:
    listed = (await admin_client.get("/api/servers")).json()["data"]
    by_name = {s["name"]: s for s in listed}
    assert by_name["rest"]["status"] == "connected"
    assert by_name["bad-doc"]["status"] == "disconnected"
    assert "unsupported OpenAPI version" in by_name["bad-doc"]["error"]

    async with httpx2.AsyncClient() as client:

        async def fetches() -> int:
            stats = (await client.get(f"{rest_api.origin}/stats")).json()
            return int(stats["specFetches"]["/openapi.json"])

        before = await fetches()
        r = await admin_client.post("/api/servers/rest/reload")
        assert r.status_code == 200, r.text

        async def fetched_again() -> bool:
            return await fetches() > before

        await wait_for(fetched_again, 4)
        assert await fetches() == before + 1
    await wait_connected(hub.hub, "rest")
