"""Groups: CRUD by id or name, member servers and selections, batch, ownership, events."""

from __future__ import annotations

from typing import Any

from hub.server import HubServer
from hub.testing import HubClient
from tests.access_fixtures import Cast, remote
from tests.upstreams_fixtures import event_dict


async def add_servers(server: HubServer, *names: str, owner: str | None = None) -> None:
    for name in names:
        await server.hub.config.put_server(name, remote(owner), create=True)


async def test_create_lookup_update_delete(hub_server: HubServer, admin_client: HubClient) -> None:
    await add_servers(hub_server, "s1", "s2")
    events: list[dict[str, Any]] = []
    hub_server.hub.bus.subscribe(lambda e: events.append(event_dict(e)))

    r = await admin_client.post(
        "/api/groups",
        json={
            "name": "team",
            "description": "d",
            "servers": ["s1", {"name": "s2", "tools": ["echo"]}],
        },
    )
    assert r.status_code == 201, r.text
    group = r.json()["data"]
    assert group["owner"] == "admin"
    assert group["servers"] == [
        {"name": "s1", "tools": "all", "prompts": "all", "resources": "all"},
        {"name": "s2", "tools": ["echo"], "prompts": "all", "resources": "all"},
    ]
    assert {"kind": "groups", "id": group["id"]} in events

    by_id = await admin_client.get(f"/api/groups/{group['id']}")
    by_name = await admin_client.get("/api/groups/team")
    assert by_id.json()["data"] == by_name.json()["data"] == group

    assert (await admin_client.put("/api/groups/team", json={})).status_code == 400
    renamed = await admin_client.put("/api/groups/team", json={"name": "crew", "description": "e"})
    assert renamed.json()["data"]["name"] == "crew"
    assert renamed.json()["data"]["id"] == group["id"]
    assert (await admin_client.get("/api/groups/team")).status_code == 404

    assert (await admin_client.delete("/api/groups/crew")).status_code == 200
    assert (await admin_client.get(f"/api/groups/{group['id']}")).status_code == 404
    assert group["id"] not in hub_server.hub.config.groups


