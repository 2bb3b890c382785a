"""Several real ``mcphub serve`` processes on one PostgreSQL database behave as one hub."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import httpx2
import pytest

from hub.testing import HubClient, McpError, McpSession, wait_for
from tests.api_fixtures import stdio_config
from tests.multi_fixtures import PASSWORD, Start

pytestmark = pytest.mark.slow  # hub child processes on a real PostgreSQL


async def has_group(api: HubClient, name: str) -> bool:
    r = await api.get("/api/groups")
    return any(g["name"] == name for g in r.json()["data"])


async def test_a_write_on_one_is_live_on_the_others_within_a_second(
    start_instances: Start,
) -> None:
    a, b, c = await start_instances(3)
    r = await a.api.post("/api/groups", json={"name": "team", "description": "one"})
    assert r.status_code in (200, 201), r.text
    written = time.monotonic()
    await wait_for(lambda: has_group(b.api, "team"), within=1.0, every=0.01)
    await wait_for(lambda: has_group(c.api, "team"), within=1.0, every=0.01)
    assert time.monotonic() - written < 1.0
    # An update and a delete travel the same way, from another instance.
    group_id = next(g["id"] for g in (await b.api.get("/api/groups")).json()["data"])
    r = await b.api.put(f"/api/groups/{group_id}", json={"description": "two"})
    assert r.status_code == 200, r.text

    async def described(api: HubClient) -> bool:
        r = await api.get(f"/api/groups/{group_id}")
        return bool(r.json()["data"]["description"] == "two")

    await wait_for(lambda: described(a.api), within=1.0, every=0.01)
    assert (await c.api.delete(f"/api/groups/{group_id}")).status_code == 200

    async def gone(api: HubClient) -> bool:
        return not await has_group(api, "team")

    await wait_for(lambda: gone(a.api), within=1.0, every=0.01)
    await wait_for(lambda: gone(b.api), within=1.0, every=0.01)


async def test_one_admin_one_secret_for_instances_started_together(
    start_instances: Start,
) -> None:
    a, b = await start_instances(2, {"ADMIN_PASSWORD": ""})
    # No password given: exactly one instance generated and printed one.
    printed = [i for i in (a, b) if "created user 'admin' with password" in i.proc.stderr]
    assert len(printed) == 1
    # A login token from one instance is accepted by the other (one JWT secret).
    token = await a.api.login("admin", _printed_password(printed[0].proc.stderr))
    r = await a.api.get("/api/users")
    assert [u["username"] for u in r.json()["data"]] == ["admin"]
    other = HubClient(b.url, token)
    try:
        assert (await other.get("/api/auth/user")).status_code == 200
    finally:
        await other.aclose()


def _printed_password(stderr: str) -> str:
    line = next(x for x in stderr.splitlines() if "created user 'admin' with password" in x)
    return line.rsplit(": ", 1)[1].strip()


async def test_a_key_created_on_one_is_accepted_on_another(start_instances: Start) -> None:
    a, b = await start_instances(2)
    r = await a.api.post("/api/auth/keys", json={"name": "ci"})
    assert r.status_code == 201, r.text
    token, key_id = r.json()["data"]["token"], r.json()["data"]["id"]
    headers = {"Authorization": f"Bearer {token}"}

    async def accepted() -> bool:
        r = await b.api.http.get("/api/servers", headers=headers)
        return r.status_code == 200

    await wait_for(accepted, within=1.0, every=0.01)
    assert (await b.api.delete(f"/api/auth/keys/{key_id}")).status_code == 200

    async def refused() -> bool:
        r = await a.api.http.get("/api/servers", headers=headers)
        return r.status_code == 401

    await wait_for(refused, within=1.0, every=0.01)


async def test_a_tool_toggled_on_one_is_refused_on_another(start_instances: Start) -> None:
    a, b = await start_instances(2)
    r = await a.api.post("/api/servers", json={"name": "ev", "config": stdio_config()})
    assert r.status_code in (200, 201), r.text
    token = b.api.token
    assert token is not None
    session = await McpSession.open(b.url, "/mcp/ev", headers={"x-auth-token": token})
    try:

        async def listed() -> bool:
            return any(t["name"] == "ev-echo" for t in await session.list_tools())

        await wait_for(listed, within=20)  # b spawned its own stdio child and listed it
        result = await session.call_tool("ev-echo", {"text": "hi"})
        assert "hi" in str(result["content"])

        async def toggled_on_a() -> bool:
            # a knows the tool once its own stdio child has listed it (b may be first).
            r = await a.api.post("/api/servers/ev/tools/ev-echo/toggle", json={"enabled": False})
            assert r.status_code in (200, 404), r.text
            return r.status_code == 200

        await wait_for(toggled_on_a, within=20)

        async def refused() -> bool:
            try:
                await session.call_tool("ev-echo", {"text": "hi"})
            except McpError:
                return True
            return False

        await wait_for(refused, within=1.0, every=0.01)
        # Disabled anywhere, stopped everywhere: b's upstream goes down too.
        r = await a.api.post("/api/servers/ev/toggle", json={"enabled": False})
        assert r.status_code == 200, r.text

        async def stopped() -> bool:
            r = await b.api.get("/api/servers")
            ev = next(s for s in r.json()["data"] if s["name"] == "ev")
            return bool(ev["status"] == "disconnected")

        await wait_for(stopped, within=2.0)
    finally:
        await session.close()


async def test_a_restarted_instance_catches_up(start_instances: Start) -> None:
    a, b = await start_instances(2)
    await b.proc.stop()
    await b.api.aclose()
    r = await a.api.post("/api/groups", json={"name": "while-away"})
    assert r.status_code in (200, 201), r.text
    (again,) = await start_instances(1)
    assert await has_group(again.api, "while-away")


async def test_an_mcp_session_opened_on_one_continues_on_another(start_instances: Start) -> None:
    a, b = await start_instances(2)
    r = await a.api.put("/api/system-config", json={"enableSessionRebuild": True})
    assert r.status_code == 200, r.text

    async def rebuild_on(api: HubClient) -> bool:
        r = await api.get("/api/settings")
        return bool(r.json()["data"]["systemConfig"].get("enableSessionRebuild"))

    await wait_for(lambda: rebuild_on(b.api), within=5.0, every=0.01)
    token = a.api.token
    assert token is not None
    headers = {"x-auth-token": token}
    session = await McpSession.open(a.url, "/mcp", headers=headers, version="2025-06-18")
    own_http = session.http
    try:
        assert (await session.request("ping")) == {}
        # The same session id, sent to the other instance (a load balancer without stickiness).
        session.http = b.api.http
        assert (await session.request("ping")) == {}
        r = await session.call("tools/list")
        assert r.status_code == 200 and r.headers["Mcp-Session-Id"] == session.session
        # Someone else holding the id cannot continue it anywhere.
        stranger = await b.api.post("/api/auth/keys", json={"name": "stranger"})
        other = McpSession(b.api.http, "/mcp", {"Authorization": "Bearer " + _token(stranger)})
        other.session = session.session
        r = await other.call("ping")
        assert r.status_code == 404
    finally:
        await session.close()  # ended on b: the shared record goes too
        await own_http.aclose()
    session.session = other.session
    session.http = a.api.http

    async def ended_on_a() -> bool:
        # The end travels as a change event; until a has it, its own copy still answers.
        return (await session.call("ping")).status_code == 404

    await wait_for(ended_on_a, within=1.0, every=0.01)


def _token(r: object) -> str:
    return str(r.json()["data"]["token"])  # type: ignore[attr-defined]


async def test_kill_9_during_writes_over_two_instances_loses_no_acknowledged_write(
    start_instances: Start,
) -> None:
    a, b = await start_instances(2)
    acked: list[str] = []
    enough = asyncio.Event()

    async def write(i: int) -> None:
        instance = a if i % 2 else b
        name = f"s{i:03}"
        config = {"type": "sse", "url": f"http://127.0.0.1:9/{i}", "enabled": False}
        try:
            r = await instance.api.post("/api/servers", json={"name": name, "config": config})
        except httpx2.TransportError:
            return  # the killed instance's writes: not acknowledged
        if r.status_code == 200:
            acked.append(name)
            if len(acked) >= 30:
                enough.set()

    tasks = [asyncio.create_task(write(i)) for i in range(100)]
    await enough.wait()
    assert a.proc.proc is not None
    os.kill(a.proc.proc.pid, signal.SIGKILL)
    await asyncio.gather(*tasks)
    # The survivor acknowledged every write sent to it, before and after the kill.
    assert {f"s{i:03}" for i in range(0, 100, 2)} <= set(acked)

    async def all_live() -> bool:
        r = await b.api.get("/api/servers")
        names = {s["name"] for s in r.json()["data"]}
        return set(acked) <= names

    await wait_for(all_live, within=5)
    # The survivor keeps serving reads and writes.
    r = await b.api.post("/api/groups", json={"name": "after-kill"})
    assert r.status_code in (200, 201), r.text
    assert await has_group(b.api, "after-kill")


async def test_login_lockout_is_shared_by_the_instances(start_instances: Start) -> None:
    a, b = await start_instances(2)
    bad = {"username": "admin", "password": "wrong-password"}
    # Ten failures (the limit per minute) spread over both instances ...
    for i in range(10):
        instance = a if i % 2 else b
        r = await instance.api.http.post("/api/auth/login", json=bad)
        assert r.status_code == 401, r.text
    # ... and the next attempt is refused by either, even with the right password.
    for instance in (a, b):
        r = await instance.api.http.post(
            "/api/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        assert r.status_code == 429, r.text
        assert int(r.headers["Retry-After"]) >= 1


async def test_instances_started_together_import_the_settings_file_once(
    start_instances: Start, tmp_path: Path
) -> None:
    settings = tmp_path / "mcp_settings.json"
    servers = {"one": {"type": "sse", "url": "http://127.0.0.1:9/one", "enabled": False}}
    settings.write_text(json.dumps({"mcpServers": servers}))
    a, b = await start_instances(2, {"ADMIN_PASSWORD": "", "MCPHUB_SETTING_PATH": str(settings)})
    printed = [i for i in (a, b) if "created user 'admin' with password" in i.proc.stderr]
    assert len(printed) == 1
    password = _printed_password(printed[0].proc.stderr)
    for instance in (a, b):  # the one admin's printed password works on both
        await instance.api.login("admin", password)
        r = await instance.api.get("/api/servers")
        assert [s["name"] for s in r.json()["data"]] == ["one"]
