"""``mcphub migrate`` copies a SQLite setup into PostgreSQL; import and export work there."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from mcphub_postgres.plugin import _factory as postgres_store

from hub.app import Hub, HubOptions
from hub.auth.tokens import hash_key
from hub.config.activities import activity_log
from hub.config.models import BearerKey, ServerConfig
from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # CLI child processes


async def mcphub(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_migrate_sqlite_to_postgresql_keeps_logins_keys_and_activities(
    tmp_path: Path, pg_url: str
) -> None:
    data = tmp_path / "data"
    hub = Hub(HubOptions(data_dir=data, admin_password="Migrate-pass-1!"))
    await hub.start()
    try:
        await hub.config.put_server("web", ServerConfig(type="sse", url="http://127.0.0.1:9/s"))
        await hub.config.put_key(BearerKey(id="k1", name="ci", token="mcphub_migrate_token"))
        log = activity_log(hub.store)
        assert log is not None
        for i in range(3):
            await log.add_activity({"server": "web", "tool": "t", "i": i})
        await hub.admin_ready()
        secret = hub.jwt_secret
    finally:
        await hub.stop()

    code, _, err = await mcphub("migrate", "--from", f"sqlite:{data}", "--to", pg_url)
    assert code == 0, err
    assert "1 servers" in err and "1 users" in err and "3 activities" in err

    store = postgres_store(pg_url, tmp_path)
    await store.open()
    try:
        assert [k for k, _ in await store.items("servers")] == ["web"]
        key = await store.get("bearer_keys", "k1")
        assert key is not None and key["tokenHash"] == hash_key("mcphub_migrate_token")
        assert await store.get("secrets", "jwt") == {"value": secret}
        rows, total = await activity_log(store).list_activities()  # type: ignore[union-attr]
        assert total == 3 and [r["i"] for r in rows] == [2, 1, 0]
    finally:
        await store.close()

    # A hub on PostgreSQL serves the migrated setup: the old password and key work.
    served = await HubProcess(tmp_path, {"DB_URL": pg_url, "MCPHUB_STORE": ""}).start()
    try:
        import httpx2

        async with httpx2.AsyncClient(base_url=served.url) as http:
            r = await http.post(
                "/api/auth/login", json={"username": "admin", "password": "Migrate-pass-1!"}
            )
            assert r.status_code == 200, r.text
            r = await http.get(
                "/api/servers", headers={"Authorization": "Bearer mcphub_migrate_token"}
            )
            assert [s["name"] for s in r.json()["data"]] == ["web"]
    finally:
        await served.stop()


async def test_import_and_export_against_postgresql(tmp_path: Path, pg_url: str) -> None:
    settings = {"mcpServers": {"one": {"type": "sse", "url": "http://127.0.0.1:9/one"}}}
    source = tmp_path / "in.json"
    source.write_text(json.dumps(settings))
    code, _, err = await mcphub("import", "--store-url", pg_url, str(source))
    assert code == 0, err
    code, out, err = await mcphub("export", "--store-url", pg_url)
    assert code == 0, err
    assert json.loads(out)["mcpServers"]["one"]["url"] == "http://127.0.0.1:9/one"


async def test_migrate_from_a_missing_directory_says_so(tmp_path: Path, pg_url: str) -> None:
    code, _, err = await mcphub("migrate", "--from", f"sqlite:{tmp_path / 'nope'}", "--to", pg_url)
    assert code == 1
    assert "no SQLite database" in err