async def test_bad_writes_are_refused_and_store_nothing(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    await add_servers(hub_server, "s1")
    assert (await admin_client.post("/api/groups", json={"name": "g"})).status_code == 201
    cases = [
        ({"name": "g"}, 409),
        ({"name": "h", "servers": ["s1", "ghost"]}, 400),
        ({"name": "h", "servers": ["s1", "s1"]}, 400),
        ({"name": "h", "servers": [{"name": "s1", "tools": "some"}]}, 400),
        ({"description": "no name"}, 400),
        ({"name": "a/b"}, 400),
    ]
    for body, status in cases:
        r = await admin_client.post("/api/groups", json=body)
        assert r.status_code == status, (body, r.text)
    unknown = await admin_client.post("/api/groups", json={"name": "h", "servers": ["ghost"]})
    assert "ghost" in unknown.json()["message"]
    assert [g.name for g in hub_server.hub.config.groups.values()] == ["g"]
    await admin_client.post("/api/groups", json={"name": "other"})
    assert (await admin_client.put("/api/groups/other", json={"name": "g"})).status_code == 409
    bad = await admin_client.put("/api/groups/other", json={"servers": ["ghost"]})
    assert bad.status_code == 400


async def test_member_routes_and_selections(hub_server: HubServer, admin_client: HubClient) -> None:
    await add_servers(hub_server, "s1", "s2", "s3")
    await admin_client.post("/api/groups", json={"name": "g", "servers": ["s1"]})

    added = await admin_client.post("/api/groups/g/servers", json={"serverName": "s2"})
    assert [s["name"] for s in added.json()["data"]["servers"]] == ["s1", "s2"]
    again = await admin_client.post("/api/groups/g/servers", json={"serverName": "s2"})
    assert again.status_code == 200
    ghost = await admin_client.post("/api/groups/g/servers", json={"serverName": "ghost"})
    assert ghost.status_code == 400
    assert (await admin_client.get("/api/groups/g/servers")).json()["data"] == ["s1", "s2"]

    assert (await admin_client.delete("/api/groups/g/servers/s1")).status_code == 200
    assert (await admin_client.delete("/api/groups/g/servers/s1")).status_code == 404
    assert (await admin_client.get("/api/groups/g/servers")).json()["data"] == ["s2"]

    batch = await admin_client.put(
        "/api/groups/g/servers/batch", json={"servers": ["s3", {"name": "s1", "prompts": []}]}
    )
    assert batch.status_code == 200
    configs = (await admin_client.get("/api/groups/g/server-configs")).json()["data"]
    assert [c["name"] for c in configs] == ["s3", "s1"]
    assert configs[1]["prompts"] == []
    bad_batch = await admin_client.put("/api/groups/g/servers/batch", json={"servers": ["ghost"]})
    assert bad_batch.status_code == 400

    tools = await admin_client.put(
        "/api/groups/g/server-configs/s3/tools", json={"tools": ["echo", "add", "echo"]}
    )
    assert tools.json()["data"]["tools"] == ["echo", "add"]
    res = await admin_client.put(
        "/api/groups/g/server-configs/s3/resources", json={"resources": "all"}
    )
    assert res.json()["data"]["resources"] == "all"
    one = await admin_client.get("/api/groups/g/server-configs/s3")
    assert one.json()["data"] == {
        "name": "s3",
        "tools": ["echo", "add"],
        "prompts": "all",
        "resources": "all",
    }
    for body in ({"tools": 5}, {"tools": "some"}, {"prompts": "all"}):
        bad = await admin_client.put("/api/groups/g/server-configs/s3/tools", json=body)
        assert bad.status_code == 400, body
    missing = await admin_client.get("/api/groups/g/server-configs/s2")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Server not found in group"


async def test_batch_create_reports_each_item(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    await add_servers(hub_server, "s1")
    ok = await admin_client.post(
        "/api/groups/batch", json={"groups": [{"name": "b1"}, {"name": "b2", "servers": ["s1"]}]}
    )
    assert ok.status_code == 200
    assert ok.json()["successCount"] == 2
    mixed = await admin_client.post(
        "/api/groups/batch",
        json={"groups": [{"name": "b3"}, {"name": "b1"}, {"name": "b4", "servers": ["ghost"]}]},
    )
    assert mixed.status_code == 207
    body = mixed.json()
    assert (body["successCount"], body["failureCount"]) == (1, 2)
    assert [r["success"] for r in body["results"]] == [True, False, False]
    assert "ghost" in body["results"][2]["message"]
    failed = await admin_client.post("/api/groups/batch", json={"groups": [{"name": "b1"}]})
    assert failed.status_code == 400
    assert failed.json()["success"] is False


async def test_users_only_see_and_use_their_own(cast: Cast) -> None:
    a, b, admin = cast["A"], cast["B"], cast["admin"]
    mine = await a.post("/api/groups", json={"name": "a-team", "servers": ["a-srv"]})
    assert mine.status_code == 201
    assert mine.json()["data"]["owner"] == "A"

    assert {g["name"] for g in (await a.get("/api/groups")).json()["data"]} == {"a-grp", "a-team"}
    assert {g["name"] for g in (await b.get("/api/groups")).json()["data"]} == {"b-grp"}
    assert len((await admin.get("/api/groups")).json()["data"]) == 4

    # Another user's server and a server that does not exist look the same.
    theirs = await a.post("/api/groups", json={"name": "x", "servers": ["b-srv"]})
    ghost = await a.post("/api/groups", json={"name": "x", "servers": ["nope"]})
    assert theirs.status_code == ghost.status_code == 400
    assert theirs.json()["message"].replace("b-srv", "?") == ghost.json()["message"].replace(
        "nope", "?"
    )
    # Another user's group and a missing group look the same too.
    for path in ("/api/groups/a-team", "/api/groups/nope"):
        r = await b.put(path, json={"description": "mine now"})
        assert r.status_code == 404
        assert r.json()["message"] == "Group not found"
    assert (await b.delete("/api/groups/a-team")).status_code == 404
    assert (await admin.delete("/api/groups/a-team")).status_code == 200


async def test_group_names_cannot_capture_server_routes(cast: Cast) -> None:
    # /mcp/{segment} tries groups before servers: B must not shadow the admin's server.
    for name in ("admin-srv", "a-srv", "a-grp-id"):
        r = await cast["B"].post("/api/groups", json={"name": name})
        assert r.status_code == 409, (name, r.text)
    assert (await cast["B"].post("/api/groups", json={"name": "$smart"})).status_code == 400
    rename = await cast["B"].put("/api/groups/b-grp", json={"name": "admin-srv"})
    assert rename.status_code == 409
    imported = await cast["B"].post(
        "/api/templates/import", json={"groups": [{"name": "admin-srv"}]}
    )
    assert imported.status_code == 400
    assert imported.json()["data"]["details"][0]["action"] == "failed"
    assert not any(g.name == "admin-srv" for g in cast.hub.config.groups.values())


async def test_keys_follow_renamed_groups_and_lose_deleted_ones(cast: Cast) -> None:
    admin, cfg = cast["admin"], cast.hub.config
    assert cfg.keys["gkey-id"].allowed_groups == ["admin-grp"]
    await admin.put("/api/groups/admin-grp", json={"name": "renamed"})
    assert cfg.keys["gkey-id"].allowed_groups == ["renamed"]
    # A group later created under the old name is not opened by the key.
    await admin.post("/api/groups", json={"name": "admin-grp"})
    assert cfg.keys["gkey-id"].allowed_groups == ["renamed"]
    await admin.delete("/api/groups/renamed")
    assert cfg.keys["gkey-id"].allowed_groups == []
    key = await admin.get("/api/auth/keys/gkey-id")
    assert key.json()["data"]["allowedGroups"] == []
