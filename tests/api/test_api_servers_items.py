"""Tool, prompt and resource toggles and description overrides through the REST API, seen by
an open MCP session (list_changed, filtered lists, refused calls) on a real upstream."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from hub.server import HubServer
from hub.testing import HubClient
from tests.api_fixtures import changed_now, mcp


def tool(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return next(x for x in summary["tools"] if x["name"] == name)


async def test_tool_toggle_and_description(ev: HubClient, hub_server: HubServer) -> None:
    changed = {k: asyncio.Event() for k in ("tools", "prompts", "resources")}
    async with mcp(hub_server, changed) as s:
        upstream = {x.name: x.description for x in (await s.list_tools()).tools}["ev-echo"]

        r = await ev.post("/api/servers/ev/tools/ev-echo/toggle", json={"enabled": False})
        assert r.status_code == 200, r.text
        assert r.json()["message"] == "Tool ev-echo disabled successfully"
        await changed_now(changed, "tools")
        names = {x.name for x in (await s.list_tools()).tools}
        assert "ev-echo" not in names and "ev-add" in names
        with pytest.raises(MCPError):
            await s.call_tool("ev-echo", {"text": "x"})
        summary = (await ev.get("/api/servers/ev")).json()["data"]
        assert tool(summary, "ev-echo")["enabled"] is False
        assert summary["status"] == "connected"  # a toggle does not reconnect

        # the upstream's own name is accepted too
        r = await ev.post("/api/servers/ev/tools/echo/toggle", json={"enabled": True})
        assert r.status_code == 200 and r.json()["data"]["name"] == "ev-echo"
        await changed_now(changed, "tools")
        assert (await s.call_tool("ev-echo", {"text": "back"})).structured_content == {
            "text": "back"
        }

        r = await ev.put("/api/servers/ev/tools/ev-echo/description", json={"description": "Mine"})
        assert r.status_code == 200, r.text
        await changed_now(changed, "tools")
        listed = {x.name: x.description for x in (await s.list_tools()).tools}
        assert listed["ev-echo"] == "Mine"
        summary = (await ev.get("/api/servers/ev")).json()["data"]
        assert tool(summary, "ev-echo")["description"] == "Mine"

        r = await ev.delete("/api/servers/ev/tools/ev-echo/description")
        assert r.status_code == 200, r.text
        assert r.json()["data"]["description"] == upstream
        await changed_now(changed, "tools")
        listed = {x.name: x.description for x in (await s.list_tools()).tools}
        assert listed["ev-echo"] == upstream

    # a reset keeps a disable flag
    live = hub_server.hub.config
    await ev.post("/api/servers/ev/tools/ev-add/toggle", json={"enabled": False})
    await ev.put("/api/servers/ev/tools/ev-add/description", json={"description": "x"})
    await ev.delete("/api/servers/ev/tools/ev-add/description")
    assert live.servers["ev"].tools is not None
    assert live.servers["ev"].tools["ev-add"].wire() == {"enabled": False}
    assert "ev-echo" not in live.servers["ev"].tools


async def test_item_errors(ev: HubClient, alice: HubClient, hub_client: HubClient) -> None:
    base = "/api/servers/ev/tools/ev-echo"
    for path, body in [
        (f"{base}/toggle", {"enabled": "no"}),
        (f"{base}/toggle", {}),
        (f"{base}/description", {"description": 5}),
        (f"{base}/description", {}),
    ]:
        method = "POST" if path.endswith("toggle") else "PUT"
        r = await ev.request(method, path, json=body)
        assert r.status_code == 400, (path, body, r.text)
    for method, path, body in [
        ("POST", "/api/servers/ev/tools/nope/toggle", {"enabled": True}),
        ("PUT", "/api/servers/ev/tools/nope/description", {"description": "d"}),
        ("DELETE", "/api/servers/ev/tools/nope/description", None),
        ("POST", "/api/servers/ev/prompts/ev-nope/toggle", {"enabled": True}),
        ("POST", "/api/servers/ev/resources/test%3A%2F%2Fnope/toggle", {"enabled": True}),
        ("POST", "/api/servers/zz/tools/ev-echo/toggle", {"enabled": True}),
    ]:
        r = await ev.request(method, path, json=body)
        assert r.status_code == 404, (method, path)
        assert r.json()["success"] is False
    # others' servers look missing; no credentials is 401
    for method, path, body in [
        ("POST", f"{base}/toggle", {"enabled": False}),
        ("PUT", f"{base}/description", {"description": "d"}),
        ("DELETE", f"{base}/description", None),
    ]:
        assert (await alice.request(method, path, json=body)).status_code == 404
        assert (await hub_client.request(method, path, json=body)).status_code == 401
    await ev.put("/api/system-config", json={"routing": {"jsonBodyLimit": "1kb"}})
    r = await ev.put(f"{base}/description", json={"description": "x" * 2000})
    assert r.status_code == 413


async def test_prompts_and_resources(ev: HubClient, hub_server: HubServer) -> None:
    changed = {k: asyncio.Event() for k in ("tools", "prompts", "resources")}
    uri = "test://static/hello"
    encoded = urllib.parse.quote(uri, safe="")
    async with mcp(hub_server, changed) as s:
        r = await ev.post("/api/servers/ev/prompts/ev-greet/toggle", json={"enabled": False})
        assert (
            r.status_code == 200 and r.json()["message"] == "Prompt ev-greet disabled successfully"
        )
        await changed_now(changed, "prompts")
        assert "ev-greet" not in {p.name for p in (await s.list_prompts()).prompts}
        await ev.post("/api/servers/ev/prompts/ev-greet/toggle", json={"enabled": True})
        r = await ev.put("/api/servers/ev/prompts/ev-greet/description", json={"description": "Hi"})
        assert r.status_code == 200
        await changed_now(changed, "prompts")
        prompts = {p.name: p.description for p in (await s.list_prompts()).prompts}
        assert prompts["ev-greet"] == "Hi"
        r = await ev.delete("/api/servers/ev/prompts/ev-greet/description")
        assert r.json()["data"]["description"] == "Greets someone"

        r = await ev.post(f"/api/servers/ev/resources/{encoded}/toggle", json={"enabled": False})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["name"] == uri
        await changed_now(changed, "resources")
        assert uri not in {str(x.uri) for x in (await s.list_resources()).resources}
        summary = (await ev.get("/api/servers/ev")).json()["data"]
        assert next(x for x in summary["resources"] if x["uri"] == uri)["enabled"] is False
        await ev.post(f"/api/servers/ev/resources/{encoded}/toggle", json={"enabled": True})
        r = await ev.put(
            f"/api/servers/ev/resources/{encoded}/description", json={"description": "R"}
        )
        assert r.status_code == 200
        await changed_now(changed, "resources")
        resources = {str(x.uri): x.description for x in (await s.list_resources()).resources}
        assert resources[uri] == "R"
        r = await ev.delete(f"/api/servers/ev/resources/{encoded}/description")
        assert r.status_code == 200 and r.json()["data"] == {"name": uri, "description": None}


async def test_name_separator_renames_tools_and_overrides(
    ev: HubClient, hub_server: HubServer
) -> None:
    await ev.post("/api/servers/ev/tools/ev-echo/toggle", json={"enabled": False})
    changed = {k: asyncio.Event() for k in ("tools", "prompts", "resources")}
    async with mcp(hub_server, changed) as s:
        r = await ev.put("/api/system-config", json={"nameSeparator": "__"})
        assert r.status_code == 200, r.text
        await changed_now(changed, "tools")
        names = {x.name for x in (await s.list_tools()).tools}
        assert "ev__add" in names and "ev__echo" not in names and "ev-add" not in names
    summary = (await ev.get("/api/servers/ev")).json()["data"]
    assert tool(summary, "ev__echo")["enabled"] is False
    assert hub_server.hub.config.servers["ev"].tools is not None
    assert set(hub_server.hub.config.servers["ev"].tools) == {"ev__echo"}
