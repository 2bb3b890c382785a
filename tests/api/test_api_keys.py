"""Bearer keys: generated or supplied tokens, stored as hashes, shown once, scoped."""

from __future__ import annotations

import json
from pathlib import Path

from hub.app import Hub, HubOptions
from hub.auth.tokens import hash_key
from hub.server import HubServer
from hub.testing import HubClient
from tests.mcp_fixtures import bearer


async def test_generated_token_is_shown_once_and_stored_hashed(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    r = await admin_client.post("/api/auth/keys", json={"name": "ci"})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    token = data["token"]
    assert token.startswith("mcphub_") and len(token) > 40
    assert data["accessType"] == "all" and data["enabled"] is True

    stored = hub_server.hub.config.keys[data["id"]]
    assert stored.token is None
    assert stored.token_hash == hash_key(token)
    doc = await hub_server.hub.store.get("bearer_keys", data["id"])
    assert doc is not None and token not in json.dumps(doc)

    listing = await admin_client.get("/api/auth/keys")
    one = await admin_client.get(f"/api/auth/keys/{data['id']}")
    for text in (listing.text, one.text):
        assert token not in text
        assert stored.token_hash not in text
    assert one.json()["data"]["token"] == stored.token_hint
    assert "…" in stored.token_hint

    # An all-access key drives the API; it is not a user, so it cannot manage keys.
    groups = await admin_client.get("/api/groups", token=None, headers=bearer(token))
    assert groups.status_code == 200
    keys = await admin_client.get("/api/auth/keys", token=None, headers=bearer(token))
    assert keys.status_code == 403


async def test_supplied_tokens_are_checked(admin_client: HubClient) -> None:
    short = await admin_client.post("/api/auth/keys", json={"name": "k", "token": "abc"})
    assert short.status_code == 400
    token = "supplied-token-0123456789"
    first = await admin_client.post("/api/auth/keys", json={"name": "k", "token": token})
    assert first.status_code == 201
    assert first.json()["data"]["token"] == token
    dup = await admin_client.post("/api/auth/keys", json={"name": "k2", "token": token})
    assert dup.status_code == 409
    bad_type = await admin_client.post("/api/auth/keys", json={"name": "k", "accessType": "root"})
    assert bad_type.status_code == 400
    unknown = await admin_client.post(
        "/api/auth/keys",
        json={"name": "k", "accessType": "servers", "allowedServers": ["ghost"]},
    )
    assert unknown.status_code == 400 and "ghost" in unknown.json()["message"]


async def test_scoped_keys_do_not_open_the_api(admin_client: HubClient) -> None:
    await admin_client.post("/api/groups", json={"name": "g1"})
    r = await admin_client.post(
        "/api/auth/keys", json={"name": "scoped", "accessType": "groups", "allowedGroups": ["g1"]}
    )
    assert r.status_code == 201
    token = r.json()["data"]["token"]
    denied = await admin_client.get("/api/groups", token=None, headers=bearer(token))
    assert denied.status_code == 401


async def test_update_disable_rotate_and_delete(admin_client: HubClient) -> None:
    r = await admin_client.post("/api/auth/keys", json={"name": "rot"})
    key_id, token = r.json()["data"]["id"], r.json()["data"]["token"]

    async def works(tok: str) -> bool:
        resp = await admin_client.get("/api/groups", token=None, headers=bearer(tok))
        return resp.status_code == 200

    assert await works(token)
    off = await admin_client.put(f"/api/auth/keys/{key_id}", json={"enabled": False})
    assert off.status_code == 200 and off.json()["data"]["enabled"] is False
    assert token not in off.text
    assert not await works(token)

    new = "rotated-token-abcdefghijkl"
    rotated = await admin_client.put(
        f"/api/auth/keys/{key_id}", json={"enabled": True, "token": new, "name": "rot2"}
    )
    assert rotated.json()["data"]["name"] == "rot2"
    assert not await works(token)
    assert await works(new)

    assert (await admin_client.put(f"/api/auth/keys/{key_id}", json={})).status_code == 400
    assert (
        await admin_client.put("/api/auth/keys/nope", json={"enabled": True})
    ).status_code == 404
    assert (await admin_client.delete(f"/api/auth/keys/{key_id}")).status_code == 200
    assert (await admin_client.delete(f"/api/auth/keys/{key_id}")).status_code == 404
    assert not await works(new)


async def test_legacy_bearer_auth_key_becomes_key_named_default(
    tmp_path: Path, admin_password: str
) -> None:
    legacy = "legacy-token-from-mcphub-0001"
    settings = tmp_path / "mcp_settings.json"
    settings.write_text(
        json.dumps({"mcpServers": {}, "systemConfig": {"routing": {"bearerAuthKey": legacy}}})
    )
    options = HubOptions(
        data_dir=tmp_path / "data", port=0, admin_password=admin_password, settings_path=settings
    )
    server = HubServer(options, hub=Hub(options))
    await server.start()
    client = HubClient(f"http://{server.address}")
    try:
        await client.login("admin", admin_password)
        keys = (await client.get("/api/auth/keys")).json()["data"]
        assert [(k["name"], k["accessType"]) for k in keys] == [("default", "all")]
        assert legacy not in json.dumps(keys)
        r = await client.get("/api/groups", token=None, headers=bearer(legacy))
        assert r.status_code == 200
    finally:
        await client.aclose()
        await server.stop()
