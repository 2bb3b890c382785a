"""The MCP endpoint at the HTTP level: auth, DNS-rebinding guard, scope, sessions, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from hub.config.system import SessionsConfig
from hub.server import HubServer
from hub.testing import RawMcp, reply, wait_for
from tests.mcp_fixtures import Recorder, bearer, connected_http, http_server

ALL_KEY = "key-all-0123456789abcdef"
EV_KEY = "key-ev-0123456789abcdef"
GROUP_KEY = "key-grp-0123456789abcdef"
GROUP_ID = "3f6d3c1e-0000-4000-8000-000000000001"


@pytest.fixture
def hub_settings(everything: Any, hang: Any) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url), "hang": http_server(hang.url)},
        "groups": [
            {"id": GROUP_ID, "name": "echoes", "servers": [{"name": "ev", "tools": ["echo"]}]}
        ],
        "bearerKeys": [
            {"id": "k1", "name": "all", "token": ALL_KEY, "accessType": "all"},
            {
                "id": "k2",
                "name": "ev",
                "token": EV_KEY,
                "accessType": "servers",
                "allowedServers": ["ev"],
            },
            {
                "id": "k3",
                "name": "grp",
                "token": GROUP_KEY,
                "accessType": "groups",
                "allowedGroups": ["echoes"],
            },
        ],
    }


@pytest.fixture
async def http(recorder: Recorder, hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with connected_http(hub_server, "ev", "hang") as client:
        yield client


async def test_auth_challenge_and_rebinding_guard(http: httpx2.AsyncClient) -> None:
    anonymous = RawMcp(http, "/mcp")
    r = await anonymous.initialize()
    assert r.status_code == 401
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert (
        "resource_metadata=" in challenge and "/.well-known/oauth-protected-resource" in challenge
    )
    assert r.json()["error"] == "invalid_token"
    assert (await RawMcp(http, "/mcp", bearer("wrong-token")).initialize()).status_code == 401

    keyed = RawMcp(http, "/mcp", bearer(ALL_KEY))
    assert (await keyed.initialize()).status_code == 200
    r = await keyed.post({"jsonrpc": "2.0", "id": 9, "method": "ping"}, Origin="http://evil.test")
    assert r.status_code == 403
    r = await keyed.post({"jsonrpc": "2.0", "id": 9, "method": "ping"}, Host="evil.test")
    assert r.status_code == 403
    r = await keyed.post({"jsonrpc": "2.0", "id": 9, "method": "ping"}, Origin="http://localhost")
    assert r.status_code == 200


async def test_key_scope_cuts_lists_and_calls(http: httpx2.AsyncClient, recorder: Recorder) -> None:
    ev_only = RawMcp(http, "/mcp", bearer(EV_KEY))
    assert (await ev_only.initialize()).status_code == 200
    names = {t["name"] for t in reply(await ev_only.call("tools/list"))["result"]["tools"]}
    assert "ev-echo" in names and not any(n.startswith("hang-") for n in names)
    refused = reply(await ev_only.call("tools/call", {"name": "hang-ping_tool", "arguments": {}}))
    assert refused["error"]["code"] == -32602
    # The servers-scoped key cannot reach the other server by naming it either.
    assert (await RawMcp(http, "/mcp/hang", bearer(EV_KEY)).initialize()).status_code == 404

    grouped = RawMcp(http, "/mcp/echoes", bearer(GROUP_KEY))
    assert (await grouped.initialize()).status_code == 200
    tools = reply(await grouped.call("tools/list"))["result"]["tools"]
    assert [t["name"] for t in tools] == ["ev-echo"]
    out_of_group = reply(await grouped.call("tools/call", {"name": "ev-add", "arguments": {}}))
    assert "error" in out_of_group
    ok = reply(await grouped.call("tools/call", {"name": "ev-echo", "arguments": {"text": "g"}}))
    assert ok["result"]["structuredContent"] == {"text": "g"}
    # The group is reachable by its id as well as by its name.
    assert (
        await RawMcp(http, f"/mcp/{GROUP_ID}", bearer(GROUP_KEY)).initialize()
    ).status_code == 200
    assert recorder.before == [("ev", "echo")]


async def test_sessions_404_delete_and_refusals(
    http: httpx2.AsyncClient, hub_server: HubServer
) -> None:
    client = RawMcp(http, "/mcp", bearer(ALL_KEY))
    await client.initialize()
    sid = client.session
    assert (
        await RawMcp(http, "/mcp/no-such-thing", bearer(ALL_KEY)).initialize()
    ).status_code == 404

    batch = await client.post([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])
    assert batch.status_code == 400 and batch.json()["error"]["code"] == -32600
    garbage = await client.post("{not json")
    assert garbage.status_code == 400
    assert (await client.post({"jsonrpc": "2.0", "id": 2, "method": "ping"})).status_code == 200

    # Another principal cannot use this session.
    other = RawMcp(http, "/mcp", bearer(EV_KEY))
    other.session = sid
    assert (await other.call("tools/list")).status_code == 404

    # Two in-flight requests with the same id: the second is refused, the first still answers.
    first = asyncio.create_task(
        client.post(
            {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "tools/call",
                "params": {"name": "ev-slow", "arguments": {"seconds": 0.5}},
            }
        )
    )
    # The duplicate is sent once the first request is in flight on the hub.
    session = hub_server.hub.mcp.sessions.get(str(sid))
    assert session is not None
    await wait_for(lambda: 7 in session.inflight)
    dup = reply(await client.post({"jsonrpc": "2.0", "id": 7, "method": "ping"}))
    assert dup["error"]["message"] == "Duplicate in-flight request id"
    assert "result" in reply(await first)

    r = await http.delete("/mcp", headers={**bearer(ALL_KEY), "Mcp-Session-Id": str(sid)})
    assert r.status_code == 200
    gone = await client.call("tools/list")
    assert gone.status_code == 404
    missing = await RawMcp(http, "/mcp", bearer(ALL_KEY)).call("tools/list")
    assert missing.status_code == 400


async def test_session_rebuild(http: httpx2.AsyncClient, hub_server: HubServer) -> None:
    live = hub_server.hub.config
    system = live.system.model_copy(deep=True)
    system.enable_session_rebuild = True
    await live.put_system(system)
    client = RawMcp(http, "/mcp", bearer(ALL_KEY))
    client.session = "lost-session-0001"
    listed = reply(await client.call("tools/list"))
    assert "ev-echo" in {t["name"] for t in listed["result"]["tools"]}


async def test_global_route_can_be_closed_and_smart_is_explicit(
    http: httpx2.AsyncClient, hub_server: HubServer
) -> None:
    live = hub_server.hub.config
    system = live.system.model_copy(deep=True)
    system.routing.enable_global_route = False
    await live.put_system(system)
    r = await RawMcp(http, "/mcp", bearer(ALL_KEY)).initialize()
    assert r.status_code == 403 and "Global routes are disabled" in r.text
    assert (await RawMcp(http, "/mcp/ev", bearer(ALL_KEY)).initialize()).status_code == 200
    smart = await RawMcp(http, "/mcp/$smart", bearer(ALL_KEY)).initialize()
    assert smart.status_code == 200 and "result" in reply(smart)


async def test_disconnect_cancels_the_upstream_call(http: httpx2.AsyncClient, hang: Any) -> None:
    client = RawMcp(http, "/mcp", bearer(ALL_KEY))
    await client.initialize()
    before = len(hang.events_seen())
    call = asyncio.create_task(client.call("tools/call", {"name": "hang-hang", "arguments": {}}))
    await wait_for(lambda: hang.saw("called", before))  # the call reached the upstream
    call.cancel()
    await wait_for(lambda: hang.saw("cancelled", before))
    assert hang.events_seen()[-1].startswith("cancelled")


async def test_body_limit_session_cap_and_idle_reaping(
    http: httpx2.AsyncClient, hub_server: HubServer
) -> None:
    client = RawMcp(http, "/mcp", bearer(ALL_KEY))
    await client.initialize()
    big = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 1_100_000}}
    assert (await client.post(big)).status_code == 413

    sessions = hub_server.hub.mcp.sessions
    full_hub = SessionsConfig(max_total=len(sessions))
    sessions.limits = lambda: full_hub
    full = await RawMcp(http, "/mcp", bearer(ALL_KEY)).initialize()
    assert full.status_code == 503
    # Idle sessions are reaped to make room; this one counts as idle at once.
    at_once = SessionsConfig.model_construct(max_total=len(sessions), idle_timeout=0)
    sessions.limits = lambda: at_once
    assert (await RawMcp(http, "/mcp", bearer(ALL_KEY)).initialize()).status_code == 200
    assert (await client.call("tools/list")).status_code == 404


async def test_user_scoped_routes(http: httpx2.AsyncClient, admin_password: str) -> None:
    login = await http.post(
        "/api/auth/login", json={"username": "admin", "password": admin_password}
    )
    token = login.json()["token"]
    mine = RawMcp(http, "/admin/mcp", {"x-auth-token": token})
    assert (await mine.initialize()).status_code == 200
    assert "ev-echo" in {t["name"] for t in reply(await mine.call("tools/list"))["result"]["tools"]}
    assert (await RawMcp(http, "/bob/mcp", {"x-auth-token": token}).initialize()).status_code == 403
    # Static keys are not accepted on user-scoped routes.
    assert (await RawMcp(http, "/admin/mcp", bearer(ALL_KEY)).initialize()).status_code == 401
