"""Templates: secrets become placeholders, a template moves servers and groups between two
hubs, stdio imports are admin-only (and arrive disabled), and the routes are rate-limited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import hub.api.templates
from hub.app import Hub, HubOptions
from hub.auth.rate_limits import Limit
from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from tests.access_fixtures import Cast

SECRETS = [f"sekret{i}xyz" for i in range(10)]


def settled_disabled(hub: Hub, name: str) -> bool:
    """The upstream manager knows ``name`` and holds no connection for it (it is disabled)."""
    return name not in hub.upstreams.upstreams and hub.upstreams.state(name).error == "disabled"


def never_seen(hub: Hub, *names: str) -> bool:
    """The upstream manager has neither a connection nor a state for any of ``names``."""
    manager = hub.upstreams
    return not any(n in manager.upstreams or n in manager.states for n in names)


def secret_config() -> ServerConfig:
    s = SECRETS
    return ServerConfig.model_validate(
        {
            "type": "streamable-http",
            "url": f"https://bob:{s[0]}@127.0.0.1:9/mcp?key={s[1]}&mode=fast",
            "headers": {
                "Authorization": f"Bearer {s[2]}",
                "X-Org": s[3],
                "Accept": "application/json",
            },
            "env": {"API_KEY": s[4], "LOG_LEVEL": "debug", "FROM_ENV": "${EXISTING_VAR}"},
            "oauth": {"clientId": "cid", "clientSecret": s[5], "accessToken": s[6]},
            "proxy": {"host": "127.0.0.1", "password": s[7]},
            "enabled": False,
            "owner": "admin",
        }
    )


async def test_export_replaces_every_secret(hub_server: HubServer, admin_client: HubClient) -> None:
    cfg = hub_server.hub.config
    await cfg.put_server("web", secret_config(), create=True)
    stdio = ServerConfig(
        command="tool", args=["--api-key", SECRETS[8], f"--token={SECRETS[9]}", "-v"], enabled=False
    )
    await cfg.put_server("cli", stdio, create=True)
    r = await admin_client.post(
        "/api/templates/export", json={"name": "t", "includeDisabledServers": True}
    )
    assert r.status_code == 200, r.text
    for secret in SECRETS:
        assert secret not in r.text
    data = r.json()["data"]
    web, cli = data["servers"]["web"], data["servers"]["cli"]
    assert "owner" not in web
    assert web["headers"] == {
        "Authorization": "Bearer ${AUTHORIZATION}",
        "X-Org": "${X_ORG}",
        "Accept": "application/json",
    }
    assert web["env"] == {
        "API_KEY": "${API_KEY}",
        "LOG_LEVEL": "${LOG_LEVEL}",
        "FROM_ENV": "${EXISTING_VAR}",
    }
    assert web["url"] == "https://bob:${URL_PASSWORD}@127.0.0.1:9/mcp?key=${KEY}&mode=fast"
    assert web["oauth"] == {"clientId": "cid"}
    assert web["proxy"] == {"host": "127.0.0.1", "password": "${PROXY_PASSWORD}"}
    # API_KEY is taken by another value already, so the second one is qualified.
    assert cli["args"] == ["--api-key", "${CLI_API_KEY}", "--token=${TOKEN}", "-v"]
    assert set(data["requiredEnvVars"]) >= {
        "AUTHORIZATION",
        "X_ORG",
        "API_KEY",
        "EXISTING_VAR",
        "URL_PASSWORD",
        "KEY",
        "PROXY_PASSWORD",
        "TOKEN",
    }
    without_disabled = await admin_client.post("/api/templates/export", json={"name": "t"})
    assert without_disabled.json()["data"]["servers"] == {}


@pytest.fixture
async def second_hub(tmp_path: Path, admin_password: str) -> AsyncIterator[HubClient]:
    options = HubOptions(data_dir=tmp_path / "hub2", port=0, admin_password=admin_password)
    server = HubServer(options, hub=Hub(options))
    await server.start()
    client = HubClient(f"http://{server.address}")
    client.hub = server.hub  # type: ignore[attr-defined]
    await client.login("admin", admin_password)
    yield client
    await client.aclose()
    await server.stop()


async def test_template_moves_servers_and_groups_between_hubs(
    hub_server: HubServer, admin_client: HubClient, second_hub: HubClient, tmp_path: Path
) -> None:
    spawned, marker = tmp_path / "spawned-on-hub1", tmp_path / "spawned-on-hub2"
    cfg = hub_server.hub.config
    await cfg.put_server("web", secret_config().model_copy(update={"enabled": True}), create=True)
    await cfg.put_server("cli", ServerConfig(command="touch", args=[str(spawned)]), create=True)
    group = await admin_client.post(
        "/api/groups",
        json={"name": "team", "servers": [{"name": "web", "tools": ["search"]}, "cli"]},
    )
    gid = group.json()["data"]["id"]

    exported = await admin_client.post(
        "/api/templates/export", json={"name": "kit", "description": "d", "groupIds": [gid]}
    )
    template = exported.json()["data"]
    assert set(template["servers"]) == {"web", "cli"}
    # The same enabled command runs on hub1 (so this is a real spawn path); after import
    # into hub2 it must not run until an admin enables it.
    await wait_for(spawned.exists, 5)
    assert spawned.exists()
    template["servers"]["cli"]["args"] = [str(marker)]
    assert template["groups"][0]["name"] == "team"

    imported = await second_hub.post("/api/templates/import", json=template)
    assert imported.status_code == 200, imported.text
    result = imported.json()["data"]
    assert (result["serversCreated"], result["groupsCreated"]) == (2, 1)
    assert {"API_KEY", "AUTHORIZATION", "EXISTING_VAR"} <= set(result["requiredEnvVars"])
    assert {(d["type"], d["name"], d["action"]) for d in result["details"]} == {
        ("server", "web", "created"),
        ("server", "cli", "created"),
        ("group", "team", "created"),
    }

    hub2 = second_hub.hub  # type: ignore[attr-defined]
    web2 = hub2.config.servers["web"]
    assert web2.headers["Authorization"] == "Bearer ${AUTHORIZATION}"
    assert web2.owner == "admin" and web2.enabled
    cli2 = hub2.config.servers["cli"]
    assert cli2.command == "touch" and cli2.enabled is False
    groups2 = (await second_hub.get("/api/groups/team")).json()["data"]
    assert groups2["servers"][0] == {
        "name": "web",
        "tools": ["search"],
        "prompts": "all",
        "resources": "all",
    }
    assert [s["name"] for s in groups2["servers"]] == ["web", "cli"]

    again = await second_hub.post("/api/templates/import", json=template)
    assert again.status_code == 400
    assert again.json()["data"]["serversSkipped"] == 2
    # The upstream manager has settled "cli" as disabled: nothing will spawn it.
    await wait_for(lambda: settled_disabled(hub2, "cli"))
    assert not marker.exists()

    one = await admin_client.get(f"/api/templates/export/groups/{gid}", params={"name": "solo"})
    assert one.json()["data"]["name"] == "solo"
    assert set(one.json()["data"]["servers"]) == {"web", "cli"}


async def test_normal_users_cannot_import_stdio(cast: Cast, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    template = {
        "version": "1.0",
        "name": "evil",
        "servers": {
            "shell": {"command": "touch", "args": [str(marker)]},
            "shell2": {"type": "stdio", "command": "sh", "args": ["-c", f"touch {marker}"]},
            "ok-remote": {"type": "sse", "url": "http://127.0.0.1:9/sse", "enabled": False},
        },
        "groups": [{"name": "evil-grp", "servers": ["shell", "ok-remote"]}],
    }
    r = await cast["A"].post("/api/templates/import", json=template)
    assert r.status_code == 200, r.text
    details = {d["name"]: d for d in r.json()["data"]["details"]}
    assert details["shell"]["action"] == details["shell2"]["action"] == "failed"
    assert "admin" in details["shell"]["message"]
    assert details["ok-remote"]["action"] == "created"
    assert "shell" in details["evil-grp"]["message"]
    cfg = cast.hub.config
    assert "shell" not in cfg.servers and "shell2" not in cfg.servers
    assert cfg.servers["ok-remote"].owner == "A"
    grp = next(g for g in cfg.groups.values() if g.name == "evil-grp")
    assert grp.owner == "A" and [s.name for s in grp.servers] == ["ok-remote"]

    only_stdio = {"servers": {"shell3": {"command": "touch", "args": [str(marker)]}}}
    refused = await cast["B"].post("/api/templates/import", json=only_stdio)
    assert refused.status_code == 400
    assert refused.json()["data"]["serversFailed"] == 1
    # The upstream manager never heard of any of them: nothing could have spawned them.
    assert never_seen(cast.hub, "shell", "shell2", "shell3")
    assert not marker.exists()


async def test_loader_variables_are_refused_even_for_admins(admin_client: HubClient) -> None:
    template = {"servers": {"x": {"command": "true", "env": {"LD_PRELOAD": "/tmp/evil.so"}}}}
    r = await admin_client.post("/api/templates/import", json=template)
    assert r.status_code == 400
    assert "LD_PRELOAD" in r.json()["data"]["details"][0]["message"]
    bad = await admin_client.post("/api/templates/import", json={"version": "2.0"})
    assert bad.status_code == 400


async def test_template_routes_are_rate_limited(
    admin_client: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.api.templates, "TEMPLATE_LIMIT", Limit(3, 60.0))
    codes = []
    for _ in range(4):
        r = await admin_client.post("/api/templates/export", json={"name": "t"})
        codes.append(r.status_code)
    assert codes == [200, 200, 200, 429]
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["success"] is False
    anon = await admin_client.post("/api/templates/import", json={}, token=None)
    assert anon.status_code == 429
    assert json.loads(anon.text)["message"].startswith("Too many requests")


async def test_export_of_an_unknown_group_is_a_documented_404(admin_client: HubClient) -> None:
    """Found by schemathesis as a normal user and as a key: the 404 was not in the document."""
    r = await admin_client.post("/api/templates/export", json={"name": "t", "groupIds": ["nope"]})
    assert r.status_code == 404, r.text
    doc = (await admin_client.get("/api/docs/openapi.json")).json()
    assert "404" in doc["paths"]["/api/templates/export"]["post"]["responses"]
