"""The hub's tools as an OpenAPI service: the document, REST calls and their enforcement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from openapi_spec_validator import validate

from hub.api.tool_server_spec import document
from hub.server import HubServer
from hub.testing import HubClient
from tests.mcp_fixtures import wait_connected
from tests.openapi_fixtures import RestApi, start_rest_api

KEY_TOKEN = "second-only-key-0123456789"
ALL_TOKEN = "all-access-key-0123456789"


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


@pytest.fixture
def hub_settings(rest_api: RestApi) -> dict[str, Any]:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Second", "version": "1"},
        "servers": [{"url": f"{rest_api.origin}/v1"}],
        "paths": {"/hello": {"get": {"operationId": "hello", "responses": {}}}},
    }
    return {
        "mcpServers": {
            "rest": {
                "type": "openapi",
                "openapi": {
                    "url": rest_api.spec_url,
                    "security": {"type": "apiKey", "apiKey": {"value": "test-key"}},
                },
                "tools": {"rest-deleteItem": {"enabled": False}},
            },
            "second": {"type": "openapi", "openapi": {"schema": doc}},
        },
        "groups": [
            {"id": "g1", "name": "g", "servers": [{"name": "rest", "tools": ["getItem", "echo"]}]}
        ],
        "bearerKeys": [
            {"id": "k0", "name": "openwebui", "token": ALL_TOKEN, "accessType": "all"},
            {
                "id": "k1",
                "name": "second only",
                "token": KEY_TOKEN,
                "accessType": "servers",
                "allowedServers": ["second"],
            },
        ],
    }


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "rest", "second")
    return hub_server


async def requests_seen(api: RestApi) -> int:
    async with httpx2.AsyncClient() as client:
        return int((await client.get(f"{api.origin}/stats")).json()["requests"])


async def test_document_validates_and_follows_the_method_rule(
    hub: HubServer, admin_client: HubClient
) -> None:
    r = await admin_client.get("/api/openapi.json")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    doc = r.json()
    validate(doc)
    assert doc["servers"] == [{"url": f"http://{hub.address}/api"}]
    paths = doc["paths"]
    assert paths["/tools/rest/getItem"]["post"]["operationId"] == "rest-getItem"
    body = paths["/tools/rest/getItem"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["required"] == ["itemId"]
    slow = paths["/tools/rest/slow"]["get"]  # one number argument: GET with a query parameter
    assert slow["parameters"][0]["name"] == "seconds" and slow["parameters"][0]["in"] == "query"
    assert "get" in paths["/tools/second/hello"]  # no arguments at all
    assert "/tools/rest/deleteItem" not in paths  # toggled off

    r = await admin_client.get("/api/openapi.json", params={"includeDisabled": "true"})
    validate(r.json())
    assert "/tools/rest/deleteItem" in r.json()["paths"]

    r = await admin_client.get("/api/openapi.json", params={"servers": "second"})
    assert set(r.json()["paths"]) == {"/tools/second/hello"}

    r = await admin_client.get(
        "/api/openapi.json", params={"serverUrl": "https://hub.example", "title": "T"}
    )
    assert r.json()["servers"] == [{"url": "https://hub.example/api"}]
    assert r.json()["info"]["title"] == "T"


async def test_group_documents_point_at_group_routes(
    hub: HubServer, admin_client: HubClient
) -> None:
    for path, params in (("/api/g/openapi.json", None), ("/api/openapi.json", {"group": "g"})):
        doc = (await admin_client.get(path, params=params)).json()
        validate(doc)
        assert set(doc["paths"]) == {"/tools/rest/getItem", "/tools/rest/echo"}
        assert doc["servers"][0]["url"].endswith("/api/g")
    server_doc = (await admin_client.get("/api/second/openapi.json")).json()
    assert set(server_doc["paths"]) == {"/tools/second/hello"}
    assert (await admin_client.get("/api/nope/openapi.json")).status_code == 404


async def test_called_the_openwebui_way(hub: HubServer) -> None:
    """A tool server client with a bearer key: read the document, call operations as it says."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {ALL_TOKEN}"}) as http:
        r = await http.get(f"http://{hub.address}/api/openapi.json")
        assert r.status_code == 200, r.text
        doc = r.json()
        base = doc["servers"][0]["url"]
        by_id = {
            op["operationId"]: (method, path)
            for path, item in doc["paths"].items()
            for method, op in item.items()
        }
        method, path = by_id["rest-getItem"]
        r = await http.request(method, base + path, json={"itemId": 1, "X-Request-Id": "ow"})
        assert r.status_code == 200, r.text
        assert r.json()["structuredContent"]["requestId"] == "ow"
        method, path = by_id["rest-slow"]
        r = await http.request(method, base + path, params={"seconds": "0.01"})
        assert r.json()["structuredContent"] == {"slept": True}


