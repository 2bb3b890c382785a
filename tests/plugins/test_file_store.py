"""The settings-file store (``--store file``) with real hub processes: outside edits are
live within 2 s, a bad edit is reported and changes nothing, API changes reach the file,
kill -9 during writes leaves a valid file; and the SQLite store reports a changed
``--settings`` file instead of skipping it silently."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import bcrypt
import httpx2
import pytest

from hub.config.settings_file import parse_settings
from hub.testing import wait_for
from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # `mcphub serve` child processes

PASSWORD = "Filestore-pass-1!"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()


def remote(port: int = 9) -> dict[str, Any]:
    return {"type": "streamable-http", "url": f"http://127.0.0.1:{port}/mcp", "enabled": False}


def settings(**servers: dict[str, Any]) -> dict[str, Any]:
    return {
        "mcpServers": servers,
        "users": [{"username": "admin", "password": HASH, "isAdmin": True}],
        "myOwnKey": {"kept": True},
    }


def edit(path: Path, doc: dict[str, Any] | str) -> None:
    """Write the file in place, as an editor without atomic saves does."""
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    with path.open("w", encoding="utf-8") as f:
        f.write(text)


async def file_hub(tmp_path: Path, doc: dict[str, Any]) -> HubProcess:
    path = tmp_path / "mcp_settings.json"
    edit(path, doc)
    args = ("--store", "file", "--settings", str(path))
    return await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}, *args).start()


async def login(http: httpx2.AsyncClient) -> None:
    r = await http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    http.headers["x-auth-token"] = r.json()["token"]


async def server_names(http: httpx2.AsyncClient) -> set[str]:
    r = await http.get("/api/servers")
    assert r.status_code == 200, r.text
    return {s["name"] for s in r.json()["data"]}


def temp_files(folder: Path) -> list[Path]:
    return list(folder.glob(".mcp_settings.json.*.tmp"))


def on_disk(tmp_path: Path) -> dict[str, Any]:
    doc = json.loads((tmp_path / "mcp_settings.json").read_text())
    assert isinstance(doc, dict)
    return doc


async def test_outside_edits_are_live_and_api_changes_reach_the_file(tmp_path: Path) -> None:
    hub = await file_hub(tmp_path, settings(alpha=remote()))
    try:
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            await login(http)
            assert await server_names(http) == {"alpha"}

            edit(tmp_path / "mcp_settings.json", settings(alpha=remote(), beta=remote(8)))
            started = time.monotonic()

            async def beta_live() -> bool:
                return "beta" in await server_names(http)

            await wait_for(beta_live, within=5)
            assert time.monotonic() - started < 2.0

            r = await http.post("/api/servers", json={"name": "gamma", "config": remote(7)})
            assert r.status_code == 200, r.text
            doc = on_disk(tmp_path)  # written before the reply
            assert list(doc["mcpServers"]) == ["alpha", "beta", "gamma"]
            assert doc["mcpServers"]["gamma"]["url"] == "http://127.0.0.1:7/mcp"
            assert doc["myOwnKey"] == {"kept": True}
            assert doc["users"][0]["password"].startswith("$2")

            assert (await http.delete("/api/servers/alpha")).status_code == 200
            assert list(on_disk(tmp_path)["mcpServers"]) == ["beta", "gamma"]
    finally:
        assert await hub.stop() == 0
    assert "Traceback" not in hub.stderr


async def test_an_invalid_edit_is_reported_and_changes_nothing(tmp_path: Path) -> None:
    hub = await file_hub(tmp_path, settings(alpha=remote()))
    path = tmp_path / "mcp_settings.json"
    try:
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            await login(http)
            edit(path, '{"mcpServers": {"beta": ')
            await wait_for(lambda: "not valid JSON" in hub.stderr, within=5)
            assert "Settings file edit not applied" in hub.stderr
            assert await server_names(http) == {"alpha"}
            # The operator's edit is not overwritten by an API change meanwhile.
            r = await http.post("/api/servers", json={"name": "gamma", "config": remote(7)})
            assert r.status_code == 409 and "not valid" in r.json()["message"]
            assert path.read_text() == '{"mcpServers": {"beta": '

            # Valid JSON, but a server config the API refuses: refused the same way.
            edit(path, settings(alpha=remote(), broken={"type": "stdio"}))
            await wait_for(lambda: "'broken'" in hub.stderr, within=5)
            assert await server_names(http) == {"alpha"}

            edit(path, settings(alpha=remote(), delta=remote(6)))

            async def delta_live() -> bool:
                return await server_names(http) == {"alpha", "delta"}

            await wait_for(delta_live, within=5)
            r = await http.post("/api/servers", json={"name": "gamma", "config": remote(7)})
            assert r.status_code == 200, r.text
            assert set(on_disk(tmp_path)["mcpServers"]) == {"alpha", "delta", "gamma"}
    finally:
        assert await hub.stop() == 0


async def test_kill_9_during_writes_leaves_a_valid_file(tmp_path: Path) -> None:
    hub = await file_hub(tmp_path, settings(alpha=remote()))
    path = tmp_path / "mcp_settings.json"
    written = 0
    async with httpx2.AsyncClient(base_url=hub.url) as http:
        await login(http)

        async def writer(worker: int) -> None:
            nonlocal written
            for i in range(10_000):
                body = {"name": f"w{worker}-{i}", "config": remote(1000 + i)}
                try:
                    r = await http.post("/api/servers", json=body)
                except httpx2.HTTPError:
                    return  # the hub is gone
                if r.status_code == 200:
                    written += 1

        writers = [asyncio.create_task(writer(n)) for n in range(4)]
        await wait_for(lambda: written >= 40, within=30)
        assert hub.proc is not None
        os.kill(hub.proc.pid, signal.SIGKILL)
        assert await hub.stop() == -signal.SIGKILL
        await asyncio.gather(*writers)
    doc = parse_settings(path.read_text(), str(path))  # complete, valid JSON and settings
    assert len(doc.mcp_servers) >= 40
    assert doc.users[0].username == "admin"
    # The next start uses it (and clears temp files a killed write left behind).
    again = await HubProcess(
        tmp_path, {"ADMIN_PASSWORD": ""}, "--store", "file", "--settings", str(path)
    ).start()
    try:
        assert not temp_files(tmp_path)
        async with httpx2.AsyncClient(base_url=again.url) as http:
            await login(http)
            assert len(await server_names(http)) == len(doc.mcp_servers)
    finally:
        await again.stop()


async def test_sqlite_reports_a_changed_settings_file_at_start(tmp_path: Path) -> None:
    path = tmp_path / "mcp_settings.json"
    edit(path, settings(alpha=remote()))
    first = await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}, "--settings", str(path)).start()
    await first.stop()
    assert "changed since" not in first.stderr
    same = await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}, "--settings", str(path)).start()
    await same.stop()
    assert "changed since" not in same.stderr
    edit(path, settings(alpha=remote(), beta=remote()))
    second = await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}, "--settings", str(path)).start()
    try:
        await wait_for(lambda: "changed since it was imported" in second.stderr, within=5)
        assert f"mcphub import {path}" in second.stderr
        async with httpx2.AsyncClient(base_url=second.url) as http:
            await login(http)
            assert await server_names(http) == {"alpha"}
    finally:
        await second.stop()
