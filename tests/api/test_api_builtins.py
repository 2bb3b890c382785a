"""``/api/prompts``, ``/api/resources`` and ``POST /api/resources/read``: the hub's own items,
managed by admins and seen live by open MCP sessions."""

from __future__ import annotations

import asyncio

import mcp_types as t

from hub.server import HubServer
from hub.testing import HubClient
from tests.api_fixtures import changed_now, mcp


async def test_prompt_crud_reaches_open_sessions(ev: HubClient, hub_server: HubServer) -> None:
    changed = {k: asyncio.Event() for k in ("tools", "prompts", "resources")}
    async with mcp(hub_server, changed) as s:
        body = {
            "name": "review",
            "title": "Review",
            "template": "Review {{file}} strictly",
            "arguments": [{"name": "file", "required": True}],
        }
        r = await ev.post("/api/prompts", json=body)
        assert r.status_code == 201, r.text
        created = r.json()["data"]
        assert created["name"] == "review" and created["enabled"] is True and created["id"]
        await changed_now(changed, "prompts")
        names = [p.name for p in (await s.list_prompts()).prompts]
        assert names[0] == "review" and "ev-greet" in names
        got = await s.get_prompt("review", {"file": "a.py"})
        assert isinstance(got.messages[0].content, t.TextContent)
        assert got.messages[0].content.text == "Review a.py strictly"

        assert (await ev.post("/api/prompts", json=body)).status_code == 409
        assert (await ev.post("/api/prompts", json={"name": "x"})).status_code == 400
        listed = (await ev.get("/api/prompts")).json()["data"]
        assert [p["name"] for p in listed] == ["review"]
        pid = created["id"]
        assert (await ev.get(f"/api/prompts/{pid}")).json()["data"]["title"] == "Review"

        r = await ev.put(f"/api/prompts/{pid}", json={"enabled": False})
        assert r.status_code == 200 and r.json()["data"]["enabled"] is False
        await changed_now(changed, "prompts")
        assert "review" not in [p.name for p in (await s.list_prompts()).prompts]
        assert (await ev.put(f"/api/prompts/{pid}", json={})).status_code == 400

        assert (await ev.delete(f"/api/prompts/{pid}")).status_code == 200
        assert (await ev.get(f"/api/prompts/{pid}")).status_code == 404
        assert (await ev.delete(f"/api/prompts/{pid}")).status_code == 404


async def test_resources_and_read(ev: HubClient, hub_server: HubServer) -> None:
    changed = {k: asyncio.Event() for k in ("tools", "prompts", "resources")}
    async with mcp(hub_server, changed) as s:
        r = await ev.post("/api/resources", json={"uri": "hub://faq", "content": "Q and A"})
        assert r.status_code == 201, r.text
        rid = r.json()["data"]["id"]
        assert r.json()["data"]["mimeType"] == "text/plain"
        await changed_now(changed, "resources")
        read = await s.read_resource("hub://faq")
        assert isinstance(read.contents[0], t.TextResourceContents)
        assert read.contents[0].text == "Q and A"
        dup = await ev.post("/api/resources", json={"uri": "hub://faq", "content": "again"})
        assert dup.status_code == 409
        assert (await ev.post("/api/resources", json={"uri": "hub://x"})).status_code == 400

        r = await ev.put(f"/api/resources/{rid}", json={"content": "Updated"})
        assert r.status_code == 200 and r.json()["data"]["content"] == "Updated"
        r = await ev.post("/api/resources/read", json={"uri": "hub://faq"})
        assert r.json()["data"]["contents"][0]["text"] == "Updated"
        # An upstream's resource, found through the servers the caller may see.
        r = await ev.post("/api/resources/read", json={"uri": "test://static/hello"})
        assert r.status_code == 200 and r.json()["data"]["contents"][0]["text"] == "Hello, world!"
        missing = await ev.post("/api/resources/read", json={"uri": "hub://nothing"})
        assert missing.status_code == 404 and missing.json()["success"] is False

        assert (await ev.delete(f"/api/resources/{rid}")).status_code == 200
        await changed_now(changed, "resources")
        assert "hub://faq" not in {str(x.uri) for x in (await s.list_resources()).resources}


async def test_users_read_but_only_admins_write(ev: HubClient, alice: HubClient) -> None:
    r = await ev.post("/api/prompts", json={"name": "p", "template": "t"})
    pid = r.json()["data"]["id"]
    assert (await alice.get("/api/prompts")).status_code == 200
    assert (await alice.get(f"/api/prompts/{pid}")).status_code == 200
    assert (
        await alice.post("/api/prompts", json={"name": "q", "template": "t"})
    ).status_code == 403
    assert (await alice.put(f"/api/prompts/{pid}", json={"template": "x"})).status_code == 403
    assert (await alice.delete(f"/api/prompts/{pid}")).status_code == 403
    new = {"uri": "hub://a", "content": "c"}
    assert (await alice.post("/api/resources", json=new)).status_code == 403
    # alice owns no server, so only built-ins are readable for her
    hello = await alice.post("/api/resources/read", json={"uri": "test://static/hello"})
    assert hello.status_code == 404