async def test_arguments_converted_by_schema(hub: HubServer, admin_client: HubClient) -> None:
    r = await admin_client.get("/api/tools/rest/listItems", params={"limit": "1"})
    assert r.status_code == 200 and len(r.json()["structuredContent"]["result"]) == 1
    r = await admin_client.post("/api/tools/rest/getItem", json={"itemId": "1"})
    assert r.json()["structuredContent"]["id"] == 1
    r = await admin_client.get("/api/g/tools/rest/getItem", params={"itemId": "1"})
    assert r.json()["structuredContent"]["name"] == "widget"
    r = await admin_client.post(
        "/api/tools/call/rest", json={"toolName": "getItem", "arguments": {"itemId": "1"}}
    )
    body = r.json()
    assert body["success"] is True and body["data"]["arguments"] == {"itemId": 1}
    assert (
        body["data"]["toolName"] == "getItem" and '"widget"' in body["data"]["content"][0]["text"]
    )
    r = await admin_client.post("/api/tools/call/rest", json={"arguments": {}})
    assert r.status_code == 400


async def test_tool_errors_are_results(hub: HubServer, admin_client: HubClient) -> None:
    r = await admin_client.post("/api/tools/rest/getItem", json={"itemId": 12345})
    assert r.status_code == 200 and r.json()["isError"] is True
    assert r.json()["content"][0]["text"].startswith("HTTP 404")


async def test_same_enforcement_as_mcp(
    hub: HubServer, admin_client: HubClient, hub_client: HubClient, rest_api: RestApi
) -> None:
    before = await requests_seen(rest_api)
    # Toggled off, outside the group's selection, or no credentials: nothing reaches the API.
    r = await admin_client.post("/api/tools/rest/deleteItem", json={"itemId": 1})
    assert r.status_code == 404
    r = await admin_client.post("/api/g/tools/rest/listItems", json={})
    assert r.status_code == 404
    assert (await hub_client.post("/api/tools/rest/getItem", json={"itemId": 1})).status_code == 401
    assert (await hub_client.get("/api/openapi.json")).status_code == 401

    # A normal user does not own the admin's servers.
    password = "B0b!-password"
    r = await admin_client.post("/api/users", json={"username": "bob", "password": password})
    assert r.status_code in (200, 201), r.text
    bob = HubClient(hub_client.base_url)
    try:
        await bob.login("bob", password)
        assert (await bob.post("/api/tools/rest/getItem", json={"itemId": 1})).status_code == 404
        assert (await bob.get("/api/openapi.json")).json()["paths"] == {}
        assert (await bob.get("/api/openapi/servers")).json()["data"] == []
    finally:
        await bob.aclose()

    # A key scoped to one server sees and calls only that server.
    key = {"Authorization": f"Bearer {KEY_TOKEN}"}
    doc = (await hub_client.get("/api/openapi.json", headers=key, token=None)).json()
    assert set(doc["paths"]) == {"/tools/second/hello"}
    r = await hub_client.post("/api/tools/rest/getItem", json={"itemId": 1}, headers=key)
    assert r.status_code == 404
    r = await hub_client.get("/api/tools/second/hello", headers=key, token=None)
    assert r.status_code == 200 and r.json()["content"][0]["text"] == "hello, world"
    assert await requests_seen(rest_api) == before + 1  # only the scoped key's own call


async def test_servers_and_stats(hub: HubServer, admin_client: HubClient) -> None:
    servers = (await admin_client.get("/api/openapi/servers")).json()
    assert servers == {"success": True, "data": ["rest", "second"]}
    stats = (await admin_client.get("/api/openapi/stats")).json()["data"]
    assert stats["totalServers"] == 2
    by_name = {s["name"]: s for s in stats["serverBreakdown"]}
    assert by_name["second"] == {"name": "second", "toolCount": 1, "status": "connected"}
    assert by_name["rest"]["toolCount"] == 11  # 12 operations, one toggled off
    assert stats["totalTools"] == 12


def test_defs_are_hoisted_and_bad_schemas_replaced() -> None:
    tool = {
        "name": "make",
        "description": "Make a thing",
        "inputSchema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {
                "Part": {"type": "object", "properties": {"n": {"type": ["integer", "null"]}}}
            },
            "properties": {
                "part": {"$ref": "#/$defs/Part"},
                "self": {"$ref": "#"},
                "kind": {"const": "x"},
            },
        },
    }
    bad = {"name": "bad", "inputSchema": {"type": "object", "properties": {"a": {"type": 5}}}}
    doc = document([("s-make", "s", "make", tool), ("s-bad", "s", "bad", bad)], "http://h/api")
    validate(doc)
    schema = doc["paths"]["/tools/s/make"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["properties"]["part"] == {"$ref": "#/components/schemas/s-make.Part"}
    assert "s-make.Part" in doc["components"]["schemas"]
    assert "/tools/s/bad" in doc["paths"]
