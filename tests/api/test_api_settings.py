"""``GET /api/settings``, ``PUT /api/system-config`` and ``GET /api/mcp-settings/export``:
admin users only, no secrets unless asked, live changes, restarts and re-imports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hub.app import Hub, HubOptions
from hub.config.models import BearerKey, Group, GroupServer, McpSettings
from hub.server import HubServer
from hub.testing import HubClient

KEY_TOKEN = "mcphub_" + "k" * 40

SERVER = {
    "type": "streamable-http",
    "url": "http://127.0.0.1:9/mcp?token=URLSECRET&v=1",
    "enabled": False,
    "headers": {"Authorization": "Bearer HEADERSECRET", "X-Plain": "plain"},
    "oauth": {"clientId": "cid", "clientSecret": "OAUTHSECRET"},
}
STDIO = {"command": "true", "env": {"API_KEY": "ENVSECRET", "REF": "${HOME}"}, "enabled": False}
SECRETS = ("URLSECRET", "HEADERSECRET", "OAUTHSECRET", "ENVSECRET", "AIKEYSECRET", KEY_TOKEN)


def full(hub: Hub) -> dict[str, Any]:
    """The whole configuration with every default spelled out (comparable across loads)."""
    return McpSettings.model_validate(hub.config.export_settings()).wire()


async def seed(api: HubClient, server: HubServer) -> None:
    """Servers with secrets of every kind, a group, a key, and an API key in system config."""
    for name, cfg in (("remote", SERVER), ("local", STDIO)):
        r = await api.post("/api/servers", json={"name": name, "config": cfg})
        assert r.status_code == 200, r.text
    live = server.hub.config
    await live.put_group(Group(id="g1", name="grp", servers=[GroupServer(name="remote")]))
    await live.put_key(BearerKey(id="k1", name="all", token=KEY_TOKEN))
    r = await api.put("/api/system-config", json={"smartRouting": {"openaiApiKey": "AIKEYSECRET"}})
    assert r.status_code == 200, r.text


def no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert "$2b$" not in text  # password hashes
    assert not re.search(r"[0-9a-f]{64}", text)  # key hashes


async def test_get_settings(api: HubClient, hub_server: HubServer) -> None:
    await seed(api, hub_server)
    r = await api.get("/api/settings")
    assert r.status_code == 200, r.text
    no_secrets(r.text)
    data = r.json()["data"]
    assert set(data["mcpServers"]) == {"remote", "local"}
    assert data["mcpServers"]["local"]["env"] == {"API_KEY": "******", "REF": "${HOME}"}
    assert data["mcpServers"]["remote"]["headers"]["X-Plain"] == "plain"
    assert [s["name"] for s in data["servers"]] == ["remote", "local"]
    assert data["groups"][0]["id"] == "g1"
    assert data["systemConfig"]["nameSeparator"] == "-"
    assert data["systemConfig"]["smartRouting"]["openaiApiKey"] == "******"
    assert data["users"] == [{"username": "admin", "isAdmin": True}]
    assert data["bearerKeys"][0]["name"] == "all" and "tokenHint" in data["bearerKeys"][0]


async def test_admin_users_only(
    api: HubClient, alice: HubClient, hub_client: HubClient, hub_server: HubServer
) -> None:
    await hub_server.hub.config.put_key(BearerKey(id="k1", name="all", token=KEY_TOKEN))
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/api/settings", None),
        ("PUT", "/api/system-config", {"nameSeparator": "_"}),
        ("GET", "/api/mcp-settings/export", None),
        ("GET", "/api/mcp-settings/export?includeSecrets=true", None),
    ]
    for method, path, body in routes:
        assert (await hub_client.request(method, path, json=body)).status_code == 401, path
        r = await alice.request(method, path, json=body)
        assert r.status_code == 403, path
        # an all-access bearer key may not manage settings (a leaked key stays contained)
        r = await hub_client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {KEY_TOKEN}"}
        )
        assert r.status_code == 403, path
    assert hub_server.hub.config.system.name_separator == "-"


async def test_system_config_merge_and_errors(api: HubClient, hub_server: HubServer) -> None:
    live = hub_server.hub.config
    r = await api.put(
        "/api/system-config",
        json={"routing": {"enableGroupNameRoute": False}, "install": {"npmRegistry": "http://r"}},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == "System configuration updated successfully"
    assert body["data"]["routing"]["enableGroupNameRoute"] is False
    assert body["data"]["routing"]["enableGlobalRoute"] is True  # untouched fields stay
    assert live.system.routing.enable_group_name_route is False
    assert live.system.install.npm_registry == "http://r"

    r = await api.put(
        "/api/system-config",
        json={
            "enableSessionRebuild": True,
            "oauthServer": {"dynamicRegistration": {"enabled": False}},
            "mcpRouter": {"apiKey": "ROUTERKEY"},
        },
    )
    assert r.status_code == 200, r.text
    assert "ROUTERKEY" not in r.text
    assert live.system.enable_session_rebuild is True
    assert live.system.oauth_server.dynamic_registration.enabled is False
    assert live.system.oauth_server.enabled is True
    # the masked value sent back keeps the stored key
    masked = r.json()["data"]["mcpRouter"]
    assert (await api.put("/api/system-config", json={"mcpRouter": masked})).status_code == 200
    assert live.system.mcp_router.api_key == "ROUTERKEY"

    before = live.system.wire()
    bad: list[tuple[Any, str]] = [
        ({}, "Invalid system configuration provided"),
        ({"openaiApiKey": "x", "modelName": "m"}, "legacy"),
        ({"temperature": 0.2}, "legacy"),
        ({"nope": 1}, "nope"),
        ({"routing": {"nope": 1}}, "routing.nope"),
        ({"oauthServer": {"dynamicRegistration": {"x": 1}}}, "dynamicRegistration.x"),
        ({"routing": {"enableGlobalRoute": "sometimes"}}, "enableGlobalRoute"),
        ({"routing": {"jsonBodyLimit": "lots"}}, "jsonBodyLimit"),
        ({"routing": {"jsonBodyLimit": "10b"}}, "jsonBodyLimit"),
        ({"nameSeparator": ""}, "nameSeparator"),
        ({"routing": 5}, "routing"),
        ([1], "object"),
    ]
    for patch, fragment in bad:
        r = await api.put("/api/system-config", json=patch)
        assert r.status_code == 400, (patch, r.text)
        assert fragment in r.json()["message"], (patch, r.json()["message"])
    assert live.system.wire() == before

    r = await api.put("/api/system-config", json={"routing": {"jsonBodyLimit": "1kb"}})
    assert r.status_code == 200
    r = await api.put("/api/system-config", json={"install": {"baseUrl": "x" * 2000}})
    assert r.status_code == 413


async def test_changes_survive_a_restart(
    api: HubClient, hub_server: HubServer, hub_options: HubOptions
) -> None:
    await seed(api, hub_server)
    await api.put("/api/system-config", json={"nameSeparator": "__", "enableSessionRebuild": True})
    await api.post("/api/servers/remote/toggle", json={"enabled": True})
    await api.post("/api/servers/remote/toggle", json={"enabled": False})
    before = full(hub_server.hub)
    await hub_server.stop()

    second = HubServer(hub_options, hub=Hub(hub_options))
    await second.start()
    try:
        live = second.hub.config
        assert live.system.name_separator == "__" and live.system.enable_session_rebuild
        assert live.system.smart_routing.openai_api_key == "AIKEYSECRET"
        assert live.servers["remote"].wire() == hub_server.hub.config.servers["remote"].wire()
        assert full(second.hub) == before
    finally:
        await second.stop()


async def test_export(api: HubClient, hub_server: HubServer, tmp_path: Path) -> None:
    await seed(api, hub_server)
    r = await api.get("/api/mcp-settings/export")
    assert r.status_code == 200, r.text
    no_secrets(r.text)
    masked = r.json()["data"]
    assert masked["users"][0]["password"] == "******"
    assert masked["mcpServers"]["remote"]["oauth"] == {"clientId": "cid", "clientSecret": "******"}
    assert "token=******" in masked["mcpServers"]["remote"]["url"]

    one = (await api.get("/api/mcp-settings/export", params={"serverName": "local"})).json()
    assert one["data"] == {"mcpServers": {"local": masked["mcpServers"]["local"]}}
    full_one = await api.get(
        "/api/mcp-settings/export", params={"serverName": "local", "includeSecrets": "true"}
    )
    assert full_one.json()["data"]["mcpServers"]["local"]["env"]["API_KEY"] == "ENVSECRET"
    r = await api.get("/api/mcp-settings/export", params={"serverName": "nope"})
    assert r.status_code == 404
    r = await api.get("/api/mcp-settings/export", params={"includeSecrets": "perhaps"})
    assert r.status_code == 400

    # the full export, imported into a fresh hub, gives the same configuration
    r = await api.get("/api/mcp-settings/export", params={"includeSecrets": "1"})
    doc = r.json()["data"]
    assert doc["mcpServers"]["remote"]["headers"]["Authorization"] == "Bearer HEADERSECRET"
    assert doc["users"][0]["password"].startswith("$2")
    assert doc == hub_server.hub.config.export_settings()
    other = Hub(HubOptions(data_dir=tmp_path / "other"))
    await other.open()
    try:
        await other.config.import_settings(McpSettings.model_validate(json.loads(json.dumps(doc))))
        assert full(other) == full(hub_server.hub)
        assert other.config.keys["k1"].token_hash == hub_server.hub.config.keys["k1"].token_hash
    finally:
        await other.stop()
