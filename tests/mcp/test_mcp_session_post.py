"""``SessionPost``: a session's POST answered below Tornado's handlers (``hub.mcp.session_post``).

Each test pairs what the caller sees with which way the request went: a plugin observing
``request_finished`` records the object the hub finished each request with, so a test fails
both when the short way breaks and when requests silently stop taking it.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
import tornado.web

from hub import hookimpl
from hub.app import Hub
from hub.server import HubServer
from hub.testing import RawMcp, reply, sse_messages, wait_for
from tests.mcp_fixtures import bearer, connected_http, http_server

KEY = "key-session-post-0123456789"
OTHER_KEY = "key-session-post-other-0123"


class Finished:
    """Records (kind of object, route, status) of every finished request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    @hookimpl
    def request_finished(self, hub: Hub, handler: tornado.web.RequestHandler, route: str) -> None:
        self.seen.append((type(handler).__name__, route, handler.get_status()))


@pytest.fixture
def finished(register_plugin: Any) -> Finished:
    plugin = Finished()
    register_plugin(plugin, name="finished")
    return plugin


@pytest.fixture
def hub_settings(everything: Any, hang: Any) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url), "hang": http_server(hang.url)},
        "bearerKeys": [
            {"id": "k1", "name": "all", "token": KEY, "accessType": "all"},
            {"id": "k2", "name": "other", "token": OTHER_KEY, "accessType": "all"},
        ],
    }


@pytest.fixture
async def mcp(finished: Finished, hub_server: HubServer) -> Any:
    async with connected_http(hub_server, "ev", "hang") as http:
        client = RawMcp(http, "/mcp", bearer(KEY))
        assert (await client.initialize()).status_code == 200
        yield client


def last(finished: Finished) -> tuple[str, str, int]:
    return finished.seen[-1]


async def test_a_call_is_answered_below_the_handlers(mcp: RawMcp, finished: Finished) -> None:
    assert finished.seen[0][0] == "McpHandler"  # initialize: the handler's way
    r = await mcp.call("tools/call", {"name": "ev-echo", "arguments": {"text": "hi"}})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["mcp-session-id"] == mcp.session
    assert r.headers["content-length"] == str(len(r.content))
    assert "date" in r.headers
    assert reply(r)["result"]["content"][0]["text"] == "hi"
    await wait_for(lambda: last(finished) == ("SessionPost", "/mcp", 200))
    # Other methods of the session go the same way, through the SDK runner.
    r = await mcp.call("ping")
    assert r.status_code == 200 and reply(r)["result"] == {}
    await wait_for(lambda: len([s for s in finished.seen if s[0] == "SessionPost"]) == 2)


async def test_progress_turns_the_reply_into_sse(mcp: RawMcp, finished: Finished) -> None:
    params = {"name": "ev-slow", "arguments": {"seconds": 0.3}, "_meta": {"progressToken": 7}}
    r = await mcp.call("tools/call", params)
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["mcp-session-id"] == mcp.session
    messages = sse_messages(r.text)
    assert [m["params"]["progressToken"] for m in messages[:-1]] == [7] * (len(messages) - 1)
    assert len(messages) > 1 and "result" in messages[-1]
    await wait_for(lambda: last(finished) == ("SessionPost", "/mcp", 200))


async def test_what_it_does_not_answer_is_handed_over(mcp: RawMcp, finished: Finished) -> None:
    """Refusals, unknown sessions and bad bodies get the handler's answers, decided once."""
    note = await mcp.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert note.status_code == 202
    bad = await mcp.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, **bearer("nope"))
    assert bad.status_code == 401 and "invalid_token" in bad.headers["www-authenticate"]
    other = await mcp.post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, **bearer(OTHER_KEY))
    assert other.status_code == 404  # someone else's session does not exist for this key
    gone = await mcp.post({"jsonrpc": "2.0", "id": 3, "method": "ping"}, **{"Mcp-Session-Id": "x"})
    assert gone.status_code == 404 and reply(gone)["error"]["message"] == "Session not found"
    broken = await mcp.http.post(
        "/mcp", content=b"{", headers={**mcp.headers, "Mcp-Session-Id": mcp.session or ""}
    )
    assert broken.status_code == 400 and reply(broken)["error"]["code"] == -32700
    statuses = [s for s in finished.seen if s[0] == "McpHandler"][-5:]
    assert [s[2] for s in statuses] == [202, 401, 404, 404, 400]
    assert not [s for s in finished.seen if s[0] == "SessionPost"]


async def test_a_duplicate_id_in_flight_is_refused(mcp: RawMcp, hang: Any) -> None:
    before = len(hang.events_seen())
    body = {"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": {"name": "hang-hang"}}
    first = asyncio.create_task(mcp.post(body))
    await wait_for(lambda: hang.saw("called", before))
    again = await mcp.post(body)
    assert "Duplicate in-flight request id" in reply(again)["error"]["message"]
    first.cancel()
    await wait_for(lambda: hang.saw("cancelled", before))


async def test_cancelled_notification_ends_the_call_with_no_answer(mcp: RawMcp, hang: Any) -> None:
    before = len(hang.events_seen())
    body = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "hang-hang"}}
    call = asyncio.create_task(mcp.post(body))
    await wait_for(lambda: hang.saw("called", before))
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}
    assert (await mcp.post(cancel)).status_code == 202
    answered = await call
    assert answered.status_code == 202 and answered.content == b""
    await wait_for(lambda: hang.saw("cancelled", before))


async def test_a_proxied_call_leaves_no_cycles_behind(mcp: RawMcp) -> None:
    """A call's objects are freed by reference counting, not left to the cycle collector
    (which then costs a few percent of the CPU at thousands of calls a second)."""
    watched = {"SessionPost", "PostCtx", "CallInfo", "ResponseFrame", "HTTP1Connection"}
    args = {"name": "ev-echo", "arguments": {"text": "hi"}}
    assert reply(await mcp.call("tools/call", args))["result"]["content"][0]["text"] == "hi"
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            assert (await mcp.call("tools/call", args)).status_code == 200
        gc.collect()
        left = {type(o).__name__ for o in gc.garbage} & watched
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not left
