"""Activity history: one record per tools/call through every route, and /api/activities.

A real ``everything`` upstream over streamable HTTP, real MCP clients (raw HTTP, the SDK's
legacy SSE client), the REST tool routes, and the SQLite store.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcphub_activity.plugin import Switches

from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.plugin_api import Forbidden, ToolCall, activity_log, hookimpl
from hub.server import HubServer
from hub.testing import HubClient, McpError, McpSession, wait_for
from tests.api_fixtures import wait_server

KEY_ALL = "tok_all_access_key_for_activities"
KEY_ALICE = "tok_alice_scoped_key_for_activities"


@pytest.fixture
def hub_settings(everything_http: str) -> dict[str, Any]:
    remote = {"type": "streamable-http", "url": everything_http}
    return {
        "mcpServers": {"ev": remote, "al": {**remote, "owner": "alice"}},
        "systemConfig": {"egress": {"allowInternal": True}},  # alice's server is on 127.0.0.1
        "groups": [{"id": "g1-id", "name": "g1", "servers": ["ev"]}],
        "bearerKeys": [
            {"id": "k-all", "name": "ops", "token": KEY_ALL, "accessType": "all"},
            {
                "id": "k-alice",
                "name": "alice-key",
                "token": KEY_ALICE,
                "accessType": "servers",
                "allowedServers": ["al"],
                "owner": "alice",
            },
        ],
    }


@pytest.fixture
async def api(hub_server: HubServer) -> AsyncIterator[HubClient]:
    client = HubClient(f"http://{hub_server.address}")
    client.token = issue_token(hub_server.hub.jwt_secret, "admin", True, 0)
    await wait_server(client, "ev", "connected")
    await wait_server(client, "al", "connected")
    yield client
    await client.aclose()


@pytest.fixture
async def alice(hub_server: HubServer) -> AsyncIterator[HubClient]:
    await hub_server.hub.config.put_user(User(username="alice", password="!"), create=True)
    client = HubClient(f"http://{hub_server.address}")
    client.token = issue_token(hub_server.hub.jwt_secret, "alice", False, 0)
    yield client
    await client.aclose()


async def records(api: HubClient, count: int, query: str = "") -> list[dict[str, Any]]:
    """The newest records once at least ``count`` are written (the writer is asynchronous)."""
    seen: list[dict[str, Any]] = []

    async def written() -> bool:
        nonlocal seen
        r = await api.get(f"/api/activities?limit=100{query}")
        assert r.status_code == 200, r.text
        seen = r.json()["data"]
        return len(seen) >= count

    await wait_for(written)
    return seen


async def test_every_route_records_a_call(hub_server: HubServer, api: HubClient) -> None:
    base = f"http://{hub_server.address}"
    admin = {"x-auth-token": api.token or ""}
    session = await McpSession.open(base, "/mcp", admin)
    assert (await session.call_tool("ev-echo", {"text": "hi", "n": 1}))["content"]
    await session.close()
    grouped = await McpSession.open(base, "/mcp/g1", {"Authorization": f"Bearer {KEY_ALL}"})
    await grouped.call_tool("ev-add", {"a": 1, "b": 2})
    await grouped.close()
    async with (
        sse_client(f"{base}/sse", headers=admin) as (r, w),
        ClientSession(r, w) as sse,
    ):
        await sse.initialize()
        assert not (await sse.call_tool("ev-echo", {"text": "sse"})).is_error
    rest = await api.post("/api/tools/ev/echo", json={"text": "rest"})
    assert rest.status_code == 200, rest.text

    rows = await records(api, 4)
    assert [(r["via"], r["tool"], r["server"]) for r in rows] == [
        ("openapi", "echo", "ev"),
        ("sse", "echo", "ev"),
        ("mcp", "add", "ev"),
        ("mcp", "echo", "ev"),
    ]
    first = rows[-1]
    assert first["status"] == "success" and first["errorMessage"] is None
    assert first["user"] == "admin" and first["keyId"] is None and first["group"] is None
    assert isinstance(first["duration"], int) and first["duration"] >= 0
    assert first["timestamp"].endswith("Z") and abs(time.time() - _epoch(first["timestamp"])) < 60
    # Shapes, never values: argument names and types, the result's content lengths.
    summary = json.loads(first["input"])
    assert summary["keys"] == ["text", "n"]
    assert summary["valueTypes"] == {"text": "string", "n": "number"}
    assert "hi" not in first["input"]
    output = json.loads(first["output"])
    assert output["isError"] is False and output["contentCount"] == 1
    assert output["content"][0]["text"]["textLength"] == 2
    keyed = rows[2]
    assert (keyed["keyId"], keyed["keyName"], keyed["user"]) == ("k-all", "ops", None)
    assert keyed["group"] == "g1"
    assert set(keyed) == {
        "id", "timestamp", "server", "tool", "duration", "status", "input", "output",
        "group", "keyId", "keyName", "errorMessage", "user", "via",
    }  # fmt: skip


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class Refuser:
    """A ``before_tool_call`` guard that refuses the ``add`` tool."""

    @hookimpl
    def before_tool_call(self, call: ToolCall) -> None:
        if call.tool == "add":
            raise Forbidden("adding is not allowed here")


async def test_failures_and_refusals_are_errors(
    hub_server: HubServer, api: HubClient, mcp_session: McpSession, register_plugin: Any
) -> None:
    assert (await mcp_session.call_tool("ev-fail", {"message": "boom"}))["isError"] is True
    with pytest.raises(McpError, match="Unknown tool"):
        await mcp_session.call_tool("ev-nope", {"x": 1})
    with pytest.raises(McpError, match="Unknown tool"):
        await mcp_session.call_tool("nothing", {})
    r = await api.post("/api/servers/ev/tools/ev-echo/toggle", json={"enabled": False})
    assert r.status_code == 200, r.text
    assert (await api.post("/api/tools/ev/echo", json={"text": "x"})).status_code == 404

    rows = await records(api, 4)
    by_tool = {r["tool"]: r for r in rows}
    fail = by_tool["fail"]
    assert fail["status"] == "error" and fail["errorMessage"] == "Tool returned error response"
    assert json.loads(fail["output"])["isError"] is True
    unknown = by_tool["nope"]
    assert (unknown["server"], unknown["status"]) == ("ev", "error")
    assert unknown["errorMessage"] == "Unknown tool: ev-nope" and unknown["output"] is None
    nowhere = by_tool["nothing"]
    assert nowhere["server"] == "unknown"
    disabled = by_tool["echo"]
    assert (disabled["via"], disabled["status"], disabled["server"]) == ("openapi", "error", "ev")
    stats = (await api.get("/api/activities/stats")).json()["data"]
    assert stats["totalCalls"] == 4 and stats["errorCount"] == 4 and stats["successCount"] == 0


@pytest.fixture
def refuser(register_plugin: Any) -> None:
    register_plugin(Refuser(), name="refuser")


async def test_a_refusing_hook_is_recorded(
    refuser: None, api: HubClient, mcp_session: McpSession
) -> None:
    with pytest.raises(McpError, match="adding is not allowed"):
        await mcp_session.call_tool("ev-add", {"a": 1, "b": 2})
    [row] = await records(api, 1)
    assert (row["tool"], row["status"]) == ("add", "error")
    assert row["errorMessage"] == "adding is not allowed here"


async def test_filters_paging_stats_and_cleanup(hub_server: HubServer, api: HubClient) -> None:
    store = activity_log(hub_server.hub.store)
    assert store is not None
    now = time.time()
    await store.add_activities(
        [
            {"timestamp": now - 86400 * 40, "server": "ev", "tool": "old", "status": "success",
             "duration": 10, "group": None, "keyName": None},
            *[
                {"timestamp": now - i, "server": "ev" if i % 2 else "al", "tool": f"t{i % 3}",
                 "status": "error" if i % 5 == 0 else "success", "duration": i,
                 "group": "g1" if i < 10 else None, "keyId": "k-all" if i < 4 else None,
                 "keyName": "ops" if i < 4 else None}
                for i in range(25)
            ],
        ]
    )  # fmt: skip
    assert (await api.get("/api/activities/available")).json()["data"] == {"available": True}
    page = (await api.get("/api/activities?page=2&limit=10")).json()
    assert page["pagination"] == {
        "page": 2, "limit": 10, "total": 26, "totalPages": 3,
        "hasNextPage": True, "hasPrevPage": True,
    }  # fmt: skip
    assert [r["tool"] for r in page["data"]][:3] == ["t1", "t2", "t0"]  # i = 10, 11, 12
    assert (await api.get("/api/activities?page=abc&limit=0")).json()["pagination"]["limit"] == 20
    for bad, message in (
        ("page=-1", "Page number must be greater than 0"),
        ("limit=101", "Limit must be between 1 and 100"),
    ):
        r = await api.get(f"/api/activities?{bad}")
        assert (r.status_code, r.json()) == (400, {"success": False, "message": message})

    async def total(query: str) -> int:
        r = await api.get(f"/api/activities?{query}")
        assert r.status_code == 200, r.text
        return int(r.json()["pagination"]["total"])

    assert await total("server=e") == 13  # substring: ev
    assert await total("status=error") == 5
    assert await total("status=bogus") == 26  # ignored, as MCPHub does
    assert await total("group=g") == 10 and await total("keyId=k-all") == 4
    assert await total("keyName=op&tool=t1") == 1
    start, end = _iso(now - 4.5), _iso(now + 60)
    assert await total(f"startDate={start}&endDate={end}") == 5  # i = 0..4
    assert await total(f"startDate={start}") == 26  # one end alone is not applied
    r = await api.get("/api/activities?startDate=nope&endDate=never")
    assert r.status_code == 400

    stats = (await api.get("/api/activities/stats?server=al")).json()["data"]
    assert stats == {"totalCalls": 13, "successCount": 10, "errorCount": 3, "avgDuration": 12}
    filters = (await api.get("/api/activities/filters")).json()["data"]
    assert filters == {
        "servers": ["al", "ev"], "tools": ["old", "t0", "t1", "t2"],
        "groups": ["g1"], "keyNames": ["ops"],
    }  # fmt: skip
    one = page["data"][0]
    assert (await api.get(f"/api/activities/{one['id']}")).json()["data"] == one
    r = await api.get("/api/activities/999999")
    assert (r.status_code, r.json()["message"]) == (404, "Activity not found")

    r = await api.delete("/api/activities/cleanup?daysOld=-1")
    assert (r.status_code, r.json()["message"]) == (400, "daysOld must be at least 1")
    r = await api.delete("/api/activities/cleanup?daysOld=" + "9" * 30)  # older than 1970
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"deletedCount": 0, "cutoffDate": "1970-01-01T00:00:00.000Z"}
    r = await api.delete("/api/activities/cleanup")  # default 30 days: the 40-day-old one
    data = r.json()["data"]
    assert data["deletedCount"] == 1 and data["cutoffDate"].endswith("Z")
    assert await total("") == 25


async def test_retention_deletes_old_records(hub_server: HubServer, api: HubClient) -> None:
    store = activity_log(hub_server.hub.store)
    assert store is not None
    now = time.time()
    await store.add_activities(
        [
            {"timestamp": now - 86400 * 3, "server": "ev", "tool": "old", "status": "success"},
            {"timestamp": now, "server": "ev", "tool": "new", "status": "success"},
        ]
    )
    r = await api.put("/api/system-config", json={"observability": {"activityRetentionDays": 2}})
    assert r.status_code == 200, r.text

    async def expired() -> bool:
        rows = (await api.get("/api/activities")).json()["data"]
        return [row["tool"] for row in rows] == ["new"]

    await wait_for(expired)


async def test_a_normal_user_sees_only_their_own(
    hub_server: HubServer, api: HubClient, alice: HubClient
) -> None:
    base = f"http://{hub_server.address}"
    admin = await McpSession.open(base, "/mcp", {"x-auth-token": api.token or ""})
    await admin.call_tool("ev-echo", {"text": "admin"})  # not alice's
    await admin.call_tool("al-echo", {"text": "on alice's server"})  # her server
    await admin.close()
    keyed = await McpSession.open(base, "/mcp", {"Authorization": f"Bearer {KEY_ALICE}"})
    await keyed.call_tool("al-add", {"a": 1, "b": 1})  # her key
    await keyed.close()
    mine = await McpSession.open(base, "/mcp", {"x-auth-token": alice.token or ""})
    await mine.call_tool("al-echo", {"text": "her own call"})
    with pytest.raises(McpError):
        await mine.call_tool("ev-echo", {"text": "not hers"})  # refused, but her call
    await mine.close()

    everything = await records(api, 5)
    assert len(everything) == 5
    theirs = (await alice.get("/api/activities?limit=100")).json()
    assert theirs["pagination"]["total"] == 4
    assert [(r["server"], r["user"], r["keyId"]) for r in theirs["data"]] == [
        ("unknown", "alice", None),  # refused: ev is not hers, so its name is not resolved
        ("al", "alice", None),
        ("al", None, "k-alice"),
        ("al", "admin", None),
    ]
    hidden = next(r for r in everything if r["server"] == "ev" and r["user"] == "admin")
    r = await alice.get(f"/api/activities/{hidden['id']}")
    assert (r.status_code, r.json()["message"]) == (404, "Activity not found")
    assert (await alice.get("/api/activities/stats")).json()["data"]["totalCalls"] == 4
    filters = (await alice.get("/api/activities/filters")).json()["data"]
    assert filters["servers"] == ["al", "unknown"] and filters["keyNames"] == ["alice-key"]
    assert (await alice.get("/api/activities?server=al")).json()["pagination"]["total"] == 3
    assert (await alice.delete("/api/activities/cleanup?daysOld=1")).status_code == 403
    anonymous = HubClient(base)
    try:
        assert (await anonymous.get("/api/activities")).status_code == 401
    finally:
        await anonymous.aclose()


async def test_recording_can_be_switched_off(api: HubClient, mcp_session: McpSession) -> None:
    r = await api.put("/api/system-config", json={"observability": {"activities": False}})
    assert r.status_code == 200, r.text
    await mcp_session.call_tool("ev-echo", {"text": "unrecorded"})
    await api.put("/api/system-config", json={"observability": {"activities": True}})
    await mcp_session.call_tool("ev-echo", {"text": "recorded"})
    rows = await records(api, 1)
    assert len(rows) == 1


def test_a_call_is_recorded_by_the_setting_when_it_finished() -> None:
    """Observers hear of a call a moment after it finished: by then the setting may have
    changed, so the one in force when it finished decides."""
    switches = Switches(True)
    before = time.perf_counter()
    switches.note(False)
    while_off = time.perf_counter()
    switches.note(True)
    switches.note(True)  # not a change
    assert len(switches.changes) == 2
    assert switches.at(before) is True and switches.at(while_off) is False
    assert switches.at(time.perf_counter()) is True and switches.at(None) is True
    switches.forget_before(while_off)  # the first change is forgotten, its outcome kept
    assert switches.changes[0][1] is True and switches.at(while_off) is False
    switches.forget_before(time.perf_counter())
    assert switches.changes == [] and switches.at(while_off) is True
