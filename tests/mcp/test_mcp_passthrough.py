"""Pass-through the conformance suite checks: upstream logs at the caller's level, unsubscribe
reaching the upstream, and the 2026 MRTR bridge (capability check, re-asking, rotating state)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning

from hub.server import HubServer
from hub.testing import ACCEPT, reply, sse_messages, wait_for
from tests.mcp_fixtures import ENVELOPE, MODERN, http_server, open_settings, wait_connected


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return open_settings({"ev": http_server(everything.url)})


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev")
    return hub_server


async def test_sdk_client_receives_upstream_logs_above_its_level(hub: HubServer) -> None:
    received: list[t.LoggingMessageNotificationParams] = []

    async def on_log(params: t.LoggingMessageNotificationParams) -> None:
        received.append(params)

    url = f"http://{hub.address}/mcp"
    async with (
        streamable_http_client(url) as (r, w),
        ClientSession(r, w, logging_callback=on_log) as s,
    ):
        await s.initialize()
        result = await s.call_tool("ev-log", {"levels": ["debug", "info", "error"]})
        assert not result.is_error
        await wait_for(lambda: len(received) == 3)
        assert [(p.level, p.data, p.logger) for p in received] == [
            ("debug", "debug line", "everything"),
            ("info", "info line", "everything"),
            ("error", "error line", "everything"),
        ]

        received.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await s.set_logging_level("warning")
        await s.call_tool("ev-log", {"levels": ["debug", "info", "warning", "critical"]})
        await wait_for(lambda: len(received) == 2)
        assert [p.level for p in received] == ["warning", "critical"]


async def test_2026_logs_only_with_a_log_level_in_meta(hub: HubServer) -> None:
    headers = {
        "Accept": ACCEPT,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "ev-log",
    }

    def call(meta: dict[str, Any]) -> str:
        params = {"name": "ev-log", "arguments": {"levels": ["debug", "info", "error"]}}
        return json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {**params, "_meta": meta}}
        )

    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http:
        quiet = await http.post("/mcp", content=call(ENVELOPE), headers=headers)
        assert quiet.status_code == 200
        assert quiet.headers["content-type"].startswith("application/json")
        assert reply(quiet)["result"]["content"][0]["text"] == "logged 3"

        meta = {**ENVELOPE, "io.modelcontextprotocol/logLevel": "info"}
        loud = await http.post("/mcp", content=call(meta), headers=headers)
        assert loud.headers["content-type"].startswith("text/event-stream")
        logs = [m for m in sse_messages(loud.text) if m.get("method") == "notifications/message"]
        assert [(m["params"]["level"], m["params"]["data"]) for m in logs] == [
            ("info", "info line"),
            ("error", "error line"),
        ]
        assert reply(loud)["result"]["content"][0]["text"] == "logged 3"


async def test_unsubscribe_reaches_the_upstream_when_the_last_session_leaves(
    hub: HubServer, everything: Any
) -> None:
    uri = "test://static/data.json"
    url = f"http://{hub.address}/mcp"
    async with (
        streamable_http_client(url) as (r1, w1),
        ClientSession(r1, w1) as first,
        streamable_http_client(url) as (r2, w2),
        ClientSession(r2, w2) as second,
    ):
        await first.initialize()
        await second.initialize()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await first.subscribe_resource(uri)
            await second.subscribe_resource(uri)
            await first.unsubscribe_resource(uri)
            assert f"unsubscribe {uri}" not in everything.events_seen()
            await second.unsubscribe_resource(uri)
        assert everything.events_seen().count(f"unsubscribe {uri}") == 1


async def test_2026_bridge_checks_capabilities_reasks_and_rotates_state(hub: HubServer) -> None:
    headers = {
        "Accept": ACCEPT,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "ev-sample",
    }
    sampling = {**ENVELOPE, "io.modelcontextprotocol/clientCapabilities": {"sampling": {}}}

    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http:

        async def call(meta: dict[str, Any], **extra: Any) -> httpx2.Response:
            params = {"name": "ev-sample", "arguments": {"prompt": "q?"}, "_meta": meta, **extra}
            body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}
            return await http.post("/mcp", content=json.dumps(body), headers=headers)

        refused = await call(ENVELOPE)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == -32021 and error["data"]["requiredCapabilities"] == {"sampling": {}}

        first = reply(await call(sampling))["result"]
        assert first["resultType"] == "input_required"
        [question] = first["inputRequests"]
        assert first["inputRequests"][question]["method"] == "sampling/createMessage"

        again = reply(
            await call(sampling, inputResponses={"nope": {}}, requestState=first["requestState"])
        )
        again = again["result"]
        assert again["resultType"] == "input_required" and list(again["inputRequests"]) == [
            question
        ]
        assert again["requestState"] != first["requestState"]

        stale = await call(sampling, inputResponses={}, requestState=first["requestState"])
        assert stale.status_code == 400 and stale.json()["error"]["code"] == -32602

        answer = {"role": "assistant", "content": {"type": "text", "text": "A!"}, "model": "m"}
        done = await call(
            sampling, inputResponses={question: answer}, requestState=again["requestState"]
        )
        assert reply(done)["result"]["content"][0]["text"] == "A!"
    await wait_for(lambda: not hub.hub.mcp.bridge.calls)
