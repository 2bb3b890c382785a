"""``/api/servers``: create, list, read, update/rename, delete, toggle, reload, batch, against
real upstreams (the ``everything`` test server over stdio and streamable HTTP)."""

from __future__ import annotations

import uuid

import pytest

from hub.config.models import BearerKey, Group, GroupServer
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from tests.api_fixtures import processes_with, stdio_config, wait_server


@pytest.mark.slow
async def test_add_stdio_server_connects_live(api: HubClient) -> None:
    marker = f"ev-{uuid.uuid4().hex[:8]}"
    r = await api.post("/api/servers", json={"name": "ev", "config": stdio_config(marker)})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Server added successfully"}
    first = (await api.get("/api/servers/ev")).json()["data"]
    assert first["status"] in ("connecting", "connected")
    data = await wait_server(api, "ev", "connected")
    names = [t["name"] for t in data["tools"]]
    assert "ev-echo" in names and "ev-add" in names
    echo = next(t for t in data["tools"] if t["name"] == "ev-echo")
    assert echo["enabled"] is True and echo["inputSchema"]["type"] == "object"
    assert "$schema" not in echo["inputSchema"]
    assert [p["name"] for p in data["prompts"]][:1] == ["ev-greet"]
    assert "test://static/hello" in [r["uri"] for r in data["resources"]]
    assert data["config"]["type"] == "stdio" and data["config"]["owner"] == "admin"
    assert data["createTime"] > 0 and data["enabled"] is True and data["error"] is None
    assert processes_with(marker)

    listed = (await api.get("/api/servers")).json()
    assert listed["success"] is True and "pagination" not in listed
    assert [s["name"] for s in listed["data"]] == ["ev"]

    # delete: gone from the API and no process left behind
    r = await api.delete("/api/servers/ev")
    assert r.status_code == 200 and r.json()["message"] == "Server removed successfully"
    assert (await api.get("/api/servers/ev")).status_code == 404
    await wait_for(lambda: not processes_with(marker))


