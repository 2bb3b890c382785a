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
from hub.config.activities import ActivityQuery, activity_log
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
        written = [
            {"timestamp": 1_800_000_000.0 + i, "server": "web", "tool": f"t{i}", "i": i,
             "duration": 5 * i, "status": "error" if i == 1 else "success",
             "input": '{"q":"string"}', "output": '{"isError":false}', "group": "ops",
             "keyId": "k1" if i else None, "keyName": "ci" if i else None,
             "user": None if i else "admin", "errorMessage": "boom" if i == 1 else None,
             "via": ("mcp", "sse", "openapi")[i]}
            for i in range(3)
        ]  # fmt: skip
        await log.add_activities(written)
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
        migrated = activity_log(store)
        assert migrated is not None
        rows, total = await migrated.query_activities(ActivityQuery(), limit=10, offset=0)
        assert total == 3 and [r["i"] for r in rows] == [2, 1, 0]
        assert [{k: v for k, v in r.items() if k != "id"} for r in rows] == written[::-1]
        # The copied fields are columns the reads filter on, not only the stored document.
        keyed, _ = await migrated.query_activities(
            ActivityQuery(key_id="k1", group="ops", status="error"), limit=10, offset=0
        )
        assert [r["i"] for r in keyed] == [1]
        stats = await migrated.activity_stats(ActivityQuery())
        assert stats == {"totalCalls": 3, "successCount": 2, "errorCount": 1, "avgDuration": 5}
        owned, _ = await migrated.query_activities(
            ActivityQuery(only_owned=True, user="admin"), limit=10, offset=0
        )
        assert [r["i"] for r in owned] == [0]
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
