"""An MCPHub mcp_settings.json imports and exports again with nothing the hub holds lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.auth.tokens import hash_key
from hub.server import HubServer
from hub.testing import HubClient

FIXTURE = Path(__file__).parent.parent / "fixtures" / "mcphub_settings.json"


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MCPHUB_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def normalise_group_servers(servers: list[Any]) -> list[dict[str, Any]]:
    return [{"name": s} if isinstance(s, str) else s for s in servers]


def assert_contains(expected: Any, actual: Any, path: str = "") -> None:
    """Every key and value of ``expected`` is present in ``actual`` (extra keys allowed)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} lost"
            assert_contains(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_contains(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("roundtrip")
    run_cli("import", str(FIXTURE), data_dir=tmp / "data")
    out = tmp / "out" / "mcp_settings.json"
    run_cli("export", str(out), data_dir=tmp / "data")
    return json.loads(out.read_text())


@pytest.mark.slow
def test_export_keeps_every_field_of_the_source(exported: dict[str, Any]) -> None:
    source = json.loads(FIXTURE.read_text())
    keys = source.pop("bearerKeys")
    legacy = source["systemConfig"]["routing"].pop("bearerAuthKey")
    for group in source["groups"]:
        group["servers"] = normalise_group_servers(group["servers"])
    oauth = {k: source.pop(k) for k in ("oauthClients", "oauthTokens")}
    assert_contains(source, exported)
    source.update(oauth)
    # Keys are held as hashes: the same token keeps working, the plaintext is gone.
    by_name = {k["name"]: k for k in exported["bearerKeys"]}
    for key in keys:
        held = by_name[key["name"]]
        assert held["tokenHash"] == hash_key(key["token"])
        assert "token" not in held
        assert_contains({k: v for k, v in key.items() if k != "token"}, held)
    assert by_name["default"]["tokenHash"] == hash_key(legacy)
    assert by_name["default"]["accessType"] == "all"
    assert exported["systemConfig"]["routing"]["bearerAuthKey"] == ""
    assert legacy not in json.dumps(exported)
    # OAuth client secrets and tokens likewise: held as hashes, the rest kept.
    clients = {c["clientId"]: c for c in exported["oauthClients"]}
    for client in source.pop("oauthClients"):
        held = clients[client["clientId"]]
        assert held["clientSecretHash"] == hash_key(client.pop("clientSecret"))
        assert "clientSecret" not in held
        assert_contains(client, held)
    for token, held in zip(source.pop("oauthTokens"), exported["oauthTokens"], strict=True):
        assert held["accessTokenHash"] == hash_key(token.pop("accessToken"))
        assert held["refreshTokenHash"] == hash_key(token.pop("refreshToken"))
        assert "accessToken" not in held and "refreshToken" not in held
        assert_contains(token, held)


@pytest.mark.slow
def test_export_of_an_export_is_identical(exported: dict[str, Any], tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps(exported))
    run_cli("import", str(first), data_dir=tmp_path / "data")
    again = json.loads(run_cli("export", data_dir=tmp_path / "data").stdout)
    assert again == exported


@pytest.mark.real_bcrypt  # the rehash on login needs our cost above MCPHub's 10
async def test_imported_users_log_in_with_their_mcphub_passwords(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    from hub.config.models import McpSettings

    live = hub_server.hub.config
    await live.import_settings(McpSettings.model_validate_json(FIXTURE.read_text()))
    old_hash = live.users["alice"].password
    assert old_hash.startswith("$2a$10$")
    await hub_client.login("alice", "Alice-pass-2!")
    me = await hub_client.get("/api/auth/user")
    assert me.json()["user"]["username"] == "alice"
    # Rehashed to our cost on the first successful login, and still valid afterwards.
    assert live.users["alice"].password != old_hash
    await hub_client.login("alice", "Alice-pass-2!")
    await hub_client.login("admin", "Old-admin-pass1!")


async def test_imported_keys_keep_working_and_scoped_keys_stay_out_of_the_api(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    from hub.config.models import McpSettings

    await hub_server.hub.config.import_settings(
        McpSettings.model_validate_json(FIXTURE.read_text())
    )
    legacy = {"Authorization": "Bearer legacy-key-value-0123456789"}
    scoped = {"Authorization": "Bearer plain-token-abcdefghijklmnop"}
    r = await hub_client.get("/api/plugins", headers=legacy, token=None)
    assert r.status_code == 200
    r = await hub_client.get("/api/plugins", headers=scoped, token=None)
    assert r.status_code == 401


@pytest.mark.slow
def test_export_writes_atomically_over_an_existing_file(tmp_path: Path) -> None:
    run_cli("import", str(FIXTURE), data_dir=tmp_path / "data")
    out = tmp_path / "settings.json"
    out.write_text("old content")
    run_cli("export", str(out), data_dir=tmp_path / "data")
    assert json.loads(out.read_text())["mcpServers"].keys() >= {"time", "amap"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