async def test_http_server_update_toggle_reload(api: HubClient, everything_http: str) -> None:
    cfg = {"type": "streamable-http", "url": everything_http, "headers": {"X-Trace": "a"}}
    assert (await api.post("/api/servers", json={"name": "web", "config": cfg})).status_code == 200
    data = await wait_server(api, "web", "connected")
    assert len(data["tools"]) >= 25 and data["config"]["headers"] == {"X-Trace": "a"}

    # update: a bad URL disconnects with an error, the good one reconnects
    bad = {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp"}
    r = await api.put("/api/servers/web", json={"config": bad})
    assert r.status_code == 200 and r.json()["message"] == "Server updated successfully"
    await wait_server(api, "web", "disconnected")
    assert (await api.put("/api/servers/web", json={"config": cfg})).status_code == 200
    await wait_server(api, "web", "connected")

    # toggle off: disconnected, no tools; on again: connected
    r = await api.post("/api/servers/web/toggle", json={"enabled": False})
    assert r.status_code == 200 and r.json()["message"] == "Server web disabled successfully"
    off = await wait_server(api, "web", "disconnected")
    assert off["enabled"] is False and off["tools"] == []
    assert (await api.post("/api/servers/web/reload")).status_code == 400
    # an update that leaves "enabled" out keeps the server disabled
    assert (await api.put("/api/servers/web", json={"config": cfg})).status_code == 200
    assert (await api.get("/api/servers/web")).json()["data"]["enabled"] is False
    r = await api.post("/api/servers/web/toggle", json={"enabled": True})
    assert r.json()["message"] == "Server web enabled successfully"
    await wait_server(api, "web", "connected")

    for body in ({"enabled": "yes"}, {}, {"enabled": 1}):
        r = await api.post("/api/servers/web/toggle", json=body)
        assert r.status_code == 400, body
        assert r.json()["success"] is False

    r = await api.post("/api/servers/web/reload")
    assert r.status_code == 200 and r.json()["message"] == "Server web reloaded successfully"
    await wait_server(api, "web", "connected")
    assert (await api.post("/api/servers/nope/reload")).status_code == 404
    assert (await api.post("/api/servers/nope/toggle", json={"enabled": True})).status_code == 404


async def test_create_validation(api: HubClient) -> None:
    cases = [
        ({"config": {"url": "http://127.0.0.1:1/sse"}}, "name"),
        ({"name": "x"}, "config"),
        ({"name": "x", "config": {}}, "url"),
        ({"name": "x", "config": {"type": "sse"}}, "url is required"),
        ({"name": "x", "config": {"type": "streamable-http"}}, "url is required"),
        ({"name": "x", "config": {"type": "stdio", "args": ["a"]}}, "command"),
        ({"name": "x", "config": {"type": "ftp", "url": "ftp://h"}}, "Invalid server type"),
        ({"name": "x", "config": {"command": "x", "headers": {"a": "b"}}}, "headers"),
        ({"name": "x", "config": {"url": "file:///etc/passwd"}}, "http(s)"),
        ({"name": "x", "config": {"type": "openapi"}}, "openapi.url"),
        ({"name": "x", "config": {"url": "http://h/", "env": {"A": {"b": 1}}}}, "env.A"),
        ({"name": "x", "config": {"url": "http://h/", "enabled": "maybe"}}, "enabled"),
        ({"name": "a/b", "config": {"url": "http://h/"}}, "name"),
        ({"name": "$smart", "config": {"url": "http://h/"}}, "name"),
        ({"name": "   ", "config": {"url": "http://h/"}}, "name"),
        ({"name": "x", "config": "stdio"}, "config"),
    ]
    for body, fragment in cases:
        r = await api.post("/api/servers", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["success"] is False
        assert fragment in r.json()["message"], (body, r.json()["message"])
    r = await api.post("/api/servers", content=b"{not json", headers={"content-type": "x"})
    assert r.status_code == 400 and r.json()["message"] == "Invalid JSON in body of request"
    r = await api.post("/api/servers", json=[1, 2])
    assert r.status_code == 400
    assert (await api.get("/api/servers")).json()["data"] == []


async def test_inference_defaults_and_duplicates(api: HubClient, hub_server: HubServer) -> None:
    # url without type → sse with MCPHub's keep-alive default; command without args is fine
    r = await api.post("/api/servers", json={"name": "s", "config": {"url": " http://h/sse "}})
    assert r.status_code == 200, r.text
    cfg = (await api.get("/api/servers/s")).json()["data"]["config"]
    assert cfg["type"] == "sse" and cfg["url"] == "http://h/sse"
    assert cfg["keepAliveInterval"] == 60000
    r = await api.post("/api/servers", json={"name": "c", "config": {"command": "true"}})
    assert r.status_code == 200, r.text
    assert (await api.get("/api/servers/c")).json()["data"]["config"]["type"] == "stdio"
    r = await api.post("/api/servers", json={"name": "s", "config": {"url": "http://h/x"}})
    assert r.status_code == 409 and "already exists" in r.json()["message"]
    # a group's name or id is taken too: /mcp/{segment} would reach the group, not the server
    await hub_server.hub.config.put_group(Group(id="gid", name="gname"))
    for taken in ("gid", "gname"):
        r = await api.post("/api/servers", json={"name": taken, "config": {"url": "http://h/"}})
        assert r.status_code == 409 and "group" in r.json()["message"], taken
        r = await api.put("/api/servers/s", json={"config": {"url": "http://h/"}, "newName": taken})
        assert r.status_code == 409, taken


async def test_pagination(api: HubClient) -> None:
    for i in range(5):
        body = {"name": f"p{i}", "config": {"url": "http://h/", "enabled": False}}
        assert (await api.post("/api/servers", json=body)).status_code == 200
    r = (await api.get("/api/servers", params={"page": 2, "limit": 2})).json()
    assert [s["name"] for s in r["data"]] == ["p2", "p3"]
    assert r["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "hasNextPage": True,
        "hasPrevPage": True,
    }
    last = (await api.get("/api/servers", params={"page": 3, "limit": 2})).json()
    assert [s["name"] for s in last["data"]] == ["p4"]
    for params in ({"page": 0}, {"limit": 0}, {"limit": 1001}, {"page": "x"}, {"limit": "1.5"}):
        r = await api.get("/api/servers", params=params)
        assert r.status_code == 400, params


async def test_batch(api: HubClient) -> None:
    ok = {"url": "http://h/", "enabled": False}
    r = await api.post(
        "/api/servers/batch",
        json={"servers": [{"name": "b1", "config": ok}, {"name": "b2", "config": ok}]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    assert body["data"]["results"] == [
        {"name": "b1", "success": True},
        {"name": "b2", "success": True},
    ]
    assert body["data"]["successCount"] == 2 and body["data"]["failureCount"] == 0

    mixed = [
        {"name": "b3", "config": ok},
        {"name": "b1", "config": ok},
        {"name": "b4", "config": {}},
        "junk",
    ]
    r = await api.post("/api/servers/batch", json={"servers": mixed})
    assert r.status_code == 207, r.text
    results = r.json()["data"]["results"]
    assert [x["success"] for x in results] == [True, False, False, False]
    assert "already exists" in results[1]["message"] and results[2]["name"] == "b4"
    assert r.json()["data"]["successCount"] == 1 and r.json()["data"]["failureCount"] == 3

    r = await api.post("/api/servers/batch", json={"servers": [{"name": "b1", "config": ok}]})
    assert r.status_code == 400 and r.json()["success"] is False
    assert r.json()["data"]["failureCount"] == 1
    for body in ({"servers": []}, {}, {"servers": "x"}):
        r = await api.post("/api/servers/batch", json=body)
        assert r.status_code == 400, body
    names = [s["name"] for s in (await api.get("/api/servers")).json()["data"]]
    assert names == ["b1", "b2", "b3"]


async def test_rename_moves_references(api: HubClient, hub_server: HubServer) -> None:
    live = hub_server.hub.config
    cfg = {
        "url": "http://127.0.0.1:9/mcp",
        "type": "streamable-http",
        "enabled": False,
        "tools": {"old-echo": {"enabled": False}},
    }
    assert (await api.post("/api/servers", json={"name": "old", "config": cfg})).status_code == 200
    assert (
        await api.post("/api/servers", json={"name": "other", "config": cfg})
    ).status_code == 200
    await live.put_group(Group(id="g1", name="g", servers=[GroupServer(name="old")]), create=True)
    key = BearerKey(
        id="k1", name="k", token_hash="h", access_type="servers", allowed_servers=["old"]
    )
    await live.put_key(key, create=True)

    new_cfg = {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp", "description": "d"}
    r = await api.put("/api/servers/old", json={"config": new_cfg, "newName": "other"})
    assert r.status_code == 409
    r = await api.put("/api/servers/old", json={"config": new_cfg, "newName": "new"})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Server renamed and updated successfully"
    assert "old" not in live.servers and live.servers["new"].description == "d"
    # overrides follow the name; the server stays disabled; references follow too
    assert live.servers["new"].tools is not None and "new-echo" in live.servers["new"].tools
    assert live.servers["new"].enabled is False
    assert [s.name for s in live.groups["g1"].servers] == ["new"]
    assert live.keys["k1"].allowed_servers == ["new"]
    assert (await api.get("/api/servers/old")).status_code == 404
    assert (await api.put("/api/servers/old", json={"config": new_cfg})).status_code == 404

    # delete drops the references, so a later server of that name inherits nothing
    assert (await api.delete("/api/servers/new")).status_code == 200
    assert live.groups["g1"].servers == [] and live.keys["k1"].allowed_servers == []
    assert (await api.delete("/api/servers/new")).status_code == 404


async def test_masked_secrets_round_trip(api: HubClient, hub_server: HubServer) -> None:
    cfg = {
        "type": "streamable-http",
        "url": "http://127.0.0.1:9/mcp?api_key=S3CRET-URL&x=1",
        "headers": {"Authorization": "Bearer S3CRET-H", "X-Plain": "p"},
        "enabled": False,
    }
    assert (await api.post("/api/servers", json={"name": "m", "config": cfg})).status_code == 200
    shown = (await api.get("/api/servers/m")).json()["data"]["config"]
    text = str(shown)
    assert "S3CRET" not in text
    assert shown["headers"] == {"Authorization": "******", "X-Plain": "p"}
    # sending the masked form back keeps the stored secrets
    shown["description"] = "edited"
    assert (await api.put("/api/servers/m", json={"config": shown})).status_code == 200
    stored = hub_server.hub.config.servers["m"]
    assert stored.headers == cfg["headers"] and stored.url == cfg["url"]
    assert stored.description == "edited"
    # ...but not towards another host
    moved = {**shown, "url": "http://127.0.0.2:9/mcp"}
    r = await api.put("/api/servers/m", json={"config": moved})
    assert r.status_code == 400 and "Masked" in r.json()["message"]
    assert "S3CRET" not in (await api.get("/api/servers")).text


async def test_roles_and_errors(
    api: HubClient, alice: HubClient, hub_client: HubClient, hub_server: HubServer
) -> None:
    remote = {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp", "enabled": False}
    assert (
        await api.post("/api/servers", json={"name": "adm", "config": remote})
    ).status_code == 200
    # 401 without credentials on every route
    for method, path in [
        ("GET", "/api/servers"),
        ("POST", "/api/servers"),
        ("POST", "/api/servers/batch"),
        ("GET", "/api/servers/adm"),
        ("PUT", "/api/servers/adm"),
        ("DELETE", "/api/servers/adm"),
        ("POST", "/api/servers/adm/toggle"),
        ("POST", "/api/servers/adm/reload"),
    ]:
        r = await hub_client.request(method, path, json={})
        assert r.status_code == 401, (method, path)
    # a user: stdio is admin-only (403), others' servers are invisible (404)
    r = await alice.post("/api/servers", json={"name": "a1", "config": stdio_config()})
    assert r.status_code == 403 and "stdio" in r.json()["message"]
    r = await alice.post(
        "/api/servers/batch", json={"servers": [{"name": "a1", "config": stdio_config()}]}
    )
    assert r.status_code == 400 and "stdio" in r.json()["data"]["results"][0]["message"]
    mine = {**remote, "owner": "admin"}
    assert (
        await alice.post("/api/servers", json={"name": "a2", "config": mine})
    ).status_code == 200
    assert hub_server.hub.config.servers["a2"].owner == "alice"
    assert [s["name"] for s in (await alice.get("/api/servers")).json()["data"]] == ["a2"]
    for method, path, body in [
        ("GET", "/api/servers/adm", None),
        ("PUT", "/api/servers/adm", {"config": remote}),
        ("DELETE", "/api/servers/adm", None),
        ("POST", "/api/servers/adm/toggle", {"enabled": True}),
        ("POST", "/api/servers/adm/reload", None),
    ]:
        r = await alice.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.text)
    r = await alice.put("/api/servers/a2", json={"config": stdio_config()})
    assert r.status_code == 403
    assert (await alice.put("/api/servers/a2", json={"config": remote})).status_code == 200
    # the admin sees both; the user's server keeps its owner
    assert len((await api.get("/api/servers")).json()["data"]) == 2
    assert hub_server.hub.config.servers["a2"].owner == "alice"
    assert (await api.put("/api/servers/nope", json={"config": remote})).status_code == 404
    assert (await api.delete("/api/servers/nope")).status_code == 404
    r = await api.put("/api/servers/adm", json={"config": {"type": "sse"}})
    assert r.status_code == 400


async def test_body_limit(api: HubClient) -> None:
    r = await api.put("/api/system-config", json={"routing": {"jsonBodyLimit": "2kb"}})
    assert r.status_code == 200, r.text
    big = {"name": "big", "config": {"url": "http://h/", "description": "x" * 4096}}
    for method, path in [
        ("POST", "/api/servers"),
        ("POST", "/api/servers/batch"),
        ("PUT", "/api/servers/big"),
        ("POST", "/api/servers/big/toggle"),
    ]:
        r = await api.request(method, path, json=big)
        assert r.status_code == 413, (method, path)
        assert r.json()["success"] is False
